"""The tempmail-tui command line: the TUI, the sandbox server and API-key management."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn, TextIO

from tempmail_tui import __version__
from tempmail_tui.core import logfile, paths
from tempmail_tui.core.config import (
    API_KEY_ENV_VAR,
    DEFAULT_BASE_URL,
    ENV_VARS,
    TOML_KEYS,
    Config,
    ConfigError,
    default_config_path,
    load_config,
)
from tempmail_tui.errors import TempMailError

# Heavy libraries (textual, httpx, keyring, html2text, starlette) are imported only inside
# the command that needs them, so --help and the small commands start fast.

PROG = "tempmail-tui"

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_INTERRUPTED = 130

DEFAULT_SANDBOX_PORT = 8025
DEFAULT_SANDBOX_SMTP_PORT = 1025

Handler = Callable[[argparse.Namespace], int]


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, one-line help, how to declare its arguments and how to run it."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Handler | None = None


class CliError(TempMailError):
    """A failure to report as one line on stderr with the given exit status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line and never exit the interpreter."""

    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (see `{self.prog} --help`)", EXIT_USAGE)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the process exit status."""
    parser = build_parser()
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:
            # --help and --version print and "exit"; report their status instead.
            return exc.code if isinstance(exc.code, int) else EXIT_USAGE
        try:
            args.log_setup = logfile.configure(logfile.chosen_log_path(args.log, os.environ))
        except logfile.LogFileError as exc:
            raise CliError(str(exc), EXIT_USAGE) from None
        log.debug("command line: %s", args.command or "(reader)")
        handler: Handler = getattr(args, "handler", run_tui)
        return handler(args)
    except CliError as exc:
        _error(str(exc))
        return exc.status
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`): as other Unix tools do, stop quietly. Point stdout
        # at /dev/null so the interpreter's final flush does not complain again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 0
    except Exception as exc:
        # The traceback goes to the log (scrubbed of the key), never to the terminal.
        log.critical("unexpected error", exc_info=exc)
        _error(f"unexpected error ({type(exc).__name__}){_log_pointer()}; please report it")
        return EXIT_FAILURE


def _log_pointer() -> str:
    """Where the traceback of a failure was written, as a clause to end a message with."""
    setup = logfile.current()
    if setup is None or not setup.written():
        return ""
    return f"; the details are in {setup.path}"


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with one subparser per registered command."""
    parser = _Parser(
        prog=PROG,
        description="A terminal mail reader for Temp Mail (tempmailg.com) throwaway mailboxes.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
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
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for command in COMMANDS:
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

exit status: 0 success, 1 timed out or nothing found (wait, code, link, save),
  2 usage, configuration or API error, 3 API key problem (none, or rejected)
"""


# --- the TUI (no subcommand) -------------------------------------------------------------


def run_tui(args: argparse.Namespace) -> int:
    """Load the configuration and launch the Textual application."""
    config = _load(args, demo=bool(args.demo))
    # Imported only now: textual alone costs ~200 ms.
    from tempmail_tui.ui.app import run_app

    ended = run_app(config, demo=bool(args.demo))
    if ended.crash is not None:
        _error(f"stopped by an unexpected error: {ended.crash}{_log_pointer()}")
    return ended.status


def _load(args: argparse.Namespace, *, demo: bool) -> Config:
    flags: dict[str, object] = {
        "download_dir": args.download_dir,
        "poll_interval": args.poll_interval,
        "bell": False if args.no_bell else None,
    }
    environ: dict[str, str] = dict(os.environ)
    if demo:
        # The demo talks to its own sandbox: the real key and URL must not leak into it.
        environ.pop(API_KEY_ENV_VAR, None)
        environ.pop(ENV_VARS["base_url"], None)
        if args.base_url is not None:
            _error("warning: --base-url is ignored with --demo")
    else:
        flags["base_url"] = args.base_url
    try:
        # The keyring is read by the app after its first frame (it costs ~80 ms to import).
        config = load_config(flags=flags, environ=environ, use_keyring=False)
    except ConfigError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    if demo:
        config.base_url = DEFAULT_BASE_URL
    for warning in config.warnings:
        _error(f"warning: {warning}")
    return config


# --- sandbox ------------------------------------------------------------------------------


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 0 and 65535, not {port}")
    return port


def _sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_SANDBOX_PORT,
        help=f"HTTP port on 127.0.0.1 for the fake API; 0 picks a free one "
        f"(default {DEFAULT_SANDBOX_PORT})",
    )
    parser.add_argument(
        "--smtp-port",
        type=_port,
        default=DEFAULT_SANDBOX_SMTP_PORT,
        help=f"SMTP port on 127.0.0.1 that delivers into the sandbox's mailboxes; 0 picks a "
        f"free one (default {DEFAULT_SANDBOX_SMTP_PORT})",
    )
    parser.add_argument(
        "--api-key",
        metavar="K",
        help="the API key the sandbox accepts (default: a random one, printed at start)",
    )
    parser.add_argument(
        "--no-samples", action="store_true", help="start with no sample mailboxes or messages"
    )


def run_sandbox(args: argparse.Namespace) -> int:
    """Run the local sandbox API server in the foreground until interrupted."""
    from tempmail_tui.sandbox.server import run_foreground

    return run_foreground(
        port=args.port,
        smtp_port=args.smtp_port,
        api_key=args.api_key,
        samples=not args.no_samples,
    )


# --- auth ---------------------------------------------------------------------------------


def _auth_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(title="actions", dest="action", metavar="ACTION")
    actions.required = True
    for name, help_text, handler in (
        ("set", "store the API key in the OS keyring (prompted, or one line on stdin)", auth_set),
        ("status", "show where the API key comes from (masked) and the keyring state", auth_status),
        ("clear", "remove the API key from the OS keyring", auth_clear),
    ):
        action = actions.add_parser(name, help=help_text, description=help_text)
        action.set_defaults(handler=handler)


def auth_set(args: argparse.Namespace, *, stdin: TextIO | None = None) -> int:
    """Read a key (hidden prompt on a terminal, one line from a pipe) and store it."""
    from tempmail_tui.core import credentials

    source = stdin if stdin is not None else sys.stdin
    key = _read_key(source).strip()
    problem = credentials.key_problem(key)
    if problem is not None:
        raise CliError(problem, EXIT_USAGE)
    try:
        credentials.store_api_key(key)
    except credentials.KeyStoreError as exc:
        raise CliError(str(exc), EXIT_AUTH) from None
    info = credentials.describe_keyring()
    print(f"Stored API key {credentials.mask_key(key)} in the keyring: {info.description}")
    if info.insecure:
        _error("warning: this keyring keeps the key in a plain file, readable by anyone who can")
        _error("         read your home directory; prefer a real keyring or " + credentials.ENV_VAR)
    if os.environ.get(credentials.ENV_VAR, "").strip():
        print(f"Note: {credentials.ENV_VAR} is set in this shell and is used before the keyring.")
    return EXIT_OK


def _read_key(source: TextIO) -> str:
    try:
        if source.isatty():
            import getpass

            return getpass.getpass("Temp Mail API key (input hidden): ")
        # One line only: a pipe may carry more, and the rest is none of our business.
        return source.readline(8192)
    except EOFError:
        return ""


def auth_status(args: argparse.Namespace) -> int:
    """Report where the key comes from, masked, and what the keyring is; 3 if no key."""
    from tempmail_tui.core import credentials

    lookup = credentials.lookup_api_key(os.environ)
    info = credentials.describe_keyring()
    if lookup.key is not None:
        where = credentials.ENV_VAR if lookup.source == "env" else "the OS keyring"
        print(f"API key: {credentials.mask_key(lookup.key)} (from {where})")
    else:
        print("API key: none found")
    if lookup.problem is not None and lookup.problem != info.description:
        print(f"Problem: {lookup.problem}")
    state = "" if info.usable else "unavailable: "
    print(f"Keyring: {state}{info.description}")
    if info.insecure:
        print("Warning: this keyring keeps the key in a plain file, only base64-encoded")
    if lookup.key is None:
        print(f"To add a key: run `{PROG} auth set`, or set {credentials.ENV_VAR}.")
        return EXIT_AUTH
    return EXIT_OK


def auth_clear(args: argparse.Namespace) -> int:
    """Remove the key from the keyring; mention the environment variable if it is still set."""
    from tempmail_tui.core import credentials

    try:
        removed = credentials.clear_api_key()
    except credentials.KeyStoreError as exc:
        raise CliError(str(exc), EXIT_AUTH) from None
    print("Removed the API key from the keyring." if removed else "No API key was in the keyring.")
    if os.environ.get(credentials.ENV_VAR, "").strip():
        print(f"Note: {credentials.ENV_VAR} is still set in this shell; unset it to stop using it.")
    return EXIT_OK


# --- the registry -------------------------------------------------------------------------


def _scripting(name: str, help_text: str) -> Command:
    """A scripting command whose arguments and code live in tempmail_tui.cli.mail."""

    # tempmail_tui.cli.mail imports only the standard library at load; httpx, SQLite and
    # the renderer are loaded inside the command that runs.
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        from tempmail_tui.cli import mail as commands

        commands.add_arguments(name, parser)

    def run(args: argparse.Namespace) -> int:
        from tempmail_tui.cli import mail as commands

        return commands.run(name, args)

    return Command(name, help_text, add_arguments, run)


#: Every subcommand, in --help order.
COMMANDS: list[Command] = [
    Command("sandbox", "run the local fake Temp Mail API server", _sandbox_arguments, run_sandbox),
    Command("auth", "manage the API key: set, status, clear", _auth_arguments),
    _scripting("new", "create a random mailbox and print its address"),
    _scripting("boxes", "list the mailboxes this machine knows, with state and expiry"),
    _scripting("messages", "list a mailbox's messages (id, time, sender, subject)"),
    _scripting("wait", "wait for a new message in a mailbox and print it"),
    _scripting("code", "wait for a new message and print only its verification code"),
    _scripting("link", "wait for a new message and print only its action link"),
    _scripting("read", "print a message: headers and text, or JSON"),
    _scripting("save", "save a message's attachments and print each path"),
    _scripting("rm", "delete a message"),
    _scripting("rm-box", "delete a mailbox (its stored mail stays readable)"),
]


def _error(message: str) -> None:
    # Messages may quote environment values or paths; escapes in them must not reach the terminal.
    clean = "".join(ch if ch.isprintable() else "?" for ch in message)
    print(f"{PROG}: {clean}", file=sys.stderr)
