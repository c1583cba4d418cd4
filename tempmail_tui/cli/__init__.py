"""The tempmail-tui command line: the reader, the scripting commands, the sandbox and the key."""

from __future__ import annotations

import gc
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from tempmail_tui.cli.command import Command, Handler
from tempmail_tui.cli.errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CliError,
    failure_of,
)
from tempmail_tui.cli.output import log_pointer, say
from tempmail_tui.cli.tui import Reader, run_tui
from tempmail_tui.core import logfile
from tempmail_tui.errors import TempMailError

# The parser (argparse) loads only for options or a command: the reader alone needs neither.
if TYPE_CHECKING:
    import argparse

# Heavy libraries (textual, httpx, keyring, html2text, starlette, SQLite) are imported only
# inside the command that needs them, so --help and the small commands start fast; the
# command modules themselves load only when a command is named (the reader needs none).

__all__ = ["COMMANDS", "Reader", "main"]

log = logging.getLogger(__name__)


def _in(module: str, name: str) -> Callable[..., Any]:
    """``name`` in the command module ``module``, imported on the first call."""

    def call(*args: Any) -> Any:
        return getattr(importlib.import_module(f"{__name__}.{module}"), name)(*args)

    call.__qualname__ = call.__name__ = f"{module}.{name}"
    return call


#: Every subcommand, in --help order.
COMMANDS: list[Command] = [
    Command(
        "sandbox",
        "run the local fake Temp Mail API server",
        _in("sandbox", "add_arguments"),
        _in("sandbox", "run"),
    ),
    Command("auth", "manage the API key: set, status, clear", _in("auth", "add_arguments")),
    Command(
        "new",
        "create a random mailbox and print its address",
        _in("boxes", "add_new"),
        _in("boxes", "run_new"),
    ),
    Command(
        "boxes",
        "list the mailboxes this machine knows, with state and expiry",
        _in("boxes", "add_boxes"),
        _in("boxes", "run_boxes"),
    ),
    Command(
        "messages",
        "list a mailbox's messages (id, time, sender, subject)",
        _in("mail", "add_messages"),
        _in("mail", "run_messages"),
    ),
    Command(
        "wait",
        "wait for a new message in a mailbox and print it",
        _in("wait", "add_wait"),
        _in("wait", "run_wait"),
    ),
    Command(
        "code",
        "wait for a new message and print only its verification code",
        _in("wait", "add_code"),
        _in("wait", "run_code"),
    ),
    Command(
        "link",
        "wait for a new message and print only its action link",
        _in("wait", "add_waiting"),
        _in("wait", "run_link"),
    ),
    Command(
        "run",
        "create a mailbox, run a command with its address, print the code it was sent",
        _in("run", "add_run"),
        _in("run", "run_run"),
    ),
    Command(
        "read",
        "print a message: headers and text, or JSON",
        _in("mail", "add_read"),
        _in("mail", "run_read"),
    ),
    Command(
        "save",
        "save a message's attachments and print each path",
        _in("mail", "add_save"),
        _in("mail", "run_save"),
    ),
    Command("rm", "delete a message", _in("mail", "add_rm"), _in("mail", "run_rm")),
    Command(
        "rm-box",
        "delete a mailbox, or every live one with a label (its stored mail stays readable)",
        _in("boxes", "add_rm_box"),
        _in("boxes", "run_rm_box"),
    ),
    Command(
        "label",
        "show or change a mailbox's labels on this machine (no request)",
        _in("boxes", "add_label"),
        _in("boxes", "run_label"),
    ),
    Command(
        "forget",
        "remove archived mailboxes and their stored mail from this machine",
        _in("archive", "add_forget"),
        _in("archive", "run_forget"),
    ),
    Command(
        "search",
        "search the stored mail of every box, as the reader's f does (no request)",
        _in("archive", "add_search"),
        _in("archive", "run_search"),
    ),
    Command(
        "export",
        "write a box's (or one message's) stored mail as JSON or a reconstructed mbox",
        _in("archive", "add_export"),
        _in("archive", "run_export"),
    ),
]


def main(argv: Sequence[str] | None = None, *, reader: Reader | None = None) -> int:
    """Run the command line and return the process exit status.

    ``reader`` runs the Textual reader when no command is named; the console script
    (tempmail_tui/console.py) provides it, so the command line never imports the UI.
    """
    try:
        args = _reader_args(argv)
        if args is None:
            from tempmail_tui.cli.parser import build_parser

            try:
                args = build_parser(COMMANDS).parse_args(argv)
            except SystemExit as exc:
                # --help and --version print and "exit"; report their status instead.
                return exc.code if isinstance(exc.code, int) else EXIT_USAGE
        args.log_setup = logfile.configure(logfile.chosen_log_path(args.log, os.environ))
        log.debug("command line: %s", args.command or "(reader)")
        handler: Handler | None = getattr(args, "handler", None)
        if handler is None:
            return run_tui(args, reader)
        # The console script starts with the collector off for the reader's first frame
        # (console.py); a command may run for hours, with it on.
        gc.enable()
        return handler(args)
    except TempMailError as exc:
        failure = failure_of(exc)
        say(failure.message)
        return failure.status
    except KeyboardInterrupt:
        say("interrupted")
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
        say(f"unexpected error ({type(exc).__name__}){log_pointer()}; please report it")
        return EXIT_FAILURE


#: What the reader's parser (parser.reader_parser) gives for no options at all.
NO_OPTIONS: dict[str, object] = {
    "base_url": None,
    "download_dir": None,
    "poll_interval": None,
    "demo": False,
    "no_bell": False,
    "log": None,
    "command": None,
}


def _reader_args(argv: Sequence[str] | None) -> argparse.Namespace | None:
    """The options if they name no command (the reader), read without the commands' parsers.

    None for anything else (a command, --help, --version, a mistake): the full parser, whose
    command modules cost ~25 ms to load and build, then runs it or says what is wrong.
    """
    if not (sys.argv[1:] if argv is None else argv):
        # The usual launch: no parser is built (argparse alone is ~3 ms before the reader's
        # first frame). The same attributes (tests/test_cli_reader_path.py checks).
        return cast("argparse.Namespace", SimpleNamespace(**NO_OPTIONS))
    from tempmail_tui.cli.parser import reader_parser

    try:
        return reader_parser().parse_args(argv)
    except CliError:
        return None
