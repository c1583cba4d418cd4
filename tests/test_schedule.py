"""Tests of the quota-aware polling schedule, driven by a fake clock."""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from tempmail_tui.api.models import Quota
from tempmail_tui.core.schedule import (
    BoxInfo,
    Outcome,
    PollPolicy,
    PollScheduler,
    format_interval,
)

T0 = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@dataclass
class FakeClock:
    """A clock that moves only when told to."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def quota(
    remaining: int, *, limit: int = 50_000, reset_at: datetime | None, seen_at: datetime
) -> Quota:
    return Quota(
        limit=limit,
        used=limit - remaining,
        remaining=remaining,
        reset_at=reset_at,
        seen_at=seen_at,
    )


def boxes(*keys: str, expire: datetime | None = T0 + HOUR) -> list[BoxInfo]:
    return [BoxInfo(k, expire) for k in keys]


def make(clock: FakeClock, *keys: str, selected: str | None = None, seed: int = 1) -> PollScheduler:
    sched = PollScheduler(PollPolicy(), clock=clock, rng=random.Random(seed), display_tz=UTC)
    sched.set_boxes(boxes(*keys))
    sched.select(selected)
    return sched


def poll(sched: PollScheduler, key: str, outcome: Outcome = Outcome.OK) -> None:
    sched.started(key)
    sched.finished(key, outcome)


def run_for(sched: PollScheduler, clock: FakeClock, seconds: float) -> dict[str, int]:
    """Poll whatever is due, instantly and successfully, stepping the clock by 0.5 s."""
    counts: dict[str, int] = {}
    end = clock.now + timedelta(seconds=seconds)
    while clock.now < end:
        for key in sched.due():
            poll(sched, key)
            counts[key] = counts.get(key, 0) + 1
        clock.advance(0.5)
    return counts


# -- rates ------------------------------------------------------------------------------


def test_selected_polls_fast_and_others_slow_with_ample_quota() -> None:
    clock = FakeClock()
    sched = make(clock, "a", "b", "c", selected="b")
    sched.update_quota(quota(49_876, reset_at=T0 + timedelta(days=20), seen_at=T0))
    assert "49,876 requests left until 20 Dec 12:00" in sched.status().reason
    assert sched.due() == ["b", "a", "c"]  # never polled: all due, selected first
    for key in ("b", "a", "c"):
        poll(sched, key)
    assert sched.due() == []
    assert sched.seconds_until_next() == pytest.approx(5.0)
    clock.advance(4.5)
    assert sched.due() == []
    clock.advance(0.5)
    assert sched.due() == ["b"]

    counts = run_for(sched, clock, 600)
    assert 118 <= counts["b"] <= 121  # every 5 s for 10 minutes
    assert counts["a"] == counts["c"] == 10  # every 60 s

    status = sched.status()
    assert status.mode == "normal"
    assert (status.fast_interval, status.slow_interval) == (5.0, 60.0)
    assert "5 s" in status.reason and "1 min" in status.reason
    # Until new figures arrive, every request sent counts as spent.
    spent = 3 + sum(counts.values())
    assert f"{49_876 - spent:,} requests left" in status.reason


def test_no_quota_known_uses_default_intervals() -> None:
    clock = FakeClock()
    sched = make(clock, "a", "b", selected="a")
    status = sched.status()
    assert status.mode == "normal"
    assert (status.fast_interval, status.slow_interval) == (5.0, 60.0)
    assert "no quota" in status.reason
    counts = run_for(sched, clock, 120)
    assert 23 <= counts["a"] <= 25 and counts["b"] == 2


def test_reselecting_changes_which_box_is_fast() -> None:
    clock = FakeClock()
    sched = make(clock, "a", "b", selected="a")
    run_for(sched, clock, 30)
    sched.select("b")
    # b was last polled at the start; at the fast rate it is overdue now.
    assert sched.due() == ["b"]
    counts = run_for(sched, clock, 60)
    assert counts["b"] >= 11 and counts.get("a", 0) <= 1


def _cost(selected_h: float, fast: float, others: list[float], slow: float) -> int:
    """The projection written out independently: one poll now, then one per interval."""
    return math.ceil(selected_h / fast) + sum(math.ceil(h / slow) for h in others)


def test_tight_quota_stretches_background_first() -> None:
    clock = FakeClock()
    keys = ["sel", *(f"bg{i}" for i in range(10))]
    sched = make(clock, *keys, selected="sel")
    # Limit 1,000 keeps 10 in reserve; 990 to spend before the boxes expire in an hour.
    sched.update_quota(quota(1000, limit=1000, reset_at=T0 + timedelta(days=3), seen_at=T0))
    status = sched.status()
    assert status.mode == "stretched"
    assert status.fast_interval == 5.0
    slow = status.slow_interval
    others = [3600.0] * 10
    assert _cost(3600, 5, others, slow) <= 990 < _cost(3600, 5, others, slow - 1)
    assert status.projected_requests == _cost(3600, 5, others, slow)
    assert format_interval(slow) in status.reason
    assert "1,000 requests left until 3 Dec 12:00" in status.reason


def test_tighter_quota_then_stretches_the_selected_box() -> None:
    clock = FakeClock()
    keys = ["sel", *(f"bg{i}" for i in range(10))]
    sched = make(clock, *keys, selected="sel")
    sched.update_quota(quota(300, limit=300, reset_at=T0 + timedelta(days=3), seen_at=T0))
    status = sched.status()
    assert status.mode == "stretched"
    assert status.slow_interval == PollPolicy().max_interval
    fast = status.fast_interval
    budget = 300 - 3
    others = [3600.0] * 10
    assert _cost(3600, fast, others, 1800) <= budget < _cost(3600, fast - 1, others, 1800)
    assert f"stretched to {format_interval(fast)} (selected)" in status.reason


def test_quota_too_small_for_the_cap_never_digs_into_the_reserve() -> None:
    clock = FakeClock()
    keys = [f"b{i}" for i in range(11)]
    sched = make(clock, *keys, selected="b0")
    sched.update_quota(quota(15, limit=1000, reset_at=T0 + timedelta(days=3), seen_at=T0))
    assert sched.status().mode == "stretched"
    first = sched.due()
    assert len(first) == 5  # 15 left, 10 kept back
    assert first[0] == "b0"
    for key in first:
        sched.started(key)
    assert sched.due() == []
    assert sched.status().mode == "reserve"


def test_projection_ends_at_reset_and_box_expiry() -> None:
    clock = FakeClock()
    sched = PollScheduler(PollPolicy(), clock=clock, rng=random.Random(1), display_tz=UTC)
    sched.set_boxes(
        [
            BoxInfo("short", T0 + timedelta(minutes=10)),
            BoxInfo("long", T0 + timedelta(days=30)),
            BoxInfo("manual", None),
            BoxInfo("dead", T0 - timedelta(seconds=1)),
        ]
    )
    sched.select("short")
    sched.update_quota(quota(50_000, reset_at=T0 + timedelta(hours=2), seen_at=T0))
    status = sched.status()
    # short: 10 min at 5 s; long: until the reset in 2 h; manual: the one-hour horizon.
    assert status.projected_requests == 120 + 120 + 60
    assert status.mode == "normal"


# -- reserve, manual and in-flight ------------------------------------------------------


def test_reserve_stops_automatic_polling_but_manual_refresh_works() -> None:
    clock = FakeClock()
    sched = make(clock, "a", "b", selected="a")
    reset = T0 + timedelta(minutes=30)
    sched.update_quota(quota(500, reset_at=reset, seen_at=T0))  # reserve of 50,000 is 500
    status = sched.status()
    assert status.mode == "reserve"
    assert "500 requests left" in status.reason and "manual" in status.reason
    assert sched.due() == []
    assert sched.seconds_until_next() == pytest.approx(1800)

    assert sched.request_manual("b")
    assert sched.seconds_until_next() == 0
    assert sched.due() == ["b"]
    sched.started("b")
    assert not sched.request_manual("b")  # never two at once
    assert sched.due() == []
    sched.finished("b", Outcome.OK)
    assert sched.due() == []

    # After the reset the old figures say nothing: default intervals again.
    clock.now = reset
    assert sched.status().mode == "normal"
    assert sched.due() == ["a", "b"]


def test_one_above_the_reserve_allows_exactly_one_request() -> None:
    clock = FakeClock()
    sched = make(clock, "a", "b", "c", selected="c")
    sched.update_quota(quota(501, reset_at=T0 + timedelta(days=1), seen_at=T0))
    assert sched.due() == ["c"]
    sched.started("c")
    assert sched.due() == []
    assert sched.status().mode == "reserve"
    # The answer's figures count the request; nothing more is allowed.
    sched.finished("c", Outcome.OK)
    sched.update_quota(quota(500, reset_at=T0 + timedelta(days=1), seen_at=T0 + HOUR))
    assert sched.due() == []


def test_stale_quota_figures_are_ignored() -> None:
    clock = FakeClock()
    sched = make(clock, "a", selected="a")
    sched.update_quota(quota(500, reset_at=T0 + HOUR, seen_at=T0 + timedelta(seconds=10)))
    sched.update_quota(quota(40_000, reset_at=T0 + HOUR, seen_at=T0))
    assert sched.status().mode == "reserve"


def test_in_flight_box_is_never_due() -> None:
    clock = FakeClock()
    sched = make(clock, "a", "b", selected="a")
    sched.started("a")
    clock.advance(600)
    assert sched.due() == ["b"]
    assert not sched.request_manual("a")
    assert sched.in_flight == frozenset({"a"})
    sched.finished("a", Outcome.OK)
    assert sched.request_manual("a")


def test_expired_boxes_are_never_due() -> None:
    clock = FakeClock()
    sched = PollScheduler(PollPolicy(), clock=clock, rng=random.Random(1))
    sched.set_boxes(
        [
            BoxInfo("old", T0 - timedelta(minutes=1)),
            BoxInfo("soon", T0 + timedelta(seconds=90)),
            BoxInfo("manual", None),
        ]
    )
    sched.select("old")
    counts = run_for(sched, clock, 3600)
    assert "old" not in counts
    assert counts["soon"] == 2  # at 0 s and 60 s, then it expires
    assert counts["manual"] == 60
    sched.set_boxes([BoxInfo("old", T0 - timedelta(minutes=1))])
    assert sched.status().mode == "idle"
    assert sched.seconds_until_next() is None


def test_gone_box_is_not_polled_again() -> None:
    clock = FakeClock()
    sched = make(clock, "a", "b", selected="a")
    poll(sched, "a", Outcome.GONE)
    counts = run_for(sched, clock, 300)
    assert "a" not in counts and counts["b"] == 5


# -- failures ---------------------------------------------------------------------------


def test_rate_limit_pauses_until_retry_at_then_resumes() -> None:
    clock = FakeClock()
    sched = make(clock, "a", "b", selected="a")
    sched.update_quota(quota(40_000, reset_at=T0 + timedelta(days=5), seen_at=T0))
    poll(sched, "b")
    sched.started("a")
    retry_at = T0 + timedelta(seconds=120)
    sched.finished("a", Outcome.RATE_LIMITED, retry_at=retry_at)
    status = sched.status()
    assert status.mode == "paused" and status.paused_until == retry_at
    assert "12:02" in status.reason
    assert sched.seconds_until_next() == pytest.approx(120)
    counts = run_for(sched, clock, 119.5)
    assert counts == {}
    # A manual refresh is still allowed during the pause.
    assert sched.request_manual("b") and sched.due() == ["b"]
    sched.started("b")
    sched.finished("b", Outcome.OK)
    clock.now = retry_at
    assert sched.due() == ["a"]
    assert sched.status().mode == "normal"


def test_rate_limit_without_retry_at_is_short_while_quota_is_left() -> None:
    clock = FakeClock()
    # Quota left (or none known): a short limit, about a minute, not the monthly reset.
    for known in (quota(40_000, reset_at=T0 + timedelta(minutes=30), seen_at=T0), None):
        sched = make(clock, "a", selected="a")
        sched.update_quota(known)
        poll(sched, "a", Outcome.RATE_LIMITED)
        until = sched.status().paused_until
        assert until is not None
        assert T0 + timedelta(seconds=60) <= until <= T0 + timedelta(seconds=72)
        assert sched.status().reason.startswith("rate limited, retrying in")

    # None left: the monthly stop, until the reset.
    spent = make(clock, "a", selected="a")
    spent.update_quota(quota(0, reset_at=T0 + timedelta(minutes=30), seen_at=T0))
    poll(spent, "a", Outcome.RATE_LIMITED)
    assert spent.status().paused_until == T0 + timedelta(minutes=30)


def _delays_after_network_failures(seed: int, count: int) -> list[float]:
    clock = FakeClock()
    sched = make(clock, "a", selected="a", seed=seed)
    delays = []
    for _ in range(count):
        assert sched.due() == ["a"]
        poll(sched, "a", Outcome.NETWORK_ERROR)
        assert sched.status().offline
        wait = sched.seconds_until_next()
        assert wait is not None
        delays.append(wait)
        clock.advance(wait)
    return delays


def test_network_errors_back_off_with_jitter_up_to_a_cap() -> None:
    delays = _delays_after_network_failures(seed=3, count=12)
    cap = PollPolicy().max_backoff
    for n, delay in enumerate(delays, start=1):
        nominal = 5.0 * 2 ** (n - 1)
        # Jittered upwards only (never sooner than the healthy interval), spread at the cap.
        assert min(nominal, 0.9 * cap) <= delay <= min(cap, 1.25 * nominal)
    assert delays[3] > delays[0]  # it grows
    assert max(delays) <= cap
    assert len({round(d, 6) for d in delays[-4:]}) > 1  # still jittered at the cap
    assert delays != _delays_after_network_failures(seed=4, count=12)


def test_success_ends_offline_and_resets_backoff() -> None:
    clock = FakeClock()
    sched = make(clock, "a", "b", "c", selected="a")
    for key in ("a", "b", "c"):
        sched.started(key)
    # A whole wave of requests failing at once is one failure, not three.
    for key in ("a", "b", "c"):
        sched.finished(key, Outcome.NETWORK_ERROR)
    status = sched.status()
    assert status.mode == "offline" and status.offline
    first_wait = sched.seconds_until_next()
    assert first_wait is not None and 4.0 <= first_wait <= 6.0
    clock.advance(61)
    probe = sched.due()
    assert probe == ["a"]  # one probe at a time while offline
    sched.started("a")
    assert sched.due() == []
    sched.finished("a", Outcome.OK)
    assert not sched.status().offline
    assert sched.due() == ["b", "c"]
    for key in ("b", "c"):
        poll(sched, key)
    clock.advance(5)
    assert sched.due() == ["a"]


def test_server_errors_back_off_per_box() -> None:
    clock = FakeClock()
    sched = make(clock, "a", "b", selected="a")
    poll(sched, "b")
    counts: dict[str, int] = {}
    for _ in range(4):
        clock.advance(1)
        poll(sched, "a", Outcome.SERVER_ERROR)
        wait = sched.seconds_until_next()
        assert wait is not None
        counts["a"] = counts.get("a", 0) + 1
    assert not sched.status().offline
    assert sched.status().mode == "normal"
    # After four failures box a waits about 40 s (5, 10, 20, 40 with jitter)...
    clock.advance(20)
    assert "a" not in sched.due()
    # ...while box b keeps its own rhythm.
    clock.advance(40)
    assert "b" in sched.due()


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        PollPolicy(fast_interval=0)
    with pytest.raises(ValueError):
        PollPolicy(reserve_fraction=1.5)
    with pytest.raises(ValueError):
        PollPolicy(slow_interval=float("nan"))


def test_format_interval() -> None:
    assert format_interval(5) == "5 s"
    assert format_interval(90) == "1 min 30 s"
    assert format_interval(1800) == "30 min"
    assert format_interval(3900) == "1 h 5 min"
    assert format_interval(2 * 86400 + 7200) == "2 d 2 h"


# -- simulation -------------------------------------------------------------------------


@pytest.mark.parametrize(("limit", "seed"), [(3000, 2026), (400, 7)])
def test_simulated_day_never_spends_beyond_the_quota(limit: int, seed: int) -> None:
    rng = random.Random(seed)
    clock = FakeClock()
    reset = T0 + timedelta(hours=24)
    reserve = math.ceil(limit * PollPolicy().reserve_fraction)
    sched = PollScheduler(PollPolicy(), clock=clock, rng=random.Random(seed + 1))
    boxes_by_key: dict[str, BoxInfo] = {}
    for i in range(50):
        expire = None if rng.random() < 0.1 else T0 + timedelta(hours=rng.uniform(0.1, 30))
        boxes_by_key[f"box{i}"] = BoxInfo(f"box{i}", expire)
    gone: set[str] = set()
    sched.set_boxes(list(boxes_by_key.values()))
    sched.select("box0")
    sched.update_quota(quota(limit, limit=limit, reset_at=reset, seen_at=T0))

    used = 0
    started = 0
    in_flight: set[str] = set()
    events: list[tuple[datetime, int, str]] = []
    pauses: list[tuple[datetime, datetime]] = []
    next_select = T0 + timedelta(minutes=15)
    stalls = 0
    seq = 0
    while clock.now < reset:
        now = clock.now
        for key in sched.due():
            assert key not in in_flight, "two requests for one box"
            assert key not in gone
            assert not boxes_by_key[key].is_expired(now), "polled an expired box"
            assert not any(start <= now < end for start, end in pauses), "polled while paused"
            sched.started(key)
            started += 1
            in_flight.add(key)
            seq += 1
            done_at = now + timedelta(seconds=rng.uniform(0.05, 3.0))
            heapq.heappush(events, (done_at, seq, key))

        candidates = [reset, next_select]
        if events:
            candidates.append(events[0][0])
        wait = sched.seconds_until_next()
        if wait is not None:
            candidates.append(now + timedelta(seconds=wait))
        step = min(candidates)
        stalls = stalls + 1 if step <= now else 0
        assert stalls < 5, "the schedule says something is due but due() returns nothing"
        clock.now = max(step, now)

        while events and events[0][0] <= clock.now:
            _, _, key = heapq.heappop(events)
            in_flight.discard(key)
            roll = rng.random()
            if roll < 0.05:
                sched.finished(key, Outcome.NETWORK_ERROR)
            elif roll < 0.08:
                sched.finished(key, Outcome.SERVER_ERROR)
            elif roll < 0.085:
                until = clock.now + timedelta(seconds=45)
                pauses.append((clock.now, until))
                sched.finished(key, Outcome.RATE_LIMITED, retry_at=until)
            elif roll < 0.09:
                gone.add(key)
                sched.finished(key, Outcome.GONE)
            else:
                assert used < limit, "the server would have refused: quota spent"
                used += 1
                sched.finished(key, Outcome.OK)
                sched.update_quota(
                    quota(limit - used, limit=limit, reset_at=reset, seen_at=clock.now)
                )
        if clock.now >= next_select:
            live = [k for k, b in boxes_by_key.items() if not b.is_expired(clock.now)]
            live = [k for k in live if k not in gone]
            sched.select(rng.choice(live) if live else None)
            next_select += timedelta(minutes=15)

    assert used <= limit - reserve
    assert started >= used
    # The budget is not left idle either: most of it is spent on useful polls.
    assert used >= 0.8 * (limit - reserve)
