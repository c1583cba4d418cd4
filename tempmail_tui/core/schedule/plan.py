"""The quota projection: what a schedule will spend until the reset, and the intervals that fit."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Literal

from tempmail_tui.api.models import Quota
from tempmail_tui.core.schedule.clock import aware
from tempmail_tui.core.schedule.policy import PollPolicy
from tempmail_tui.core.schedule.status import BoxInfo, format_interval, format_moment

PlanMode = Literal["normal", "stretched", "reserve"]


@dataclass(frozen=True)
class Plan:
    """The intervals chosen to fit the quota, and what they are projected to cost."""

    mode: PlanMode
    fast: float
    slow: float
    projected: int
    #: Automatic requests still allowed before the reserve, None when no quota is known.
    budget: int | None
    reason: str


@dataclass(frozen=True)
class Horizons:
    """Seconds each live box will still be polled: the selected box's and the others'.

    ``fixed`` counts the requests boxes in a burst still have coming (their allowance,
    which does not change with the intervals).
    """

    selected: float
    others: tuple[float, ...]
    fixed: int = 0

    def cost(self, fast: float, slow: float) -> int:
        """Requests polling at these intervals is projected to make over the horizons."""
        # A box due now is polled once at once, then once per interval.
        total = math.ceil(self.selected / fast) if self.selected > 0 else 0
        return self.fixed + total + sum(math.ceil(h / slow) for h in self.others if h > 0)


@dataclass(frozen=True)
class SharedUse:
    """The other live pollers on this machine and the requests they project until the reset."""

    pollers: int
    projected: int


def share_of(budget: int, wanted: int, shared: SharedUse | None) -> int:
    """The part of ``budget`` this poller may plan with, beside the others' projection.

    When everyone's projection fits, the others' is set aside whole; when it does not,
    each poller gets a share in proportion to what it wants, so all stretch together.
    """
    # Wanting nothing more (every horizon over), this poller takes nothing from the others.
    if shared is None or shared.pollers <= 0 or shared.projected <= 0 or wanted <= 0:
        return budget
    if wanted + shared.projected <= budget:
        return budget - shared.projected
    # At least one: a share rounded down to nothing would stop a waiter outright.
    return max(1, budget * wanted // (wanted + shared.projected))


def live_quota(quota: Quota | None, now: datetime) -> Quota | None:
    """The quota figures, or None when unknown or the period they describe is over."""
    if quota is None:
        return None
    if quota.reset_at is not None and aware(quota.reset_at) <= now:
        return None
    return quota


def reset_of(quota: Quota | None) -> datetime | None:
    """When the quota's period ends, or None when that is not known."""
    if quota is None or quota.reset_at is None:
        return None
    return aware(quota.reset_at)


def horizon_end(
    policy: PollPolicy, box: BoxInfo, now: datetime, reset: datetime | None
) -> datetime:
    """When a box stops being polled: its expiry (or a guess), or the quota reset if sooner."""
    if box.expire_at is not None:
        end = aware(box.expire_at)
    else:
        end = now + timedelta(seconds=policy.unknown_expiry_horizon)
    return reset if reset is not None and reset < end else end


def horizons_of(
    policy: PollPolicy,
    live: Iterable[BoxInfo],
    selected: str | None,
    now: datetime,
    reset: datetime | None,
) -> Horizons:
    """How long each live box will be polled: until it expires or the quota resets, if sooner."""
    selected_h = 0.0
    others: list[float] = []
    for box in live:
        horizon = max(0.0, (horizon_end(policy, box, now, reset) - now).total_seconds())
        if box.key == selected:
            selected_h = horizon
        else:
            others.append(horizon)
    return Horizons(selected_h, tuple(others))


def plan_for(
    policy: PollPolicy,
    horizons: Horizons,
    quota: Quota | None,
    unaccounted: int,
    now: datetime,
    display_tz: tzinfo | None,
    shared: SharedUse | None = None,
) -> Plan:
    """The policy's intervals if their cost fits the live ``quota``, else the least stretch.

    ``unaccounted`` counts requests that may be charged but are not yet in the figures;
    ``display_tz`` is the zone the reset time is named in (None: local); ``shared`` is what
    the other pollers on this machine project, set aside first (see ``share_of``).
    """
    fast, slow = policy.fast_interval, policy.slow_interval
    cap = max(policy.max_interval, fast, slow)
    cost = horizons.cost

    if quota is None:
        return Plan(
            "normal",
            fast,
            slow,
            cost(fast, slow),
            None,
            f"no quota figures yet: checking every {format_interval(fast)} (selected) "
            f"and {format_interval(slow)} (others)",
        )

    reset = reset_of(quota)
    limit = max(0, quota.limit)
    reserve = math.ceil(limit * policy.reserve_fraction)
    remaining = max(0, quota.remaining) - unaccounted
    budget = remaining - reserve
    until = f" until {format_moment(reset, now, display_tz)}" if reset is not None else ""
    left = f"{max(0, remaining):,} requests left{until}"
    if shared is not None and shared.pollers > 0 and budget > 0:
        budget = share_of(budget, cost(fast, slow), shared)
        others = f"{shared.pollers} other process{'es' * (shared.pollers != 1)}"
        left += f", shared with {others}"
    if budget <= 0:
        return Plan(
            "reserve",
            fast,
            slow,
            0,
            0,
            f"automatic checks stopped: {left}, {reserve:,} kept in reserve; "
            "a manual refresh still works",
        )

    projected = cost(fast, slow)
    if projected <= budget:
        return Plan(
            "normal",
            fast,
            slow,
            projected,
            budget,
            f"checking every {format_interval(fast)} (selected) and "
            f"{format_interval(slow)} (others); {left}",
        )

    # Background boxes give way first, up to the cap.
    new_slow = least_interval(lambda s: cost(fast, s), slow, cap, budget)
    if new_slow is not None:
        return Plan(
            "stretched",
            fast,
            new_slow,
            cost(fast, new_slow),
            budget,
            f"other mailboxes stretched to {format_interval(new_slow)} to fit {left}",
        )
    # Then the selected box.
    new_fast = least_interval(lambda f: cost(f, cap), fast, cap, budget)
    if new_fast is not None:
        return Plan(
            "stretched",
            new_fast,
            cap,
            cost(new_fast, cap),
            budget,
            f"stretched to {format_interval(new_fast)} (selected) and "
            f"{format_interval(cap)} (others) to fit {left}",
        )
    # Even the cap does not fit: everything slows down together beyond it.
    longest = max([horizons.selected, *horizons.others, cap]) + 1.0
    even = least_interval(lambda x: cost(x, x), cap, longest, budget)
    if even is None:
        even = longest
    return Plan(
        "stretched",
        even,
        even,
        min(cost(even, even), budget),
        budget,
        f"every mailbox stretched to {format_interval(even)} to fit {left}",
    )


def least_interval(
    cost_at: Callable[[float], int], low: float, high: float, budget: int
) -> float | None:
    """The shortest interval in [low, high] (whole seconds above low) whose cost fits."""
    if cost_at(low) <= budget:
        return low
    if cost_at(high) > budget:
        return None
    # Cost only falls as the interval grows, so bisect over whole seconds.
    bad, good = math.floor(low), math.ceil(high)
    while good - bad > 1:
        mid = (bad + good) // 2
        if cost_at(mid) <= budget:
            good = mid
        else:
            bad = mid
    return float(good)
