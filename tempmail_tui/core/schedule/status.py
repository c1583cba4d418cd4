"""The mailboxes the schedule is given, what it reports back, and how times read there."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Literal

from tempmail_tui.core.schedule.clock import aware

Mode = Literal["normal", "stretched", "reserve", "paused", "offline", "idle"]


@dataclass(frozen=True)
class BoxInfo:
    """A mailbox to poll: its key (the address) and expiry, None when unknown."""

    key: str
    expire_at: datetime | None

    def is_expired(self, now: datetime) -> bool:
        """Whether the known expiry has passed (an unknown expiry never has)."""
        return self.expire_at is not None and aware(self.expire_at) <= now


@dataclass(frozen=True)
class ScheduleStatus:
    """What the schedule is doing and why, for the status line."""

    mode: Mode
    fast_interval: float
    slow_interval: float
    reason: str
    paused_until: datetime | None
    offline: bool
    projected_requests: int
    #: A burst of fast checks running, or one just skipped, in words (None: neither).
    burst: str | None = None


def format_interval(seconds: float) -> str:
    """A short human form of a duration: ``5 s``, ``1 min 30 s``, ``2 h 5 min``, ``3 d 4 h``."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        minutes, rest = divmod(seconds, 60)
        return f"{minutes} min" + (f" {rest} s" if rest else "")
    if seconds < 86400:
        hours, rest = divmod(seconds, 3600)
        minutes = rest // 60
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    days, rest = divmod(seconds, 86400)
    hours = rest // 3600
    return f"{days} d" + (f" {hours} h" if hours else "")


def format_moment(moment: datetime, now: datetime, display_tz: tzinfo | None) -> str:
    """A moment in ``display_tz`` (None: local): the time if it is today, else day and time."""
    local = moment.astimezone(display_tz)
    local_now = now.astimezone(display_tz)
    if local.date() == local_now.date():
        return local.strftime("%H:%M")
    return f"{local.day} {local:%b %H:%M}"
