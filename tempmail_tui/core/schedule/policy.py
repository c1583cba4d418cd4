"""The schedule's knobs and fixed limits, and the back-off they imply after failures."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Final

#: How long automatic polling pauses after a short 429 that names no time (no Retry-After).
DEFAULT_RATE_LIMIT_PAUSE: Final = 60.0
#: The longest pause a Retry-After may impose before a check is tried again.
MAX_RATE_LIMIT_PAUSE: Final = 900.0
#: Backoff base when a failing box has no interval of its own.
DEFAULT_BACKOFF_BASE: Final = 5.0


@dataclass(frozen=True)
class PollPolicy:
    """The knobs of the schedule: intervals in seconds and the share of quota kept back."""

    fast_interval: float = 5.0
    slow_interval: float = 60.0
    reserve_fraction: float = 0.01
    max_interval: float = 1800.0
    max_backoff: float = 300.0
    unknown_expiry_horizon: float = 3600.0
    #: An expect-mail burst: checks this often, for at most this long (see ``burst.py``)...
    burst_interval: float = 1.0
    burst_duration: float = 180.0
    #: ... paid back afterwards at most this many times slower than the normal interval.
    burst_payback: float = 3.0

    def __post_init__(self) -> None:
        for name in (
            "fast_interval",
            "slow_interval",
            "max_interval",
            "max_backoff",
            "unknown_expiry_horizon",
            "burst_interval",
            "burst_duration",
        ):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number of seconds")
        if not (math.isfinite(self.burst_payback) and self.burst_payback >= 1.0):
            raise ValueError("burst_payback must be a number of at least 1")
        if not 0.0 <= self.reserve_fraction < 1.0:
            raise ValueError("reserve_fraction must be at least 0 and below 1")


def backoff_delay(
    policy: PollPolicy, failures: int, base: float | None, rng: random.Random
) -> float:
    """Seconds to wait after ``failures`` failures in a row: doubling, capped, jittered."""
    base = base or DEFAULT_BACKOFF_BASE
    # Never below the healthy interval: a failing server is not asked more often.
    cap = max(policy.max_backoff, base)
    delay = base * 2.0 ** min(failures - 1, 60) * rng.uniform(1.0, 1.25)
    if delay >= cap:
        # Still spread at the cap, so clients that failed together do not return together.
        delay = max(base, cap * rng.uniform(0.9, 1.0))
    return delay
