"""Requests the default schedule spends (simulated, then counted for real) and mail latency."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tempmail_tui.api.models import Quota
from tempmail_tui.core.schedule import BoxInfo, Outcome, PollPolicy, PollScheduler
from tempmail_tui.ui.app import TempMailApp
from tempmail_tui.ui.widgets.message_table import MessageTable

from . import scenario
from .figures import Figure, median, worst
from .probes import until

HOUR = 3600.0
#: The UI checks the schedule on a one-second timer (``MainScreen._tick``).
# How often the main screen looks for due polls (MainScreen._start_due_polls).
TICK = 0.25
#: How long a simulated poll takes, from request to handled answer.
LATENCY = 0.05
SIZE = (120, 36)


class FakeClock:
    """A settable clock for the scheduler."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += timedelta(seconds=seconds)


def simulate_hour(boxes: int, *, tick: float = TICK, latency: float = LATENCY) -> int:
    """Requests the default schedule makes in an hour for ``boxes`` live boxes, the first selected.

    Driven like the app: every ``tick`` the due boxes are started, each answer is handled
    ``latency`` later and brings fresh quota figures.
    """
    start = datetime(2026, 6, 1, tzinfo=UTC)
    clock = FakeClock(start)
    scheduler = PollScheduler(PollPolicy(), clock=clock, rng=random.Random(7))
    keys = [f"box{index}@bench.test" for index in range(boxes)]
    scheduler.set_boxes([BoxInfo(key, start + timedelta(hours=4)) for key in keys])
    scheduler.select(keys[0])
    limit, used = 50_000, 0
    reset = start + timedelta(days=20)
    elapsed = 0.0
    while elapsed < HOUR:
        due = scheduler.due()
        for key in due:
            scheduler.started(key)
        clock.advance(latency)
        for key in due:
            used += 1
            scheduler.update_quota(Quota(limit, used, limit - used, reset, clock()))
            scheduler.finished(key, Outcome.OK)
        clock.advance(tick - latency)
        elapsed += tick
    return used


def nominal_hour(boxes: int) -> float:
    """What the intervals alone promise: the selected box every 5 s, the others every 60 s."""
    policy = PollPolicy()
    return HOUR / policy.fast_interval + (boxes - 1) * HOUR / policy.slow_interval


@dataclass(frozen=True)
class Arrival:
    """One mail: when it was delivered and when its row appeared in the list."""

    delivered: float
    listed: float

    @property
    def latency(self) -> float:
        """Seconds from delivery to the row in the list."""
        return self.listed - self.delivered


def _has_row(table: MessageTable, key: str) -> Callable[[], bool]:
    """Whether the list has a row for this message id."""
    return lambda: key in table.rows


async def _arrivals(deliveries: int, seed: int) -> tuple[list[Arrival], float, int]:
    """Deliver mail at random moments to the selected box of an app on the default schedule.

    Returns the arrivals, and the seconds and requests counted by the sandbox meanwhile.
    """
    rng = random.Random(seed)
    with scenario.sandbox() as server, scenario.workdir("latency") as home:
        made, boxes = scenario.create_boxes(server, 1, mail_each=2, prefix="latency")
        path = home / "store.sqlite3"
        scenario.seed_store(path, boxes)
        app = TempMailApp(scenario.app_config(server, home), store_path=path)
        arrivals: list[Arrival] = []
        async with app.run_test(size=SIZE):
            table = app.main.query_one(MessageTable)
            await until(lambda: table.row_count == 2, timeout=30, what="the first poll")
            # Settle past the first poll, then count requests from here.
            await asyncio.sleep(1.0)
            used_before, counted_from = server.state.quota().used, time.perf_counter()
            for number in range(deliveries):
                await asyncio.sleep(rng.uniform(0.0, 7.0))
                message = server.state.deliver(
                    made.selected, subject=f"Arrival {number}", text="Your code is 123456.\n"
                )
                delivered = time.perf_counter()
                listed = await until(
                    _has_row(table, message.id), timeout=30, every=0.01, what="the new row"
                )
                arrivals.append(Arrival(delivered, listed))
            seconds = time.perf_counter() - counted_from
            requests = server.state.quota().used - used_before
    return arrivals, seconds, requests


def run(*, deliveries: int = 15, seed: int = 2026) -> list[Figure]:
    """Measure the request and latency figures."""
    one, five = simulate_hour(1), simulate_hour(5)
    arrivals, seconds, requests = asyncio.run(_arrivals(deliveries, seed))
    latencies = [a.latency for a in arrivals]
    per_hour = requests / seconds * HOUR
    return [
        Figure(
            "requests_per_hour_1_box",
            "Requests an hour, 1 live box (default schedule, simulated)",
            float(one),
            "req/h",
            detail=(
                f"fake-clock run of PollScheduler driven by the UI's 0.25 s due check; the "
                f"intervals alone would give {nominal_hour(1):.0f}; a real {seconds:.0f} s run "
                f"counted {requests} requests at the sandbox = {per_hour:.0f}/h"
            ),
        ),
        Figure(
            "requests_per_hour_1_box_real",
            "Requests an hour, 1 live box (real run, sandbox counter)",
            round(per_hour),
            "req/h",
            detail=f"{requests} requests in {seconds:.0f} s while mail was being delivered",
        ),
        Figure(
            "requests_per_hour_5_boxes",
            "Requests an hour, 5 live boxes (default schedule, simulated)",
            float(five),
            "req/h",
            detail=(
                f"selected box every 5 s, 4 others every 60 s, on the 0.25 s due check; the "
                f"intervals alone would give {nominal_hour(5):.0f}; kept up for a month this rate "
                f"would be {five * 24 * 30:,.0f} requests, {five * 24 * 30 / 50_000:.0f}x a "
                "50,000 quota"
            ),
        ),
        Figure(
            "new_mail_latency_median_s",
            "New mail: delivery to row in the list, median",
            round(median(latencies), 2),
            "s",
            detail=(
                f"{len(latencies)} mails delivered at random moments to the selected box "
                f"(default 5 s schedule); each: " + ", ".join(f"{x:.1f}" for x in latencies)
            ),
            samples=tuple(latencies),
        ),
        Figure(
            "new_mail_latency_worst_s",
            "New mail: delivery to row in the list, worst",
            round(worst(latencies), 2),
            "s",
            detail="the 5 s interval plus the request and the list update",
        ),
    ]
