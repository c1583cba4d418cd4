"""The schedule's time: the default clock and one rule for naive datetimes."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def aware(dt: datetime) -> datetime:
    """``dt`` as an aware datetime, a naive one taken to be UTC."""
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)
