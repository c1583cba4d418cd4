"""Expect-mail bursts: a box checked fast for a while, paid for by its own later checks.

A burst polls a box every ``burst_interval`` seconds right after the user did something
that makes mail likely (created the box, copied its address, ran ``wait``). It is part of
the quota projection. In the reader it is paid back: the box's checks from the burst's
start to the end of its horizon (its expiry or the quota reset) may not cost more than the
normal interval would have cost over the same time, so what the burst spends early is
repaid after it, at an interval at most ``burst_payback`` times the normal one, and the
burst is as long as that allows (at most ``burst_duration``): it costs the month nothing.
A wait ends with the mail, so nothing is left to repay with: its burst is unpaid, as long
as the plan has requests to spare for it. With the plan stretched the burst stretches
with it; at the reserve, or with no room, it is skipped, and the status says so.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from tempmail_tui.core.schedule.policy import PollPolicy
from tempmail_tui.core.schedule.status import format_interval

#: A burst shorter than this many of its own intervals is not worth announcing.
_MIN_BURST_CHECKS: Final = 3
#: How long a burst asked for before its box is known waits for the box (seconds).
_PENDING_BURST: Final = 30.0
#: How long the status says a burst was skipped.
_SKIP_NOTE: Final = 10.0


@dataclass
class Burst:
    """One box's burst: the fast phase, the horizon it is paid back over, and its ledger."""

    started: datetime
    #: When the fast phase ends (moved to the moment mail arrives, if sooner).
    ends: datetime
    #: The end of the box's horizon when the burst started: the payback ends there.
    horizon_end: datetime
    interval: float
    #: Requests the normal interval would have made from ``started`` to ``horizon_end``.
    allowance: int
    #: Whether the box's later checks pay the burst back (see ``choose_burst``).
    paid: bool = True
    spent: int = 0

    def fast_at(self, now: datetime) -> bool:
        """Whether the fast phase is on at ``now``."""
        return now < self.ends

    def left(self) -> int:
        """Requests of the allowance not yet spent."""
        return max(0, self.allowance - self.spent)

    def payback_interval(self, now: datetime, base: float) -> float:
        """The interval after the fast phase: the normal one, or longer to repay the burst."""
        rest = (self.horizon_end - now).total_seconds()
        if rest <= 0:
            return base
        return max(base, rest / max(1, self.left()))

    def describe(self, now: datetime) -> str:
        """The burst in words, for the status line."""
        left = max(0.0, (self.ends - now).total_seconds())
        return (
            f"watching for new mail: every {format_interval(self.interval)} "
            f"for {format_interval(left)}"
        )


@dataclass(frozen=True)
class BurstChoice:
    """What a burst request became: a burst, or None and the reason it was skipped."""

    burst: Burst | None
    reason: str
    #: Whether the status says it (a skip for the quota does; one that changes nothing not).
    tell: bool = True


def choose_burst(
    policy: PollPolicy,
    now: datetime,
    horizon_end: datetime,
    fast: float,
    *,
    reserve: bool,
    spare: int | None,
    paid: bool,
    left: int | None = None,
) -> BurstChoice:
    """The burst that fits a box polled every ``fast`` seconds until ``horizon_end``.

    ``fast`` is the plan's interval for the box (stretched when the quota is tight), and
    the burst's interval stretches by the same factor. A ``paid`` burst costs no more than
    the normal interval over the horizon (the box's later checks pay it back); an unpaid
    one (a wait, which ends with the mail) may cost up to ``spare`` requests more than
    that (what the plan leaves unspent; None: no quota known, no bound). ``left`` is what
    a paid burst still running for the box may spend: a new one inherits its ledger.
    """
    if reserve:
        return BurstChoice(None, "burst skipped: the quota is down to its reserve")
    horizon = (horizon_end - now).total_seconds()
    interval = policy.burst_interval * max(1.0, fast / policy.fast_interval)
    if interval * 2 > min(fast, policy.fast_interval):
        # Less than twice the normal pace is no burst: nothing to announce or pay back.
        if fast > policy.fast_interval:
            return BurstChoice(None, "burst skipped: quota low")
        return BurstChoice(None, "no burst: already checking that often", tell=False)
    if horizon < interval * _MIN_BURST_CHECKS:
        return BurstChoice(None, "no burst: too little time left", tell=False)
    normal = math.ceil(horizon / fast)
    if paid:
        payback = fast * policy.burst_payback
        allowance = normal if left is None else min(normal, left)
    else:
        payback = fast
        allowance = normal + (spare if spare is not None else 10**9)
    seconds = _longest_burst(horizon, interval, payback, allowance, policy.burst_duration)
    if seconds < interval * _MIN_BURST_CHECKS:
        if not paid or fast > policy.fast_interval:
            return BurstChoice(None, "burst skipped: quota low")
        if allowance < normal:
            return BurstChoice(None, "burst skipped: the last one is still being paid back")
        return BurstChoice(None, "burst skipped: the mailbox expires too soon to pay it back")
    if not paid:
        # What it will really cost: after it, the box goes back to the normal interval.
        allowance = burst_cost(seconds, horizon, interval, payback)
    burst = Burst(
        started=now,
        ends=now + timedelta(seconds=seconds),
        horizon_end=horizon_end,
        interval=interval,
        allowance=allowance,
        paid=paid,
    )
    return BurstChoice(burst, burst.describe(now))


def burst_cost(seconds: float, horizon: float, interval: float, payback: float) -> int:
    """Requests a burst of ``seconds`` and its payback at ``payback`` make over ``horizon``."""
    fast_part = math.ceil(seconds / interval) if seconds > 0 else 0
    rest = horizon - seconds
    return fast_part + (math.ceil(rest / payback) if rest > 0 else 0)


def _longest_burst(
    horizon: float, interval: float, payback: float, allowance: int, longest: float
) -> float:
    """The longest fast phase (whole seconds, at most ``longest``) the allowance pays for."""
    top = math.floor(min(longest, horizon))
    if burst_cost(top, horizon, interval, payback) <= allowance:
        return float(top)
    # The cost only grows with the burst's length: bisect for the longest that fits.
    good, bad = 0, top
    while bad - good > 1:
        mid = (good + bad) // 2
        if burst_cost(mid, horizon, interval, payback) <= allowance:
            good = mid
        else:
            bad = mid
    return float(good)


@dataclass
class Bursts:
    """The scheduler's bursts: running ones, ones waiting for their box, and the last skip."""

    running: dict[str, Burst] = field(default_factory=dict)
    #: Bursts asked for boxes not given yet (a box just created): when, and whether paid.
    pending: dict[str, tuple[datetime, bool]] = field(default_factory=dict)
    #: Why the last burst was skipped, and until when the status says so.
    note: tuple[str, datetime] | None = None

    def due_pending(self, keys: Collection[str], now: datetime) -> list[tuple[str, bool]]:
        """The pending bursts whose box is now given (and whether paid); stale ones go."""
        ready: list[tuple[str, bool]] = []
        for key, (asked, paid) in list(self.pending.items()):
            if key in keys:
                ready.append((key, paid))
            if key in keys or (now - asked).total_seconds() > _PENDING_BURST:
                del self.pending[key]
        return ready

    def chosen(self, key: str, choice: BurstChoice, now: datetime) -> None:
        """Keep what a burst request became: the burst, or the note that it was skipped."""
        self.note = None
        if choice.burst is not None:
            self.running[key] = choice.burst
        elif choice.tell:
            self.note = (choice.reason, now + timedelta(seconds=_SKIP_NOTE))

    def next_check(self, key: str, last: datetime, now: datetime, base: float) -> datetime:
        """When ``key``, checked at ``last`` and normally every ``base`` s, is due next."""
        burst = self.running.get(key)
        if burst is not None and now >= burst.horizon_end:
            del self.running[key]  # paid back: the box is an ordinary one again
            burst = None
        if burst is None:
            return last + timedelta(seconds=base)
        if burst.fast_at(last):
            return last + timedelta(seconds=burst.interval)
        return last + timedelta(seconds=burst.payback_interval(last, base))

    def fast_intervals(self, keys: Iterable[str], now: datetime) -> list[float]:
        """The intervals of these keys' bursts in their fast phase at ``now``."""
        running = self.running
        return [running[k].interval for k in keys if k in running and running[k].fast_at(now)]

    def live(self, keys: Iterable[str], now: datetime) -> list[str]:
        """The keys whose burst (fast phase or payback) is still on."""
        return [k for k in keys if k in self.running and now < self.running[k].horizon_end]

    def status(self, live: Iterable[str], selected: str | None, now: datetime) -> str | None:
        """A running burst (the selected box's first) or a burst just skipped, in words."""
        running = [
            (key != selected, key)
            for key in live
            if key in self.running and self.running[key].fast_at(now)
        ]
        if running:
            return self.running[min(running)[1]].describe(now)
        if self.note is not None and now < self.note[1]:
            return self.note[0]
        return None
