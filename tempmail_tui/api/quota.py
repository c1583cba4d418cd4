"""Parsing of the ``X-RateLimit-*`` quota headers, tolerant of anything a server might send."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

from .models import Quota

LIMIT_HEADER = "X-RateLimit-Limit"
USED_HEADER = "X-RateLimit-Used"
REMAINING_HEADER = "X-RateLimit-Remaining"
RESET_HEADER = "X-RateLimit-Reset"
RETRY_AFTER_HEADER = "Retry-After"

# Counters beyond this are garbage, not a quota; the bound also keeps int() cheap.
_MAX_COUNTER = 10**15
_COUNTER = re.compile(r"[0-9]{1,16}")
# Long enough for any ISO-8601 timestamp with fractions and an offset.
_MAX_TIMESTAMP_LEN = 64


def _get(headers: Mapping[str, str], name: str) -> str | None:
    """The header's value, looked up case-insensitively in a plain mapping too."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        for key, candidate in headers.items():
            if key.lower() == lowered:
                return candidate
    return value


def _counter(raw: str | None) -> int | None:
    """A non-negative counter, or None when missing or garbled."""
    if raw is None:
        return None
    raw = raw.strip()
    if not _COUNTER.fullmatch(raw):
        return None
    value = int(raw)
    return value if value <= _MAX_COUNTER else None


def parse_timestamp(raw: str | None) -> datetime | None:
    """An ISO-8601 timestamp as an aware UTC datetime, or None when missing or garbled."""
    if raw is None:
        return None
    raw = raw.strip()
    if not raw or len(raw) > _MAX_TIMESTAMP_LEN:
        return None
    try:
        moment = datetime.fromisoformat(raw)
        if moment.tzinfo is None:
            # The documentation always shows an offset; a bare time is most likely UTC.
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def parse_reset(headers: Mapping[str, str]) -> datetime | None:
    """The quota reset time from ``X-RateLimit-Reset``, or None."""
    return parse_timestamp(_get(headers, RESET_HEADER))


def parse_quota(headers: Mapping[str, str], seen_at: datetime | None = None) -> Quota | None:
    """The quota the headers announce, or None when they are missing or garbled."""
    limit = _counter(_get(headers, LIMIT_HEADER))
    used = _counter(_get(headers, USED_HEADER))
    remaining = _counter(_get(headers, REMAINING_HEADER))
    if limit is None or used is None or remaining is None:
        return None
    raw_reset = _get(headers, RESET_HEADER)
    reset_at = parse_timestamp(raw_reset)
    if raw_reset is not None and reset_at is None:
        # A reset time that is present but unreadable means the whole set is suspect.
        return None
    return Quota(
        limit=limit,
        used=used,
        remaining=remaining,
        reset_at=reset_at,
        seen_at=(seen_at or datetime.now(UTC)).astimezone(UTC),
    )


def parse_retry_after(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds to wait from ``Retry-After`` (delta-seconds or an HTTP date), or None."""
    raw = _get(headers, RETRY_AFTER_HEADER)
    if raw is None:
        return None
    raw = raw.strip()
    if not raw or len(raw) > _MAX_TIMESTAMP_LEN:
        return None
    if _COUNTER.fullmatch(raw):
        return float(min(int(raw), _MAX_COUNTER))
    from email.utils import parsedate_to_datetime

    try:
        moment = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())
