"""The quota-aware polling schedule: which mailbox to poll when, as pure logic with a clock.

``policy`` holds the knobs and limits, ``outcome`` how a poll ended, ``status`` the boxes
given and the status reported, ``plan`` the quota projection and the intervals that fit
(shared with the other pollers on the machine), ``burst`` the expect-mail bursts, and
``scheduler`` the ``PollScheduler`` that keeps the state and drives the rest.  Every
part logs as ``tempmail_tui.core.schedule``.  The names below are the package's interface.
"""

from __future__ import annotations

from tempmail_tui.core.schedule.clock import utc_now
from tempmail_tui.core.schedule.outcome import Outcome, outcome_for
from tempmail_tui.core.schedule.plan import SharedUse
from tempmail_tui.core.schedule.policy import (
    DEFAULT_BACKOFF_BASE,
    DEFAULT_RATE_LIMIT_PAUSE,
    MAX_RATE_LIMIT_PAUSE,
    PollPolicy,
)
from tempmail_tui.core.schedule.scheduler import PollScheduler
from tempmail_tui.core.schedule.status import BoxInfo, Mode, ScheduleStatus, format_interval

__all__ = [
    "DEFAULT_BACKOFF_BASE",
    "DEFAULT_RATE_LIMIT_PAUSE",
    "MAX_RATE_LIMIT_PAUSE",
    "BoxInfo",
    "Mode",
    "Outcome",
    "PollPolicy",
    "PollScheduler",
    "ScheduleStatus",
    "SharedUse",
    "format_interval",
    "outcome_for",
    "utc_now",
]
