"""An accelerated day on a fake clock: 50 mailboxes, faults, mail arriving, a quota reset."""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest

from tempmail_tui.api.client import TempMailClient
from tempmail_tui.api.errors import (
    ApiError,
    NetworkError,
    NotFoundError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
)
from tempmail_tui.api.listed import Listing
from tempmail_tui.api.models import Mailbox, Message, MessageList, Quota
from tempmail_tui.core.mail import MailService
from tempmail_tui.core.render import HtmlRenderer
from tempmail_tui.core.schedule import BoxInfo, Outcome, PollPolicy, PollScheduler, outcome_for
from tempmail_tui.core.store import LISTING_CACHE_BOXES, Store

START = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
DAY = timedelta(hours=24)
BOXES = 50
LIMIT = 4_000
USED_AT_START = 2_500
RESET_1 = START + timedelta(hours=11)  # the monthly reset happens mid-run
RESET_2 = RESET_1 + timedelta(days=31)
RESERVE_FRACTION = 0.02


class FakeClock:
    """Simulated time: it moves only when the simulation says so."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class ServerBox:
    """A mailbox on the simulated server."""

    email: str
    expire_at: datetime
    messages: dict[str, Message] = field(default_factory=dict)
    delivered: dict[str, datetime] = field(default_factory=dict)
    #: Every message id a successful listing returned (what the client was told about).
    listed: set[str] = field(default_factory=set)


class SimServer:
    """The Temp Mail service in memory: mailboxes, mail, a quota, faults drawn per request."""

    def __init__(self, clock: FakeClock, rng: random.Random) -> None:
        self.clock = clock
        self.rng = rng
        self.boxes: dict[str, ServerBox] = {}
        self.used = USED_AT_START
        self.reset_at = RESET_1
        self.charged: dict[int, int] = {1: 0, 2: 0}
        self.charged_auto: dict[int, int] = {1: 0, 2: 0}
        self.hard_limit_hits = 0
        self.quota: Quota | None = None
        self._serial = 0

    def period(self) -> int:
        return 1 if self.clock() < RESET_1 else 2

    def roll_over(self) -> None:
        if self.clock() >= self.reset_at and self.reset_at == RESET_1:
            self.used, self.reset_at = 0, RESET_2

    def see_quota(self) -> None:
        self.quota = Quota(
            limit=LIMIT,
            used=self.used,
            remaining=max(0, LIMIT - self.used),
            reset_at=self.reset_at,
            seen_at=self.clock(),
        )

    def create_box(self, lifetime: timedelta) -> ServerBox:
        self._serial += 1
        box = ServerBox(f"box{self._serial:04d}@inbox.test", self.clock() + lifetime)
        self.boxes[box.email] = box
        return box

    def deliver(self, box: ServerBox) -> None:
        self._serial += 1
        message_id = f"msg{self._serial:06d}"
        now = self.clock()
        box.messages[message_id] = Message(
            id=message_id,
            subject=f"Subject {message_id}",
            from_name="Sender",
            from_email="sender@example.org",
            to=box.email,
            received_at=now.replace(microsecond=0),
            is_seen=False,
            is_html=False,
            content=f"Your code is {message_id[-6:]}. " * 8,
            attachments=(),
        )
        box.delivered[message_id] = now

    def delete_one(self, box: ServerBox) -> None:
        """The user deletes a message in the web UI: it must stay in the store, archived."""
        if box.messages:
            box.messages.pop(self.rng.choice(sorted(box.messages)))

    def list_messages(self, email: str, fault: str, *, manual: bool) -> MessageList:
        """One ``GET /messages`` answered at the current time, with a drawn fault."""
        self.roll_over()
        if fault == "network":
            raise NetworkError("connection reset")
        if fault == "timeout":
            raise RequestTimeoutError()
        if self.used >= LIMIT:
            self.hard_limit_hits += 1
            self.see_quota()
            raise RateLimitError(status_code=429)
        if fault == "429":
            self.see_quota()
            error = RateLimitError(status_code=429)
            error.retry_at = self.clock() + timedelta(seconds=self.rng.uniform(30, 300))
            raise error
        if fault == "500":
            self.see_quota()
            raise ServerError(status_code=500)
        box = self.boxes.get(email)
        if box is None or box.expire_at <= self.clock():
            self.see_quota()
            raise NotFoundError(status_code=404)
        self.used += 1
        self.charged[self.period()] += 1
        if not manual:
            self.charged_auto[self.period()] += 1
        self.see_quota()
        box.listed.update(box.messages)
        return MessageList(mailbox=email, messages=tuple(reversed(box.messages.values())))


class SimClient:
    """Stands in for TempMailClient inside the real MailService: answers from the model."""

    def __init__(self, server: SimServer) -> None:
        self.server = server
        self.fault = "ok"
        self.manual = False

    @property
    def quota(self) -> Quota | None:
        return self.server.quota

    async def listing(self, email: str, *, retries: int | None = None) -> Listing:
        return Listing.of(self.server.list_messages(email, self.fault, manual=self.manual))

    async def aclose(self) -> None:
        return None


def draw_fault(rng: random.Random) -> tuple[str, float]:
    """The fate and latency (seconds) of one request."""
    roll = rng.random()
    if roll < 0.03:
        return "network", rng.uniform(0.01, 0.5)
    if roll < 0.04:
        return "timeout", 15.0
    if roll < 0.06:
        return "500", rng.uniform(0.05, 1.0)
    if roll < 0.065:
        return "429", rng.uniform(0.05, 0.5)
    return "ok", rng.uniform(0.05, 1.5)


def outcome_of(error: ApiError | None) -> Outcome:
    """The scheduler outcome for a poll's result (as the UI maps it)."""
    return outcome_for(error)


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_a_day_of_polling_loses_nothing_and_keeps_to_the_quota(tmp_path: Path) -> None:
    rng = random.Random(20261101)
    clock = FakeClock(START)
    server = SimServer(clock, rng)
    store = Store.open(tmp_path / "store.sqlite3", clock=clock)
    client = SimClient(server)
    service = MailService(cast(TempMailClient, client), store, HtmlRenderer())
    scheduler = PollScheduler(
        PollPolicy(fast_interval=5.0, slow_interval=60.0, reserve_fraction=RESERVE_FRACTION),
        clock=clock,
        rng=random.Random(7),
    )
    started = {1: 0, 2: 0}
    free_failures = {1: 0, 2: 0}  # started, but answered with an error: not charged
    remaining_at_start = {1: LIMIT - USED_AT_START, 2: LIMIT}
    # (answer due at, serial, mailbox, fault, manual, period it started in)
    in_flight: list[tuple[datetime, int, str, str, bool, int]] = []
    serial = polls_ok = 0
    live: dict[str, ServerBox] = {}
    selected: str | None = None
    next_mail = next_select = START
    next_manual = START + timedelta(minutes=20)
    max_scheduler_state = max_listing_cache = 0

    def new_box() -> None:
        box = server.create_box(timedelta(hours=rng.uniform(1, 6)))
        live[box.email] = box
        created = clock() - timedelta(seconds=1)
        store.add_mailbox(
            Mailbox(
                id=len(server.boxes),
                email=box.email,
                domain="inbox.test",
                created_at=created,
                expire_at=box.expire_at,
                expires_in_seconds=int((box.expire_at - created).total_seconds()),
                email_token="t",
            )
        )

    end = START + DAY
    while clock() < end:
        now = clock()
        # The world moves: expired boxes are replaced, mail arrives, the user looks around.
        for email in [e for e, b in live.items() if b.expire_at <= now]:
            del live[email]
        while len(live) < BOXES:
            new_box()
        while next_mail <= now:
            box = rng.choice(list(live.values()))
            server.deliver(box)
            if rng.random() < 0.05:
                server.delete_one(box)
            next_mail += timedelta(seconds=rng.expovariate(1 / 40))
        if next_select <= now or selected not in live:
            selected = rng.choice(sorted(live))
            next_select = now + timedelta(minutes=rng.uniform(5, 90))
        # What the UI does every tick: the live boxes, the selection, due polls.
        scheduler.set_boxes([BoxInfo(b.email, b.expire_at) for b in live.values()])
        scheduler.select(selected)
        manual: set[str] = set()
        if next_manual <= now and selected is not None:
            if scheduler.request_manual(selected):
                manual.add(selected)
            next_manual = now + timedelta(minutes=rng.uniform(20, 60))
        for email in scheduler.due():
            scheduler.started(email)
            period = server.period()
            started[period] += 1
            fault, latency = draw_fault(rng)
            serial += 1
            due_at = now + timedelta(seconds=latency)
            heapq.heappush(in_flight, (due_at, serial, email, fault, email in manual, period))

        # Answers that are due arrive, in order, each through the real service and store.
        while in_flight and in_flight[0][0] <= now:
            _, _, email, fault, was_manual, period = heapq.heappop(in_flight)
            client.fault, client.manual = fault, was_manual
            charged_before = sum(server.charged.values())
            error: ApiError | None = None
            try:
                await service.poll(email)
                polls_ok += 1
            except ApiError as failure:
                error = failure
            if sum(server.charged.values()) == charged_before:
                free_failures[period] += 1
            retry_at = error.retry_at if isinstance(error, RateLimitError) else None
            scheduler.finished(email, outcome_of(error), retry_at=retry_at)
            scheduler.update_quota(service.quota)

        max_scheduler_state = max(
            max_scheduler_state,
            len(scheduler._last_done),
            len(scheduler._failures),
            len(scheduler._retry_at),
            len(scheduler._started_at),
        )
        max_listing_cache = max(max_listing_cache, len(store._listings))

        # Jump to the next thing that can happen.
        candidates = [next_mail, next_select, next_manual, end]
        candidates.append(min(b.expire_at for b in live.values()))
        if in_flight:
            candidates.append(in_flight[0][0])
        wait = scheduler.seconds_until_next()
        if wait is not None:
            candidates.append(now + timedelta(seconds=wait))
        # The app looks at the schedule once a second; so does the simulation, at most.
        clock.now = max(now + timedelta(seconds=1), min(candidates))

    # Quota: the hard limit is never hit; in each period the requests that were charged
    # (started calls minus those that failed for free) fit what was left, and automatic
    # ones left the reserve alone.
    reserve = round(LIMIT * RESERVE_FRACTION)
    assert server.hard_limit_hits == 0
    for period in (1, 2):
        spent = started[period] - free_failures[period]
        assert spent <= remaining_at_start[period], (period, started, free_failures)
        assert server.charged[period] <= remaining_at_start[period], (period, server.charged)
        assert server.charged_auto[period] <= remaining_at_start[period] - reserve, period
        # Not vacuous: the schedule had to ration, and it used the quota it had.
        assert spent > remaining_at_start[period] // 2, (period, started)
    assert polls_ok > 3_000

    # The store: every message a successful poll saw is there exactly once, nothing else.
    total_seen = 0
    for box in server.boxes.values():
        ids = [m.id for m in store.messages(box.email)]
        assert len(ids) == len(set(ids)), box.email
        assert set(ids) <= set(box.delivered), box.email
        missing = box.listed - set(ids)
        assert not missing, (box.email, sorted(missing)[:5])
        total_seen += len(box.listed)
    assert total_seen > 1000
    conn = store._conn
    assert conn is not None
    dupes = conn.execute(
        "SELECT subject, count(*) FROM messages GROUP BY subject HAVING count(*) > 1"
    ).fetchall()
    assert dupes == []
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    # Memory: what the scheduler and the store keep in memory is bounded by the live boxes or
    # a fixed cap, not by the day's history (over the day about 400 mailboxes come and go).
    assert len(server.boxes) > 2 * LISTING_CACHE_BOXES
    assert max_scheduler_state <= BOXES
    assert max_listing_cache <= LISTING_CACHE_BOXES, max_listing_cache
    store.close()
