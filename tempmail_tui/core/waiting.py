"""Waiting for a matching message: quota-aware polling of one box until mail yields a result."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Generic, TypeVar

from tempmail_tui.api.errors import (
    ApiError,
    NetworkError,
    ProtocolError,
    RateLimitError,
    ServerError,
)
from tempmail_tui.api.models import Message, Quota
from tempmail_tui.core.budget import BudgetShare, PollerKind, keep_sharing
from tempmail_tui.core.format import local_minute, seconds_in_words
from tempmail_tui.core.sanitize import clean_line
from tempmail_tui.core.schedule import BoxInfo, PollPolicy, PollScheduler
from tempmail_tui.errors import TempMailError

# The service pulls in httpx and SQLite: this module stays light for the command line.
if TYPE_CHECKING:
    from tempmail_tui.core.extract import CodeChoice, CodeRule
    from tempmail_tui.core.mail import MailService
    from tempmail_tui.core.results import Fetched

T = TypeVar("T")

# The shortest pause of the wait loop, so a schedule that says "now" cannot spin.
_MIN_PAUSE = 0.05
# The failures a wait rides out: the schedule backs off and the next check may succeed.
_PASSING = (NetworkError, ServerError, ProtocolError, RateLimitError)


class WaitTimedOut(TempMailError):
    """No new matching message arrived before the timeout."""


class WaitStopped(TempMailError):
    """The wait cannot go on: the quota reserve, a lasting rate limit or lasting failures."""


@dataclass(frozen=True, slots=True)
class MailFilter:
    """Which messages a wait accepts: sender and subject patterns (None: any)."""

    sender: re.Pattern[str] | None = None
    subject: re.Pattern[str] | None = None

    def matches(self, message: Message) -> bool:
        """Whether the message's cleaned sender and subject match the patterns."""
        # Matched as displayed: the user writes patterns against what they see.
        if self.sender is not None:
            from tempmail_tui.core.extract.rules import sender_text

            sender = sender_text(message.from_name, message.from_email)
            if self.sender.search(sender) is None:
                return False
        return self.subject is None or self.subject.search(clean_line(message.subject)) is not None


@dataclass(frozen=True, slots=True)
class Found(Generic[T]):
    """The message a wait found, what was extracted from it, and the box it is filed under."""

    message: Message
    value: T
    mailbox: str


@dataclass(frozen=True, slots=True)
class Retrying:
    """A check of the box failed; the wait tries again after ``pause`` seconds."""

    error: ApiError
    pause: float


def any_message(_message: Message) -> bool:
    """Accept every message (what ``wait`` extracts)."""
    return True


def code_choice(message: Message, rules: Sequence[CodeRule] = ()) -> CodeChoice | None:
    """How the message's code was chosen (config.toml's rules first), or None with no code."""
    from tempmail_tui.core.extract import choose_code

    choice = choose_code(
        message.subject,
        message.content,
        is_html=message.is_html,
        sender=(message.from_name, message.from_email),
        rules=rules,
    )
    return choice if choice.code is not None and clean_line(choice.code) else None


def code_of(message: Message, rules: Sequence[CodeRule] = ()) -> str | None:
    """The message's verification code, cleaned for printing, or None."""
    choice = code_choice(message, rules)
    return clean_line(choice.code) if choice is not None and choice.code is not None else None


def link_of(message: Message) -> str | None:
    """The message's main action link (verify, confirm, sign in ...), cleaned, or None."""
    from tempmail_tui.core.extract import best_link

    link = best_link(message.subject, message.content, is_html=message.is_html)
    return (clean_line(link) or None) if link is not None else None


def pick(
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
    service: MailService,
    address: str,
    extract: Callable[[Message], T | None],
    *,
    timeout: float,
    policy: PollPolicy,
    mail_filter: MailFilter | None = None,
    existing: bool = False,
    skip: Collection[str] = (),
    observe: Callable[[Fetched | Retrying], None] | None = None,
    burst: bool = True,
    kind: PollerKind = "wait",
) -> Found[T]:
    """Poll a box on the quota-aware schedule until a new matching message yields a result.

    A message is new when it was not in the box at the first check (with ``existing``, the
    newest matching one already there counts too); one that yields nothing is passed over,
    and so is one whose id is in ``skip`` (a message the caller already took).
    ``observe`` hears of every listing fetched and every failure ridden out. With
    ``burst`` the box is checked fast at first, inside the quota plan; the quota is shared
    with the other pollers on the machine (``kind`` names this one). Raises WaitTimedOut
    when nothing came in time, WaitStopped when the wait cannot go on.
    """
    scheduler = PollScheduler(policy)
    scheduler.set_boxes([BoxInfo(address, await _horizon(service, address, timeout))])
    scheduler.select(address)
    scheduler.update_quota(service.quota)
    if burst:
        # Unpaid: the wait ends with the mail, leaving no later checks to repay it with.
        scheduler.expect_mail(address, paid=False)
    # The heartbeat runs beside the checks: the store never holds a request up.
    sharing = asyncio.create_task(keep_sharing(service, scheduler, BudgetShare(kind)))
    try:
        return await _poll_until_found(
            service,
            scheduler,
            address,
            extract,
            timeout,
            mail_filter or MailFilter(),
            existing,
            skip,
            observe,
        )
    finally:
        sharing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sharing


async def _poll_until_found(
    service: MailService,
    scheduler: PollScheduler,
    address: str,
    extract: Callable[[Message], T | None],
    timeout: float,
    mail_filter: MailFilter,
    existing: bool,
    skip: Collection[str],
    observe: Callable[[Fetched | Retrying], None] | None,
) -> Found[T]:
    """The wait's loop: check when the schedule says, until a match, the timeout or a stop."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen: set[str] | None = None
    taken = set(skip)
    failure: ApiError | None = None
    while True:
        failed_now = False
        if address in scheduler.due():
            scheduler.started(address)
            error: ApiError | None = None
            try:
                async with asyncio.timeout(max(0.0, deadline - loop.time())):
                    # The schedule backs off between checks; retries inside one would hide
                    # failures.
                    fetched = await service.fetch(address, retries=0)
            except TimeoutError:
                break
            except _PASSING as exc:
                failure, failed_now, error = exc, True, exc
            scheduler.finished_after(address, error)
            scheduler.update_quota(service.quota)
            if error is None:
                failure = None
                if observe is not None:
                    observe(fetched)
                ids = {m.id for m in fetched.messages}
                if seen is None and not existing:
                    seen = ids  # the first check only records what was already there
                else:
                    found = pick(fetched.messages, (seen or set()) | taken, mail_filter, extract)
                    seen = (seen or set()) | ids
                    if found is not None:
                        return Found(found[0], found[1], fetched.mailbox)
        status = scheduler.status()
        if status.mode == "reserve":
            raise WaitStopped(f"stopped waiting: {reserve_reason(service.quota)}")
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        delay = scheduler.seconds_until_next()
        if delay is None:
            break  # the box expired (or the deadline passed): nothing more can arrive
        if status.paused_until is not None and delay >= remaining:
            # A short rate limit outlasting the timeout, or the month's quota spent.
            reason = str(failure or "the request quota is used up")
            if status.mode == "paused" and not _quota_spent(failure):
                reason = f"{status.reason}, beyond the {seconds_in_words(timeout)} timeout"
            raise WaitStopped(f"stopped waiting: {reason}")
        pause = min(max(delay, _MIN_PAUSE), remaining)
        if failed_now and failure is not None and observe is not None:
            observe(Retrying(failure, pause))
        await asyncio.sleep(pause)
    if failure is not None:
        raise WaitStopped(f"gave up after {timeout:g} s: {failure}")
    if seen is None:
        # Not one answer in time: "nothing arrived" would be a guess.
        raise WaitStopped(f"gave up after {timeout:g} s: the mailbox could not be checked")
    raise WaitTimedOut(f"no new matching message within {timeout:g} s")


async def _horizon(service: MailService, address: str, timeout: float) -> datetime:
    """How far ahead the schedule budgets: the wait's end, or the box's expiry if sooner."""
    now = datetime.now(UTC)
    horizon = now + timedelta(seconds=timeout)
    known = await service.mailbox(address)
    if known is not None and known.expire_at is not None and known.expire_at > now:
        # An expiry already past is left to the server to confirm (a 404) at the first check.
        horizon = min(horizon, known.expire_at)
    return horizon


def _quota_spent(failure: ApiError | None) -> bool:
    """Whether a failure is the monthly quota being spent (not a short rate limit)."""
    return isinstance(failure, RateLimitError) and failure.quota_spent


def reserve_reason(quota: Quota | None) -> str:
    """Why polling stopped at the quota reserve, with the figures when they are known."""
    if quota is None:
        return "the request quota is down to its reserve"
    reset = f", resets {local_minute(quota.reset_at)}" if quota.reset_at is not None else ""
    return (
        f"the request quota is down to its reserve "
        f"({quota.remaining:,} of {quota.limit:,} left{reset})"
    )
