"""The local archive's commands: forget, search and export (no request, no key)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tempmail_tui.cli.errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CliError
from tempmail_tui.cli.output import PROG, out, out_json, say, say_opening
from tempmail_tui.cli.parser import json_flag
from tempmail_tui.cli.session import settings
from tempmail_tui.core.format import local_minute
from tempmail_tui.core.sanitize import clean_line, clean_text

if TYPE_CHECKING:
    from tempmail_tui.core.archive import Archive, ArchivedBox
    from tempmail_tui.core.export import ExportedMessage
    from tempmail_tui.core.store import SearchHit


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
        async with open_archive(
            warn=lambda notice: say(f"warning: {notice}"), notice=say_opening
        ) as archive:
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


def add_search(parser: argparse.ArgumentParser) -> None:
    """Declare search's arguments."""
    parser.add_argument(
        "query",
        metavar="QUERY",
        nargs="+",
        help="words every message must contain (a trailing * makes a prefix); "
        "label:NAME keeps the mail of boxes labelled NAME",
    )
    json_flag(parser)


def search_row(message: SearchHit) -> str:
    """One tab-separated line: id, local receive time, mailbox, sender, subject (cleaned)."""
    return "\t".join(
        (
            clean_line(message.id),
            local_minute(message.received_at),
            clean_line(message.mailbox),
            clean_line(message.sender) or "(no sender)",
            clean_line(message.subject) or "(no subject)",
        )
    )


def hit_record(hit: SearchHit) -> dict[str, object]:
    """The JSON form of a search hit: the headers (``read ID`` or ``export ID`` gives the body)."""
    return {
        "id": hit.id,
        "mailbox": hit.mailbox,
        "from": hit.from_name,
        "from_email": hit.from_email,
        "subject": hit.subject,
        "received_at": hit.received_at.astimezone(UTC).isoformat(),
        "is_seen": hit.is_seen,
        "is_html": hit.is_html,
        "archived": hit.archived,
    }


def run_search(args: argparse.Namespace) -> int:
    """Search the stored mail of every box, as the reader's `f` does (no request, no key)."""
    import asyncio

    from tempmail_tui.core.session import open_archive

    settings(args, keyring=False)
    query = " ".join(args.query)

    async def work() -> list[SearchHit]:
        async with open_archive(
            warn=lambda notice: say(f"warning: {notice}"), notice=say_opening
        ) as archive:
            return await archive.search(query)

    found = asyncio.run(work())
    if args.json:
        out_json([hit_record(m) for m in found])
    else:
        for message in found:
            out(search_row(message))
    if not found:
        say("no stored message matches")
        return EXIT_FAILURE
    return EXIT_OK


def add_export(parser: argparse.ArgumentParser) -> None:
    """Declare export's arguments."""
    from tempmail_tui.core.export import FORMATS

    parser.add_argument(
        "target", metavar="ADDRESS|ID", help="a mailbox (all its stored mail) or one message id"
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="json", help="json (the default) or mbox"
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", type=Path, help="write to FILE (default: stdout)"
    )
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")


def run_export(args: argparse.Namespace) -> int:
    """Write stored mail as JSON (readable by `sandbox --replay`) or a reconstructed mbox."""
    import asyncio

    from tempmail_tui.core.export import to_json, to_mbox
    from tempmail_tui.core.session import open_archive

    settings(args, keyring=False)

    async def work() -> list[ExportedMessage]:
        async with open_archive(
            warn=lambda notice: say(f"warning: {notice}"), notice=say_opening
        ) as archive:
            return await _exported(archive, args.target)

    messages = asyncio.run(work())
    text = to_json(messages) if args.format == "json" else to_mbox(messages)
    if args.output is None:
        # A terminal never gets a stranger's escapes; a pipe or a file gets the data as is.
        sys.stdout.write(clean_text(text) if sys.stdout.isatty() else text)
        sys.stdout.flush()
    else:
        _write(args.output, text, overwrite=args.force)
    say(f"exported {len(messages)} message{'s' * (len(messages) != 1)}")
    return EXIT_OK


async def _exported(archive: Archive, target: str) -> list[ExportedMessage]:
    """The stored mail a target names (a box's, or one message), with the box's labels."""
    from tempmail_tui.core.export import ExportedMessage

    box = await archive.mailbox(target)
    if box is not None:
        return [ExportedMessage(m, box.labels) for m in await archive.messages(box.email)]
    message = await archive.message(target)
    if message is None:
        raise CliError(
            f"{clean_line(target)} is neither a mailbox nor a message stored on this machine",
            EXIT_USAGE,
        )
    owner = await archive.mailbox(message.mailbox)
    return [ExportedMessage(message, owner.labels if owner is not None else ())]


def _write(path: Path, text: str, *, overwrite: bool) -> None:
    """Write the export to exactly ``path``: complete or not at all, never over a file."""
    from tempmail_tui.core.savefile import write_file

    try:
        write_file(path, text.encode("utf-8"), overwrite=overwrite)
    except FileExistsError:
        raise CliError(f"{path} already exists; add --force to replace it", EXIT_USAGE) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise CliError(f"could not write {path}: {reason}", EXIT_USAGE) from None
