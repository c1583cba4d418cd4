"""The waiting commands: wait, code and link."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from tempmail_tui.cli.errors import EXIT_OK
from tempmail_tui.cli.online import Online, online
from tempmail_tui.cli.output import Notes, message_record, message_row, out, out_json, say
from tempmail_tui.cli.parser import address, json_flag, pattern, positive_seconds
from tempmail_tui.core.format import seconds_in_words

# The schedule, asyncio and the extractors load when a wait starts, not with --help.
if TYPE_CHECKING:
    from tempmail_tui.api.models import Message
    from tempmail_tui.core.config import Config
    from tempmail_tui.core.extract import CodeChoice
    from tempmail_tui.core.results import Fetched
    from tempmail_tui.core.waiting import Found, Retrying

T = TypeVar("T")

#: How long wait, code and link wait by default, in seconds.
DEFAULT_TIMEOUT = 300.0


def add_waiting(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of code and link: the box, the timeout and the filters."""
    address(parser)
    parser.add_argument(
        "--timeout",
        metavar="S",
        type=positive_seconds,
        default=DEFAULT_TIMEOUT,
        help=f"give up after S seconds with exit status 1 (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--from",
        dest="sender",
        metavar="RE",
        type=pattern,
        help="only mail whose sender name or address matches RE (case-insensitive search)",
    )
    parser.add_argument(
        "--subject",
        metavar="RE",
        type=pattern,
        help="only mail whose subject matches RE (case-insensitive search)",
    )
    parser.add_argument(
        "--existing",
        action="store_true",
        help="also accept the newest matching message already in the box when the command starts",
    )


def add_code(parser: argparse.ArgumentParser) -> None:
    """Declare code's arguments: those of link, and --explain."""
    add_waiting(parser)
    parser.add_argument(
        "--explain",
        action="store_true",
        help="after the code (still the first line), say how it was chosen: the line it came "
        "from, the config.toml rule or the score, and why each runner-up lost",
    )


def add_wait(parser: argparse.ArgumentParser) -> None:
    """Declare wait's arguments: those of code and link, and --json."""
    add_waiting(parser)
    json_flag(parser)


def _waiting(
    args: argparse.Namespace,
    extract_for: Callable[[Config], Callable[[Message], T | None]],
    show: Callable[[Found[T]], None],
) -> int:
    """Run one of the waiting commands: wait for a message, then show what was found in it.

    ``extract_for`` gives, from the settings, what to look for in each message.
    """
    from tempmail_tui.core.session import policy_for
    from tempmail_tui.core.waiting import MailFilter, wait_for

    async def work(session: Online) -> int:
        found = await wait_for(
            session.service,
            args.address,
            extract_for(session.config),
            timeout=args.timeout,
            policy=policy_for(session.config),
            mail_filter=MailFilter(args.sender, args.subject),
            existing=args.existing,
            observe=observer(),
        )
        show(found)
        return EXIT_OK

    return online(args, work)


def observer() -> Callable[[Fetched | Retrying], None]:
    """What a wait hears: warnings for unreadable mail (once each) and for failed checks."""
    from tempmail_tui.core.waiting import Retrying

    notes = Notes()

    def observe(event: Fetched | Retrying) -> None:
        if isinstance(event, Retrying):
            say_retrying(event)
        else:
            notes.fetched(event)

    return observe


def say_retrying(event: Retrying) -> None:
    """A warning that a check failed and when the next one goes out."""
    from tempmail_tui.api.errors import RateLimitError

    error = event.error
    if isinstance(error, RateLimitError) and not error.quota_spent:
        say(f"warning: rate limited by the server; retrying in {seconds_in_words(event.pause)}")
    else:
        say(f"warning: {error}; trying again in {event.pause:.1f} s")


def run_wait(args: argparse.Namespace) -> int:
    """Wait for a new matching message and print its id, sender and subject (or JSON)."""
    from tempmail_tui.core.waiting import any_message

    def show(found: Found[bool]) -> None:
        if args.json:
            out_json(message_record(found.message, found.mailbox))
        else:
            out(message_row(found.message))

    return _waiting(args, lambda _config: any_message, show)


def _print_value(found: Found[str]) -> None:
    out(found.value)


def run_code(args: argparse.Namespace) -> int:
    """Wait for a new matching message with a one-time code and print only the code.

    With --explain, the lines after the code say how it was chosen.  The code is chosen by
    config.toml's [[codes]] rules first, as the reader chooses it.
    """
    from tempmail_tui.core.waiting import code_choice

    def show(found: Found[CodeChoice]) -> None:
        from tempmail_tui.core.extract import explain
        from tempmail_tui.core.sanitize import clean_line

        out(clean_line(found.value.code))
        if args.explain:
            for line in explain(found.value):
                # Cleaned again as everything printed is; the indent of a "line:" is kept.
                indent = " " * (len(line) - len(line.lstrip(" ")))
                out(indent + clean_line(line))

    return _waiting(args, lambda config: partial(code_choice, rules=config.code_rules), show)


def run_link(args: argparse.Namespace) -> int:
    """Wait for a new matching message with an action link and print only the link."""
    from tempmail_tui.core.waiting import link_of

    return _waiting(args, lambda _config: link_of, _print_value)
