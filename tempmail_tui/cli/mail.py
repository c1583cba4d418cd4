"""The scripting commands: new, boxes, messages, wait, code, link, read, save, rm and rm-box."""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from tempmail_tui.cli import EXIT_AUTH, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, PROG, CliError, _error
from tempmail_tui.core.config import API_KEY_ENV_VAR, Config, ConfigError, load_config

# This module is imported whenever the parser is built (the TUI included), so everything
# heavy (httpx, sqlite3, the renderer, asyncio) is imported inside the functions that need it.
if TYPE_CHECKING:
    from datetime import datetime

    from tempmail_tui.api.client import TempMailClient
    from tempmail_tui.api.models import Mailbox, Message, UnreadableMessage
    from tempmail_tui.core.mail import MailService
    from tempmail_tui.core.store import Store, StoredMailbox

T = TypeVar("T")

#: How long wait, code and link wait by default, in seconds.
DEFAULT_TIMEOUT = 300.0
# The shortest pause of the wait loop, so a schedule that says "now" cannot spin.
_MIN_PAUSE = 0.05
_TIME_FORMAT = "%Y-%m-%d %H:%M"


# --- arguments ----------------------------------------------------------------------------


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text!r}")
    return value


def _pattern(text: str) -> re.Pattern[str]:
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as exc:
        raise argparse.ArgumentTypeError(f"not a valid regular expression: {exc}") from None


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print JSON (non-ASCII and controls escaped)"
    )


def _address(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("address", metavar="ADDRESS", help="the mailbox address")


def _message_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("message_id", metavar="ID", help="the message id (see `messages`)")


def _wait_arguments(parser: argparse.ArgumentParser) -> None:
    _address(parser)
    parser.add_argument(
        "--timeout",
        metavar="S",
        type=_positive_seconds,
        default=DEFAULT_TIMEOUT,
        help=f"give up after S seconds with exit status 1 (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--from",
        dest="sender",
        metavar="RE",
        type=_pattern,
        help="only mail whose sender name or address matches RE (case-insensitive search)",
    )
    parser.add_argument(
        "--subject",
        metavar="RE",
        type=_pattern,
        help="only mail whose subject matches RE (case-insensitive search)",
    )
    parser.add_argument(
        "--existing",
        action="store_true",
        help="also accept the newest matching message already in the box when the command starts",
    )


def _add_new(parser: argparse.ArgumentParser) -> None:
    _json_flag(parser)


def _add_boxes(parser: argparse.ArgumentParser) -> None:
    _json_flag(parser)


def _add_messages(parser: argparse.ArgumentParser) -> None:
    _address(parser)
    _json_flag(parser)


def _add_wait(parser: argparse.ArgumentParser) -> None:
    _wait_arguments(parser)
    _json_flag(parser)


def _add_read(parser: argparse.ArgumentParser) -> None:
    _message_id(parser)
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


def _add_save(parser: argparse.ArgumentParser) -> None:
    _message_id(parser)
    parser.add_argument(
        "--dir",
        metavar="D",
        type=Path,
        help="where to save (default: the download directory, see --download-dir)",
    )


# --- settings, client and store -------------------------------------------------------------


def _config(args: argparse.Namespace, *, need_key: bool) -> Config:
    if args.demo:
        raise CliError("--demo applies to the reader only; run `tempmail-tui sandbox`", EXIT_USAGE)
    flags: dict[str, object] = {
        "base_url": args.base_url,
        "download_dir": args.download_dir,
        "poll_interval": args.poll_interval,
    }
    try:
        config = load_config(flags=flags, environ=os.environ, use_keyring=need_key)
    except ConfigError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    for warning in config.warnings:
        _error(f"warning: {warning}")
    if need_key and config.api_key is None:
        why = f" ({config.api_key_problem})" if config.api_key_problem else ""
        raise CliError(
            f"no API key{why}: set {API_KEY_ENV_VAR} or run `{PROG} auth set`", EXIT_AUTH
        )
    return config


def _open_store() -> Store:
    from tempmail_tui.core import paths
    from tempmail_tui.core.store import Store

    store = Store.open(paths.store_path())
    if store.recovered_from is not None:
        _error(f"warning: the local store was damaged and moved to {store.recovered_from}")
    if store.fallback_reason is not None:
        _error(f"warning: {store.fallback_reason}; nothing will be remembered")
    if store.read_only_reason is not None:
        _error(
            f"warning: the local store {store.path} cannot be written "
            f"({store.read_only_reason}); its mail is read, new mail is not kept"
        )
    return store


@dataclass(frozen=True)
class Session:
    """What an online command works with: the settings, API client, local store and service."""

    config: Config
    client: TempMailClient
    store: Store
    service: MailService
    # Warnings already given (unreadable messages by label, _STORE_WARNING), so a wait loop
    # says each once.
    warned: set[str] = field(default_factory=set)


def _online(
    args: argparse.Namespace, work: Callable[[Session], Awaitable[int]], *, retries: int = 3
) -> int:
    """Run ``work`` with a client and store built from the configuration; map failures to codes.

    ``retries`` is how often the client repeats a failed GET before reporting it.
    """
    import asyncio

    from tempmail_tui.api.errors import ApiError, AuthenticationError
    from tempmail_tui.core.store import StoreError

    config = _config(args, need_key=True)
    store = _open_store()
    try:
        return asyncio.run(_session(config, store, work, retries))
    except AuthenticationError as exc:
        raise CliError(
            f"{exc} (check {API_KEY_ENV_VAR} or `{PROG} auth status`)", EXIT_AUTH
        ) from None
    except ApiError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    except StoreError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    finally:
        store.close()


async def _session(
    config: Config, store: Store, work: Callable[[Session], Awaitable[int]], retries: int
) -> int:
    from tempmail_tui.api.client import TempMailClient
    from tempmail_tui.core.mail import MailService
    from tempmail_tui.core.render import HtmlRenderer

    assert config.api_key is not None
    renderer = HtmlRenderer()
    try:
        async with TempMailClient(
            config.api_key, base_url=config.base_url, timeout=config.timeout, retries=retries
        ) as client:
            return await work(Session(config, client, store, MailService(client, store, renderer)))
    finally:
        renderer.close()


async def _fetch(session: Session, address: str) -> list[Message]:
    """List a box on the server, remember it and store its messages; newest first.

    Messages the server sent that cannot be read are left out, with a warning on stderr.
    """
    from tempmail_tui.api.errors import NotFoundError
    from tempmail_tui.core.mail import to_sync
    from tempmail_tui.core.store import StoreError

    store = session.store
    try:
        listing = await session.client.list_messages(address)
    except NotFoundError:
        known = store.mailbox(address)
        if known is not None and known.is_live:
            store.mark_mailbox_gone(known.email, "expired")
        raise
    _warn_unreadable(session, listing.unreadable)
    try:
        known = store.mailbox(address)
        if known is None or not known.is_live:
            try:
                # The server just listed it, so it exists: remember it for the reader.
                known = store.add_manual_address(address)
            except ValueError:
                # The server accepted an address the store cannot hold (over 320 characters).
                return _newest_first(listing.messages)
        store.sync_messages(known.email, to_sync(store, known.email, listing))
    except StoreError as exc:
        # A read-only or full store must not cost the user the mail the server just sent:
        # print it, and say once that it was not kept.
        if _STORE_WARNING not in session.warned:
            session.warned.add(_STORE_WARNING)
            _error(f"warning: {exc}; the messages are printed but not kept")
    return _newest_first(listing.messages)


# The key in Session.warned for "the store could not keep the fetched mail".
_STORE_WARNING = "\x00store"

#: At most this many unreadable messages are named in one warning.
_UNREADABLE_NAMED = 5


def _warn_unreadable(session: Session, unreadable: Sequence[UnreadableMessage]) -> None:
    """Say on stderr which messages could not be read, each once per run."""
    from tempmail_tui.core.sanitize import clean_line

    fresh = [entry for entry in unreadable if entry.label not in session.warned]
    if not fresh:
        return
    session.warned.update(entry.label for entry in fresh)
    count = len(fresh)
    named = "; ".join(
        f"{clean_line(entry.label, max_chars=80) or f'#{entry.index + 1}'}: {entry.reason}"
        for entry in fresh[:_UNREADABLE_NAMED]
    )
    more = f"; and {count - _UNREADABLE_NAMED} more" if count > _UNREADABLE_NAMED else ""
    _error(f"warning: {count} message{'s' * (count != 1)} could not be read: {named}{more}")


def _newest_first(messages: Iterable[Message]) -> list[Message]:
    # Stable: messages received in the same second keep the server's order.
    return sorted(messages, key=lambda m: m.received_at, reverse=True)


# --- output ---------------------------------------------------------------------------------


def _out(text: str) -> None:
    # A terminal that cannot show a character gets "?" rather than a crash.
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    print(text.encode(encoding, "replace").decode(encoding))


def _out_json(value: object) -> None:
    import json

    # ensure_ascii escapes C0, C1, bidi and every other non-ASCII character; DEL is ASCII and
    # left raw by json, and can only occur inside a string, so it is escaped here.
    _out(json.dumps(value, ensure_ascii=True, indent=2).replace("\x7f", "\\u007f"))


def _utc_now() -> datetime:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _iso(moment: datetime | None) -> str | None:
    from datetime import UTC

    return None if moment is None else moment.astimezone(UTC).isoformat()


def _local(moment: datetime) -> str:
    return moment.astimezone().strftime(_TIME_FORMAT)


def mailbox_record(mailbox: Mailbox) -> dict[str, object]:
    """The JSON form of a mailbox the API returned, without its email_token."""
    return {
        "id": mailbox.id,
        "email": mailbox.email,
        "domain": mailbox.domain,
        "created_at": _iso(mailbox.created_at),
        "expire_at": _iso(mailbox.expire_at),
        "expires_in_seconds": mailbox.expires_in_seconds,
    }


def _state(box: StoredMailbox, now: datetime) -> str:
    return "expired" if box.state == "live" and box.is_expired(now) else box.state


def stored_mailbox_record(
    box: StoredMailbox, unread: int, now: datetime | None = None
) -> dict[str, object]:
    """The JSON form of a mailbox the store knows, with its state as of ``now``."""
    now = now or _utc_now()
    left = None if box.expire_at is None else max(0, int((box.expire_at - now).total_seconds()))
    return {
        "email": box.email,
        "id": box.id,
        "domain": box.domain,
        "state": _state(box, now),
        "created_at": _iso(box.created_at),
        "expire_at": _iso(box.expire_at),
        "seconds_left": left,
        "added_at": _iso(box.added_at),
        "renamed_to": box.renamed_to,
        "manual": box.manual,
        "unread": unread,
    }


def message_record(message: Message, mailbox: str | None) -> dict[str, object]:
    """The JSON form of a message, content included."""
    return {
        "id": message.id,
        "mailbox": mailbox,
        "from": message.from_name,
        "from_email": message.from_email,
        "to": message.to,
        "subject": message.subject,
        "received_at": _iso(message.received_at),
        "is_seen": message.is_seen,
        "is_html": message.is_html,
        "attachments": [
            {"name": a.name, "extension": a.extension, "size": a.size, "url": a.url}
            for a in message.attachments
        ],
        "content": message.content,
    }


def message_row(message: Message) -> str:
    """One tab-separated line: id, local receive time, sender, subject (all cleaned)."""
    from tempmail_tui.core.sanitize import clean_line

    # clean_line turns tabs into spaces, so the tabs here stay the only separators.
    return "\t".join(
        (
            clean_line(message.id),
            _local(message.received_at),
            clean_line(message.sender) or "(no sender)",
            clean_line(message.subject) or "(no subject)",
        )
    )


def _box_row(box: StoredMailbox, unread: int, now: datetime) -> str:
    from tempmail_tui.core.format import human_duration
    from tempmail_tui.core.sanitize import clean_line

    if box.state == "renamed" and box.renamed_to:
        expiry = f"renamed to {clean_line(box.renamed_to)}"
    elif not box.is_live:
        expiry = "-"
    elif box.expire_at is None:
        expiry = "expiry unknown"
    elif box.expire_at <= now:
        expiry = f"expired {_local(box.expire_at)}"
    else:
        left = human_duration((box.expire_at - now).total_seconds())
        expiry = f"expires {_local(box.expire_at)} ({left} left)"
    return "\t".join((clean_line(box.email), _state(box, now), expiry, f"{unread} unread"))


# --- the commands ---------------------------------------------------------------------------


def cmd_new(args: argparse.Namespace) -> int:
    """Create a random mailbox, remember it and print its address (or its record as JSON)."""

    async def work(session: Session) -> int:
        from tempmail_tui.core.sanitize import clean_line

        mailbox = await session.client.create_mailbox()
        session.store.add_mailbox(mailbox)
        if args.json:
            _out_json(mailbox_record(mailbox))
        else:
            _out(clean_line(mailbox.email))
        return EXIT_OK

    return _online(args, work)


def cmd_boxes(args: argparse.Namespace) -> int:
    """List the mailboxes the local store knows, newest first, without asking the server."""
    from tempmail_tui.core.store import StoreError

    _config(args, need_key=False)
    store = _open_store()
    try:
        boxes = store.mailboxes()
        unread = store.unread_counts()
    except StoreError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    finally:
        store.close()
    now = _utc_now()
    if args.json:
        _out_json([stored_mailbox_record(b, unread.get(b.email, 0), now) for b in boxes])
    else:
        for box in boxes:
            _out(_box_row(box, unread.get(box.email, 0), now))
    return EXIT_OK


def cmd_messages(args: argparse.Namespace) -> int:
    """List a box's messages from the server (stored too); the stored ones if the box is gone."""

    async def work(session: Session) -> int:
        from tempmail_tui.api.errors import NotFoundError

        address: str = args.address
        try:
            messages = await _fetch(session, address)
            mailbox = _stored_address(session.store, address)
        except NotFoundError:
            known = session.store.mailbox(address)
            if known is None:
                raise
            messages = [m.to_message() for m in session.store.messages(known.email)]
            mailbox = known.email
            _error(
                f"{known.email} is no longer on the server (expired or deleted); "
                f"showing the {len(messages)} stored message(s)"
            )
        if args.json:
            _out_json([message_record(m, mailbox) for m in messages])
        else:
            for message in messages:
                _out(message_row(message))
        return EXIT_OK

    return _online(args, work)


def _stored_address(store: Store, address: str) -> str:
    known = store.mailbox(address)
    return known.email if known is not None else address


@dataclass(frozen=True)
class MailFilter:
    """Which messages a wait accepts: sender and subject patterns (None: any)."""

    sender: re.Pattern[str] | None = None
    subject: re.Pattern[str] | None = None

    def matches(self, message: Message) -> bool:
        """Whether the message's cleaned sender and subject match the patterns."""
        from tempmail_tui.core.sanitize import clean_line

        # Matched as displayed: the user writes patterns against what they see.
        if self.sender is not None:
            sender = clean_line(f"{message.from_name} <{message.from_email}>")
            if self.sender.search(sender) is None:
                return False
        return self.subject is None or self.subject.search(clean_line(message.subject)) is not None


def _pick(
    messages: Sequence[Message],
    skip: set[str],
    mail_filter: MailFilter,
    extract: Callable[[Message], T | None],
) -> tuple[Message, T] | None:
    """The newest message not in ``skip`` that matches and yields something to extract."""
    for message in messages:
        if message.id in skip or not mail_filter.matches(message):
            continue
        found = extract(message)
        if found is not None:
            return message, found
    return None


async def wait_for(
    session: Session,
    address: str,
    *,
    timeout: float,
    mail_filter: MailFilter,
    extract: Callable[[Message], T | None],
    existing: bool = False,
) -> tuple[Message, T]:
    """Poll a box on the quota-aware schedule until a new matching message yields a result.

    A message is new when it was not in the box at the first poll (with ``existing``, the
    newest matching one already there counts too). A new message that yields nothing is passed
    over. Raises CliError: status 1 on timeout, 2 at the quota reserve or a lasting failure.
    """
    import asyncio
    from datetime import timedelta

    from tempmail_tui.api.errors import (
        ApiError,
        NetworkError,
        ProtocolError,
        RateLimitError,
        ServerError,
    )
    from tempmail_tui.core.schedule import BoxInfo, PollPolicy, PollScheduler

    config = session.config
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    # The schedule budgets up to the box's expiry; this wait only needs until its deadline.
    now = _utc_now()
    horizon = now + timedelta(seconds=timeout)
    known = session.store.mailbox(address)
    if known is not None and known.expire_at is not None and known.expire_at > now:
        # An expiry already past is left to the server to confirm (a 404) at the first poll.
        horizon = min(horizon, known.expire_at)
    scheduler = PollScheduler(
        PollPolicy(
            fast_interval=config.poll_interval,
            slow_interval=config.background_interval,
            reserve_fraction=config.reserve_fraction,
        )
    )
    scheduler.set_boxes([BoxInfo(address, horizon)])
    scheduler.select(address)
    scheduler.update_quota(session.client.quota)
    seen: set[str] | None = None
    failure: ApiError | None = None
    while True:
        failed_now = False
        if address in scheduler.due():
            scheduler.started(address)
            error: ApiError | None = None
            try:
                async with asyncio.timeout(max(0.0, deadline - loop.time())):
                    messages = await _fetch(session, address)
            except TimeoutError:
                break
            except (NetworkError, ServerError, ProtocolError, RateLimitError) as exc:
                failure, failed_now, error = exc, True, exc
            scheduler.finished_after(address, error)
            scheduler.update_quota(session.client.quota)
            if error is None:
                failure = None
                ids = {m.id for m in messages}
                if seen is None and not existing:
                    seen = ids  # the first poll only records what was already there
                else:
                    found = _pick(messages, seen or set(), mail_filter, extract)
                    seen = (seen or set()) | ids
                    if found is not None:
                        return found
        status = scheduler.status()
        if status.mode == "reserve":
            raise CliError(f"stopped waiting: {_reserve_reason(session)}", EXIT_USAGE)
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        delay = scheduler.seconds_until_next()
        if delay is None:
            break  # the box expired (or the deadline passed): nothing more can arrive
        if status.paused_until is not None and delay >= remaining:
            # A short rate limit outlasting the timeout, or the month's quota spent.
            reason = failure or "the request quota is used up"
            if status.mode == "paused" and not _quota_spent(failure):
                reason = f"{status.reason}, beyond the {_seconds(timeout)} timeout"
            raise CliError(f"stopped waiting: {reason}", EXIT_USAGE)
        pause = min(max(delay, _MIN_PAUSE), remaining)
        if failed_now and isinstance(failure, RateLimitError) and not failure.quota_spent:
            _error(f"warning: rate limited by the server; retrying in {_seconds(pause)}")
        elif failed_now:
            _error(f"warning: {failure}; trying again in {pause:.1f} s")
        await asyncio.sleep(pause)
    if failure is not None:
        raise CliError(f"gave up after {timeout:g} s: {failure}", EXIT_USAGE)
    if seen is None:
        # Not one answer in time: "nothing arrived" would be a guess.
        raise CliError(f"gave up after {timeout:g} s: the mailbox could not be checked", EXIT_USAGE)
    raise CliError(f"no new matching message within {timeout:g} s", EXIT_FAILURE)


def _quota_spent(failure: object) -> bool:
    """Whether a failure is the monthly quota being spent (not a short rate limit)."""
    from tempmail_tui.api.errors import RateLimitError

    return isinstance(failure, RateLimitError) and failure.quota_spent


def _seconds(value: float) -> str:
    """A whole number of seconds in words: "1 second", "12 seconds"."""
    whole = max(0, round(value))
    return f"{whole} second{'s' * (whole != 1)}"


def _reserve_reason(session: Session) -> str:
    quota = session.client.quota
    if quota is None:
        return "the request quota is down to its reserve"
    reset = f", resets {_local(quota.reset_at)}" if quota.reset_at is not None else ""
    return (
        f"the request quota is down to its reserve "
        f"({quota.remaining:,} of {quota.limit:,} left{reset})"
    )


def _waiting(
    args: argparse.Namespace,
    extract: Callable[[Message], T | None],
    show: Callable[[Message, T, str], None],
) -> int:
    """Run one of the waiting commands: wait for a message, then show what was found in it."""

    async def work(session: Session) -> int:
        message, found = await wait_for(
            session,
            args.address,
            timeout=args.timeout,
            mail_filter=MailFilter(args.sender, args.subject),
            extract=extract,
            existing=args.existing,
        )
        show(message, found, _stored_address(session.store, args.address))
        return EXIT_OK

    # The schedule backs off between polls; retries inside a poll would only hide failures.
    return _online(args, work, retries=0)


def cmd_wait(args: argparse.Namespace) -> int:
    """Wait for a new matching message and print its id, sender and subject (or JSON)."""

    def show(message: Message, _found: bool, mailbox: str) -> None:
        if args.json:
            _out_json(message_record(message, mailbox))
        else:
            _out(message_row(message))

    return _waiting(args, lambda _message: True, show)


def _code_of(message: Message) -> str | None:
    from tempmail_tui.core.extract import best_code
    from tempmail_tui.core.sanitize import clean_line

    code = best_code(message.subject, message.content, is_html=message.is_html)
    return (clean_line(code) or None) if code is not None else None


def _link_of(message: Message) -> str | None:
    from tempmail_tui.core.extract import best_link
    from tempmail_tui.core.sanitize import clean_line

    link = best_link(message.subject, message.content, is_html=message.is_html)
    return (clean_line(link) or None) if link is not None else None


def _print_found(_message: Message, found: str, _mailbox: str) -> None:
    _out(found)


def cmd_code(args: argparse.Namespace) -> int:
    """Wait for a new matching message with a one-time code and print only the code."""
    return _waiting(args, _code_of, _print_found)


def cmd_link(args: argparse.Namespace) -> int:
    """Wait for a new matching message with an action link and print only the link."""
    return _waiting(args, _link_of, _print_found)


async def _load_message(session: Session, message_id: str) -> tuple[Message, str | None]:
    """A message from the server (stored and marked seen), else the stored copy; its mailbox."""
    from tempmail_tui.api.errors import ApiError, AuthenticationError, NotFoundError

    store = session.store
    stored = store.message(message_id)
    try:
        fresh = await session.client.read_message(message_id)
    except AuthenticationError:
        raise
    except ApiError as exc:
        if stored is None:
            raise
        why = "it is no longer on the server" if isinstance(exc, NotFoundError) else str(exc)
        _error(f"{why}; using the stored copy")
        return stored.to_message(), stored.mailbox
    # The message's "to" is written by the sender: it only files the message under a box
    # this store already knows.
    known = store.mailbox(stored.mailbox if stored is not None else fresh.to)
    if known is None:
        return fresh, None
    store.upsert_message(known.email, fresh)
    store.mark_seen(message_id)
    return fresh, known.email


def cmd_read(args: argparse.Namespace) -> int:
    """Print a message: headers and body as text, or its record as JSON."""

    from tempmail_tui.core.store import StoredMessage

    async def work(session: Session) -> int:
        message, mailbox = await _load_message(session, args.message_id)
        if args.json:
            _out_json(message_record(message, mailbox))
            return EXIT_OK
        rendered = await session.service.render(
            StoredMessage.from_message(message, mailbox or "", fetched_at=_utc_now())
        )
        _out(_headers(message) + "\n\n" + rendered.text)
        if rendered.notice:
            _error(f"note: {rendered.notice}")
        return EXIT_OK

    return _online(args, work)


def _headers(message: Message) -> str:
    from tempmail_tui.core.format import full_local_time, human_size
    from tempmail_tui.core.sanitize import clean_line

    lines = [
        f"From: {clean_line(message.sender)}",
        f"To: {clean_line(message.to)}",
        f"Date: {full_local_time(message.received_at)}",
        f"Subject: {clean_line(message.subject)}",
        f"Id: {clean_line(message.id)}",
    ]
    if message.attachments:
        files = ", ".join(
            f"{clean_line(a.name)} ({human_size(a.size)})" for a in message.attachments
        )
        lines.append(f"Attachments: {files}")
    return "\n".join(lines)


def cmd_save(args: argparse.Namespace) -> int:
    """Save every attachment of a message under safe, free names and print each path."""

    async def work(session: Session) -> int:
        store = session.store
        stored = store.message(args.message_id)
        # The stored record already names the attachments; reading again would cost a request.
        message = stored.to_message() if stored is not None else None
        if message is None:
            message, _ = await _load_message(session, args.message_id)
        if not message.attachments:
            raise CliError("the message has no attachments", EXIT_FAILURE)
        directory: Path = args.dir or session.config.download_dir
        for attachment in message.attachments:
            try:
                path = await session.service.save_attachment(message.id, attachment, directory)
            except OSError as exc:
                reason = exc.strerror or str(exc)
                raise CliError(f"could not save into {directory}: {reason}", EXIT_USAGE) from None
            _out(str(path))
        return EXIT_OK

    return _online(args, work)


def cmd_rm(args: argparse.Namespace) -> int:
    """Delete a message on the server and from the local store."""

    async def work(session: Session) -> int:
        from tempmail_tui.api.errors import NotFoundError

        message_id: str = args.message_id
        try:
            await session.client.delete_message(message_id)
        except NotFoundError:
            if session.store.message(message_id) is None:
                raise
            _error("the message was already gone from the server; removed the stored copy")
        session.store.delete_message(message_id)
        return EXIT_OK

    return _online(args, work)


def cmd_rm_box(args: argparse.Namespace) -> int:
    """Delete a mailbox on the server; its stored mail stays readable, archived."""

    async def work(session: Session) -> int:
        from tempmail_tui.api.errors import NotFoundError

        address: str = args.address
        try:
            await session.client.delete_mailbox(address)
        except NotFoundError:
            if session.store.mailbox(address) is None:
                raise
            _error(f"{address} was already gone from the server; marked it deleted")
        if session.store.mailbox(address) is not None:
            session.store.mark_mailbox_gone(_stored_address(session.store, address), "deleted")
        return EXIT_OK

    return _online(args, work)


# --- the registry cli.py reads --------------------------------------------------------------

_ARGUMENTS: Mapping[str, Callable[[argparse.ArgumentParser], None]] = {
    "new": _add_new,
    "boxes": _add_boxes,
    "messages": _add_messages,
    "wait": _add_wait,
    "code": _wait_arguments,
    "link": _wait_arguments,
    "read": _add_read,
    "save": _add_save,
    "rm": _message_id,
    "rm-box": _address,
}

_HANDLERS: Mapping[str, Callable[[argparse.Namespace], int]] = {
    "new": cmd_new,
    "boxes": cmd_boxes,
    "messages": cmd_messages,
    "wait": cmd_wait,
    "code": cmd_code,
    "link": cmd_link,
    "read": cmd_read,
    "save": cmd_save,
    "rm": cmd_rm,
    "rm-box": cmd_rm_box,
}


def add_arguments(name: str, parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of the scripting command ``name`` on its subparser."""
    _ARGUMENTS[name](parser)


def run(name: str, args: argparse.Namespace) -> int:
    """Run the scripting command ``name`` and return its exit status."""
    return _HANDLERS[name](args)
