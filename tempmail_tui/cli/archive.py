"""The forget command: remove archived mailboxes and their stored mail from this machine."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

from tempmail_tui.cli.errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CliError
from tempmail_tui.cli.output import PROG, out, out_json, say
from tempmail_tui.cli.parser import json_flag
from tempmail_tui.cli.session import settings
from tempmail_tui.core.sanitize import clean_line

if TYPE_CHECKING:
    from tempmail_tui.core.archive import Archive, ArchivedBox


def add_forget(parser: argparse.ArgumentParser) -> None:
    """Declare forget's arguments."""
    parser.add_argument(
        "address", metavar="ADDRESS", nargs="?", help="the archived mailbox to forget"
    )
    parser.add_argument(
        "--archived", action="store_true", help="forget every archived mailbox (expired, deleted)"
    )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    json_flag(parser)


def _count(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _what(boxes: list[ArchivedBox]) -> str:
    """The boxes and their mail in words: "a@x.test and its 3 stored messages"."""
    mail = _count(sum(b.messages for b in boxes), "stored message", "stored messages")
    if len(boxes) == 1:
        return f"{clean_line(boxes[0].email)} and its {mail}"
    return f"{_count(len(boxes), 'archived mailbox', 'archived mailboxes')} and their {mail}"


def confirmed(question: str, stdin: TextIO, stderr: TextIO) -> bool:
    """Ask a yes/no question on the terminal; a script (no terminal) must pass --yes."""
    if not stdin.isatty():
        raise CliError(f"{question.rstrip('?')}: not a terminal to ask on; add --yes", EXIT_USAGE)
    stderr.write(f"{PROG}: {question} [y/N] ")
    stderr.flush()
    try:
        answer = stdin.readline()
    except EOFError:
        answer = ""
    return answer.strip().casefold() in ("y", "yes")


async def _chosen(archive: Archive, args: argparse.Namespace) -> list[ArchivedBox]:
    """The archived boxes the arguments name; a live box is refused with the way out."""
    from tempmail_tui.core.archive import StillLiveError

    if args.archived:
        return await archive.boxes()
    try:
        return [await archive.box(args.address)]
    except StillLiveError as error:
        raise CliError(
            f"{clean_line(error.email)} is still live; delete it on the server first "
            f"(`{PROG} rm-box {clean_line(error.email)}`), then forget it",
            EXIT_USAGE,
        ) from None


def run_forget(args: argparse.Namespace) -> int:
    """Remove archived boxes and all their stored mail from this machine (no request)."""
    import asyncio

    from tempmail_tui.core.session import open_archive

    if (args.address is None) == (not args.archived):
        raise CliError(
            f"name one ADDRESS or give --archived (see `{PROG} forget --help`)", EXIT_USAGE
        )
    # No key needed: the settings are loaded for their warnings, and to refuse --demo.
    settings(args, keyring=False)

    async def work() -> int:
        async with open_archive(warn=lambda notice: say(f"warning: {notice}")) as archive:
            boxes = await _chosen(archive, args)
            if not boxes:
                say("no archived mailboxes to forget")
                removed = 0
            else:
                question = f"Forget {_what(boxes)} on this machine?"
                if not args.yes and not confirmed(question, sys.stdin, sys.stderr):
                    say("nothing forgotten")
                    return EXIT_FAILURE
                removed = await archive.forget([b.email for b in boxes])
        if args.json:
            out_json(
                {
                    "forgotten": [
                        {"email": b.email, "state": b.state, "messages": b.messages} for b in boxes
                    ],
                    "messages": removed,
                }
            )
        else:
            for box in boxes:
                out(clean_line(box.email))
            if boxes:
                say(f"forgot {_what(boxes)}")
        return EXIT_OK

    return asyncio.run(work())
