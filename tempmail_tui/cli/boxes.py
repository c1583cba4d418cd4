"""The mailbox commands: new, boxes, rm-box and label."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tempmail_tui.cli.archive import confirmed
from tempmail_tui.cli.errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CliError, failure_of
from tempmail_tui.cli.online import Online, online
from tempmail_tui.cli.output import (
    PROG,
    box_row,
    mailbox_record,
    out,
    out_json,
    say,
    say_opening,
    stored_mailbox_record,
)
from tempmail_tui.cli.parser import json_flag, label_flag
from tempmail_tui.cli.session import settings
from tempmail_tui.core.sanitize import clean_line
from tempmail_tui.errors import TempMailError

if TYPE_CHECKING:
    from tempmail_tui.core.store import StoredMailbox


def add_new(parser: argparse.ArgumentParser) -> None:
    """Declare new's arguments."""
    label_flag(parser, "label the new mailbox L (repeatable)")
    json_flag(parser)


def run_new(args: argparse.Namespace) -> int:
    """Create a random mailbox, remember it and print its address (or its record as JSON)."""

    async def work(session: Online) -> int:
        mailbox = await session.service.create_mailbox(args.label or ())
        if args.json:
            out_json(mailbox_record(mailbox))
        else:
            out(clean_line(mailbox.email))
        return EXIT_OK

    return online(args, work)


def add_boxes(parser: argparse.ArgumentParser) -> None:
    """Declare boxes' arguments."""
    label_flag(parser, "only the mailboxes labelled L (ignoring case; repeat: all of them)")
    json_flag(parser)


def run_boxes(args: argparse.Namespace) -> int:
    """List the mailboxes the local store knows, newest first, without asking the server."""
    from tempmail_tui.core.labels import has_label
    from tempmail_tui.core.session import known_boxes

    # No key needed: the settings are loaded for their warnings, and to refuse --demo.
    settings(args, keyring=False)
    known = known_boxes(warn=lambda notice: say(f"warning: {notice}"), notice=say_opening)
    boxes = [b for b in known.boxes if all(has_label(b.labels, x) for x in args.label or ())]
    now = datetime.now(UTC)
    if args.json:
        out_json([stored_mailbox_record(b, known.unread_of(b.email), now) for b in boxes])
    else:
        for box in boxes:
            out(box_row(box, known.unread_of(box.email), now))
    return EXIT_OK


def add_rm_box(parser: argparse.ArgumentParser) -> None:
    """Declare rm-box's arguments: one ADDRESS, or --label L with --yes."""
    parser.add_argument("address", metavar="ADDRESS", nargs="?", help="the mailbox to delete")
    parser.add_argument(
        "--label",
        metavar="L",
        help="delete every live mailbox labelled L (asks first; a script passes --yes)",
    )
    parser.add_argument("--yes", action="store_true", help="with --label: do not ask")


def run_rm_box(args: argparse.Namespace) -> int:
    """Delete a mailbox (or every live one with a label) on the server; stored mail stays."""
    if (args.address is None) == (args.label is None):
        raise CliError(
            f"name one ADDRESS or give --label L (see `{PROG} rm-box --help`)", EXIT_USAGE
        )
    if args.label is not None:
        return _rm_labelled(args)

    async def work(session: Online) -> int:
        if not await session.service.delete_mailbox(args.address):
            say(f"{args.address} was already gone from the server; marked it deleted")
        return EXIT_OK

    return online(args, work)


def _count(count: int) -> str:
    return f"{count} mailbox{'es' * (count != 1)}"


def _rm_labelled(args: argparse.Namespace) -> int:
    """Delete every live box carrying the label, after saying which and asking."""
    from tempmail_tui.core.archive import is_archived
    from tempmail_tui.core.labels import clean_label

    label = clean_label(args.label)
    shown = clean_line(label)

    async def work(session: Online) -> int:
        now = datetime.now(UTC)
        boxes = [b for b in await session.service.labelled(label) if not is_archived(b, now)]
        if not boxes:
            say(f"no live mailboxes labelled {shown}")
            return EXIT_OK
        say(f"{_count(len(boxes))} labelled {shown}:")
        for box in boxes:
            say(f"  {clean_line(box.email)}")
        question = f"Delete {_count(len(boxes))} labelled {shown}?"
        if not args.yes and not confirmed(question, sys.stdin, sys.stderr):
            say("nothing deleted")
            return EXIT_FAILURE
        return await _delete_each(session, boxes, shown)

    return online(args, work)


async def _delete_each(session: Online, boxes: list[StoredMailbox], shown: str) -> int:
    """Delete the boxes one by one, each failure said; the count at the end."""
    failed: list[int] = []
    for box in boxes:
        try:
            await session.service.delete_mailbox(box.email)
        except TempMailError as error:
            failure = failure_of(error)
            failed.append(failure.status)
            say(f"could not delete {clean_line(box.email)}: {failure.message}")
        else:
            out(clean_line(box.email))
    say(f"deleted {len(boxes) - len(failed)} of {_count(len(boxes))} labelled {shown}")
    # Every one failing for the same reason (the key) says so in the status too.
    return failed[0] if failed else EXIT_OK


def add_label(parser: argparse.ArgumentParser) -> None:
    """Declare label's arguments: the box, labels to add, --remove and --clear."""
    parser.add_argument("address", metavar="ADDRESS", help="a mailbox this machine knows")
    parser.add_argument("labels", metavar="LABEL", nargs="*", help="labels to add")
    parser.add_argument(
        "--remove", metavar="L", action="append", default=[], help="take label L off (repeatable)"
    )
    parser.add_argument(
        "--clear", action="store_true", help="take every label off first (with LABELs: replace)"
    )
    json_flag(parser)


def run_label(args: argparse.Namespace) -> int:
    """Show or change a box's labels in the local store (no request, no key) and print them."""
    import asyncio

    from tempmail_tui.core.archive import UnknownMailboxError
    from tempmail_tui.core.labels import has_label
    from tempmail_tui.core.session import open_archive

    settings(args, keyring=False)
    changing = bool(args.labels or args.remove or args.clear)

    async def work() -> StoredMailbox:
        async with open_archive(
            warn=lambda notice: say(f"warning: {notice}"), notice=say_opening
        ) as archive:
            box = await archive.mailbox(args.address)
            if box is None:
                raise UnknownMailboxError(args.address)
            if not changing:
                return box
            kept = [] if args.clear else list(box.labels)
            kept = [x for x in kept if not any(has_label([x], gone) for gone in args.remove)]
            return await archive.set_labels(box.email, [*kept, *args.labels])

    box = asyncio.run(work())
    if args.json:
        out_json({"email": box.email, "labels": list(box.labels)})
    elif box.labels:
        for label in box.labels:
            out(clean_line(label))
    else:
        say(f"{clean_line(box.email)} has no labels")
    return EXIT_OK
