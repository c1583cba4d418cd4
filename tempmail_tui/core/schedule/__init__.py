"""The quota-aware polling schedule: which mailbox to poll when, as pure logic with a clock."""

from __future__ import annotations

from tempmail_tui.core.schedule.scheduler import (
    DEFAULT_BACKOFF_BASE,
    DEFAULT_RATE_LIMIT_PAUSE,
    MAX_RATE_LIMIT_PAUSE,
    BoxInfo,
    Mode,
    Outcome,
    PollPolicy,
    PollScheduler,
    ScheduleStatus,
    format_interval,
    outcome_for,
    utc_now,
)

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
    "format_interval",
    "outcome_for",
    "utc_now",
]
