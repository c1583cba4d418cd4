"""Human-readable forms of sizes, durations and times for display."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path


def human_size(size: int) -> str:
    """A byte count as a short human string, e.g. ``1.2 MB``."""
    if size < 0:
        return "?"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"  # pragma: no cover - loop always returns


def human_duration(seconds: float) -> str:
    """A duration as its two largest units, e.g. ``9m 12s`` or ``3h 05m``."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def local_time(moment: datetime, *, now: datetime | None = None) -> str:
    """A moment in the user's local time: the time today, else date and time."""
    local = moment.astimezone()
    today = (now or datetime.now(UTC)).astimezone().date()
    if local.date() == today:
        return local.strftime("%H:%M")
    if local.year == today.year:
        return local.strftime("%d %b %H:%M")
    return local.strftime("%Y-%m-%d")


def full_local_time(moment: datetime) -> str:
    """A moment in local time with date, time and offset, for headers."""
    return moment.astimezone().strftime("%a, %d %b %Y %H:%M:%S %z")


def time_left(expire_at: datetime | None, *, now: datetime | None = None) -> str:
    """How long until a mailbox expires, or ``expired``."""
    if expire_at is None:
        return "expiry unknown"
    left = (expire_at - (now or datetime.now(UTC))).total_seconds()
    if left <= 0:
        return "expired"
    return f"{human_duration(left)} left"


#: Below this many seconds a figure is as good as current: ``age`` says ``just now``.
FRESH_SECONDS = 10


def age(seconds: float) -> str:
    """How long ago something was seen, coarsely: ``just now``, ``20s ago``, ``2m ago``.

    The steps are coarse so a line showing it (the quota bar, each second) reads the same
    from one second to the next, and is not drawn again: tens of seconds under a minute,
    whole minutes under an hour, then hours and minutes.
    """
    seconds = max(0, int(seconds))
    if seconds < FRESH_SECONDS:
        return "just now"
    if seconds < 60:
        return f"{seconds // 10 * 10}s ago"
    if seconds < 3_600:
        return f"{seconds // 60}m ago"
    return f"{human_duration(seconds)} ago"


def count(n: int) -> str:
    """An integer with thousands separators."""
    return f"{n:,}"


def display_path(path: Path) -> str:
    """A path as the user would type it, with the home directory shown as ``~``."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def local_minute(moment: datetime) -> str:
    """A moment in local time to the minute, e.g. ``2026-07-01 14:05``."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def seconds_in_words(value: float) -> str:
    """A whole number of seconds in words: ``1 second``, ``12 seconds``."""
    whole = max(0, round(value))
    return f"{whole} second{'s' * (whole != 1)}"
