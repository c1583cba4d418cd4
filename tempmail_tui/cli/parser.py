"""The argument parser: global options, one subparser per command, and shared arguments."""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Sequence
from typing import NoReturn

from tempmail_tui import __version__
from tempmail_tui.cli.command import Command
from tempmail_tui.cli.errors import EXIT_USAGE, CliError
from tempmail_tui.cli.output import PROG
from tempmail_tui.core import logfile, paths
from tempmail_tui.core.config import (
    API_KEY_ENV_VAR,
    DEFAULT_BASE_URL,
    ENV_VARS,
    TOML_KEYS,
    default_config_path,
)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line and never exit the interpreter."""

    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (see `{self.prog} --help`)", EXIT_USAGE)


def build_parser(commands: Sequence[Command]) -> argparse.ArgumentParser:
    """The full argument parser, with one subparser for each command, in --help order."""
    parser = _Parser(
        prog=PROG,
        description="A terminal mail reader for Temp Mail (tempmailg.com) throwaway mailboxes.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    _global_options(parser)
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for command in commands:
        sub = subparsers.add_parser(
            command.name,
            help=command.help,
            description=command.help,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if command.run is not None:
            sub.set_defaults(handler=command.run)
        command.add_arguments(sub)
    return parser


def reader_parser() -> argparse.ArgumentParser:
    """The global options alone: enough for the reader, with no command module loaded.

    It knows no --help, --version or command, so anything else is a usage error here and
    goes to the full parser (build_parser), which runs it or says what is wrong.
    """
    parser = _Parser(prog=PROG, add_help=False)
    _global_options(parser)
    parser.set_defaults(command=None)
    return parser


def _global_options(parser: argparse.ArgumentParser) -> None:
    """Declare the options that come before any command (and alone, for the reader)."""
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help=f"API base URL [env {ENV_VARS['base_url']}; default {DEFAULT_BASE_URL}]",
    )
    parser.add_argument(
        "--download-dir",
        metavar="DIR",
        help=f"where attachments are saved [env {ENV_VARS['download_dir']}]",
    )
    parser.add_argument(
        "--poll-interval",
        metavar="S",
        help="seconds between checks of the selected mailbox, at least 1 "
        f"[env {ENV_VARS['poll_interval']}; default 5]",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run against a built-in local sandbox with sample mail; ignores any configured "
        "API key and base URL",
    )
    parser.add_argument(
        "--no-bell", action="store_true", help="do not ring the terminal bell on new mail"
    )
    parser.add_argument(
        "--log",
        metavar="FILE",
        help="write a detailed log (requests, poll decisions, errors with tracebacks) to FILE "
        f"[env {logfile.LOG_ENV_VAR}; default: errors only, to {paths.log_path()}]",
    )


def _epilog() -> str:
    width = max(len(name) for name in TOML_KEYS)
    toml_lines = "\n".join(f"  {name:<{width}}  {text}" for name, text in TOML_KEYS.items())
    return f"""\
configuration, highest precedence first:
  1. command-line options
  2. environment variables
  3. the config file
  4. built-in defaults

environment variables:
  {API_KEY_ENV_VAR}        the Temp Mail User API key (read before the keyring)
  {ENV_VARS["base_url"]}       API base URL (default {DEFAULT_BASE_URL})
  {ENV_VARS["download_dir"]}   where attachments are saved (default
                          {paths.download_dir()})
  {ENV_VARS["poll_interval"]}  seconds between checks of the selected mailbox (default 5)
  XDG_CONFIG_HOME         base of the config directory (default ~/.config)
  XDG_DATA_HOME           base of the data directory: remembered mailboxes (default
                          ~/.local/share)
  XDG_STATE_HOME          base of the state directory: the error log (default
                          ~/.local/state)
  {logfile.LOG_ENV_VAR}            write a detailed log to this file (like --log)
  TEXTUAL_LOG             also write Textual's own log to this file
  NO_COLOR                any value: no colours, whatever the theme
  An empty variable counts as unset.

config file: {default_config_path()}
  TOML, all keys optional:
{toml_lines}
  The API key is never read from this file.

API key lookup order:
  1. {API_KEY_ENV_VAR}
  2. the OS keyring (service "tempmail-tui", user "api-key"): see `{PROG} auth set`
  3. none: the app asks for a key when it starts

exit status: 0 success, 1 timed out or nothing found (wait, code, link, run, search,
  save) or declined (forget, rm-box --label), 2 usage, configuration or API error, 3 API key
  problem (none, or rejected), 4 the COMMAND of run failed
"""


# --- arguments shared by commands -------------------------------------------------------------


def positive_seconds(text: str) -> float:
    """An argument that is a positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text!r}")
    return value


def pattern(text: str) -> re.Pattern[str]:
    """An argument that is a regular expression, searched case-insensitively."""
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as exc:
        raise argparse.ArgumentTypeError(f"not a valid regular expression: {exc}") from None


def json_flag(parser: argparse.ArgumentParser) -> None:
    """Declare --json."""
    parser.add_argument(
        "--json", action="store_true", help="print JSON (non-ASCII and controls escaped)"
    )


def label_flag(parser: argparse.ArgumentParser, text: str) -> None:
    """Declare --label L, repeatable (into ``args.label``, None when not given)."""
    parser.add_argument("--label", metavar="L", action="append", help=text)


def address(parser: argparse.ArgumentParser) -> None:
    """Declare the ADDRESS positional."""
    parser.add_argument("address", metavar="ADDRESS", help="the mailbox address")


def message_id(parser: argparse.ArgumentParser) -> None:
    """Declare the ID positional."""
    parser.add_argument("message_id", metavar="ID", help="the message id (see `messages`)")
