"""The message commands: messages, read, save and rm."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from tempmail_tui.cli.errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CliError
from tempmail_tui.cli.online import Online, online
from tempmail_tui.cli.output import (
    Notes,
    headers,
    message_record,
    message_row,
    out,
    out_json,
    say,
)
from tempmail_tui.cli.parser import address, json_flag, message_id

if TYPE_CHECKING:
    from tempmail_tui.core.mail import MailService
    from tempmail_tui.core.results import LoadedMessage
    from tempmail_tui.core.store import StoredMessage


def add_messages(parser: argparse.ArgumentParser) -> None:
    """Declare messages' arguments."""
    address(parser)
    json_flag(parser)


def run_messages(args: argparse.Namespace) -> int:
    """List a box's messages from the server (stored too); the stored ones if the box is gone."""

    async def work(session: Online) -> int:
        fetched = await session.service.fetch(args.address, or_stored=True)
        Notes().fetched(fetched)
        if fetched.gone:
            say(
                f"{fetched.mailbox} is no longer on the server (expired or deleted); "
                f"showing the {len(fetched.messages)} stored message(s)"
            )
        if args.json:
            out_json([message_record(m, fetched.mailbox) for m in fetched.messages])
        else:
            for message in fetched.messages:
                out(message_row(message))
        return EXIT_OK

    return online(args, work)


async def _load(service: MailService, message_id: str, *, refresh: bool) -> LoadedMessage:
    """A message as ``load_message`` gives it, saying on stderr when it is the stored copy."""
    from tempmail_tui.api.errors import AuthenticationError, NotFoundError

    loaded = await service.load_message(message_id, refresh=refresh)
    error = loaded.server_error
    if isinstance(error, AuthenticationError):
        # A rejected key is the answer (exit 3), not a reason to fall back on a stored copy.
        raise error
    if error is not None:
        why = "it is no longer on the server" if isinstance(error, NotFoundError) else str(error)
        say(f"{why}; using the stored copy")
    return loaded


def add_read(parser: argparse.ArgumentParser) -> None:
    """Declare read's arguments: the id, and --text or --json."""
    message_id(parser)
    form = parser.add_mutually_exclusive_group()
    form.add_argument(
        "--text",
        dest="json",
        action="store_false",
        help="headers and the body as plain text (the default)",
    )
    form.add_argument("--json", dest="json", action="store_true", help="the message record as JSON")
    # Both flags write "json"; without this argparse would take --text's default (True).
    parser.set_defaults(json=False)


def run_read(args: argparse.Namespace) -> int:
    """Print a message: headers and body as text, or its record as JSON."""

    async def work(session: Online) -> int:
        loaded = await _load(session.service, args.message_id, refresh=True)
        message = loaded.message.to_message()
        if args.json:
            out_json(message_record(message, loaded.mailbox))
            return EXIT_OK
        await print_message(session.service, loaded.message)
        return EXIT_OK

    return online(args, work)


async def print_message(service: MailService, message: StoredMessage) -> None:
    """Print a message's headers and its body as text (HTML converted, all cleaned)."""
    rendered = await service.render(message)
    out(headers(message.to_message()) + "\n\n" + rendered.text)
    if rendered.notice:
        say(f"note: {rendered.notice}")


def add_save(parser: argparse.ArgumentParser) -> None:
    """Declare save's arguments: the id and --dir."""
    message_id(parser)
    parser.add_argument(
        "--dir",
        metavar="D",
        type=Path,
        help="where to save (default: the download directory, see --download-dir)",
    )


def run_save(args: argparse.Namespace) -> int:
    """Save every attachment of a message under safe, free names and print each path."""

    async def work(session: Online) -> int:
        # The stored record already names the attachments; reading again would cost a request.
        loaded = await _load(session.service, args.message_id, refresh=False)
        message = loaded.message
        if not message.attachments:
            raise CliError("the message has no attachments", EXIT_FAILURE)
        directory: Path = args.dir or session.config.download_dir
        for attachment in message.attachments:
            try:
                path = await session.service.save_attachment(message.id, attachment, directory)
            except OSError as exc:
                reason = exc.strerror or str(exc)
                raise CliError(f"could not save into {directory}: {reason}", EXIT_USAGE) from None
            out(str(path))
        return EXIT_OK

    return online(args, work)


def run_rm(args: argparse.Namespace) -> int:
    """Delete a message on the server and from the local store."""

    async def work(session: Online) -> int:
        if not await session.service.delete_message(args.message_id):
            say("the message was already gone from the server; removed the stored copy")
        return EXIT_OK

    return online(args, work)


add_rm = message_id
