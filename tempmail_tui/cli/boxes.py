"""The mailbox commands: new, boxes and rm-box."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from tempmail_tui.cli.errors import EXIT_OK
from tempmail_tui.cli.output import (
    box_row,
    mailbox_record,
    out,
    out_json,
    say,
    stored_mailbox_record,
)
from tempmail_tui.cli.parser import address, json_flag
from tempmail_tui.cli.session import Online, online, settings
from tempmail_tui.core.sanitize import clean_line


def add_new(parser: argparse.ArgumentParser) -> None:
    """Declare new's arguments."""
    json_flag(parser)


def run_new(args: argparse.Namespace) -> int:
    """Create a random mailbox, remember it and print its address (or its record as JSON)."""

    async def work(session: Online) -> int:
        mailbox = await session.service.create_mailbox()
        if args.json:
            out_json(mailbox_record(mailbox))
        else:
            out(clean_line(mailbox.email))
        return EXIT_OK

    return online(args, work)


def add_boxes(parser: argparse.ArgumentParser) -> None:
    """Declare boxes' arguments."""
    json_flag(parser)


def run_boxes(args: argparse.Namespace) -> int:
    """List the mailboxes the local store knows, newest first, without asking the server."""
    from tempmail_tui.core.session import known_boxes

    # No key needed: the settings are loaded for their warnings, and to refuse --demo.
    settings(args, keyring=False)
    known = known_boxes(warn=lambda notice: say(f"warning: {notice}"))
    now = datetime.now(UTC)
    if args.json:
        out_json([stored_mailbox_record(b, known.unread_of(b.email), now) for b in known.boxes])
    else:
        for box in known.boxes:
            out(box_row(box, known.unread_of(box.email), now))
    return EXIT_OK


def run_rm_box(args: argparse.Namespace) -> int:
    """Delete a mailbox on the server; its stored mail stays readable, archived."""

    async def work(session: Online) -> int:
        if not await session.service.delete_mailbox(args.address):
            say(f"{args.address} was already gone from the server; marked it deleted")
        return EXIT_OK

    return online(args, work)


add_rm_box = address
