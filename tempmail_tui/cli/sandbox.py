"""The sandbox command: the local fake Temp Mail API server, in the foreground."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from tempmail_tui.cli.errors import EXIT_USAGE, CliError

if TYPE_CHECKING:
    from tempmail_tui.core.export import ExportedMessage

DEFAULT_SANDBOX_PORT = 8025
DEFAULT_SANDBOX_SMTP_PORT = 1025


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 0 and 65535, not {port}")
    return port


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the sandbox's ports, key and samples."""
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
    parser.add_argument(
        "--replay",
        metavar="FILE",
        type=Path,
        action="append",
        default=[],
        help="put the messages of a JSON export (`export --format json`) into a new mailbox; "
        "repeatable (all go into the one box)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the local sandbox API server in the foreground until interrupted."""
    from tempmail_tui.sandbox.server import run_foreground

    replayed = [message for path in args.replay for message in _exported(path)]
    return run_foreground(
        port=args.port,
        smtp_port=args.smtp_port,
        api_key=args.api_key,
        samples=not args.no_samples,
        replayed=replayed,
    )


def _exported(path: Path) -> list[ExportedMessage]:
    """The messages of one export file; a clear message when it cannot be read."""
    from tempmail_tui.core.export import ExportFormatError, read_json

    try:
        return read_json(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror or error}", EXIT_USAGE) from None
    except UnicodeDecodeError:
        raise CliError(f"{path}: not UTF-8 text", EXIT_USAGE) from None
    except ExportFormatError as error:
        raise CliError(f"{path}: {error}", EXIT_USAGE) from None
