"""How a poll ended, as the schedule sees it, and the error classification behind it."""

from __future__ import annotations

from enum import Enum

from tempmail_tui.api.errors import (
    ApiError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    ServerError,
)


class Outcome(Enum):
    """How a poll ended, as far as the schedule cares."""

    OK = "ok"
    NETWORK_ERROR = "network_error"
    SERVER_ERROR = "server_error"
    RATE_LIMITED = "rate_limited"
    GONE = "gone"
    OTHER_ERROR = "other_error"
    #: The server answered but this machine failed (store, disk, renderer): no back-off.
    LOCAL_ERROR = "local_error"


def outcome_for(error: BaseException | None) -> Outcome:
    """The outcome that stands for a poll's error (None: it succeeded)."""
    if error is None:
        return Outcome.OK
    if not isinstance(error, ApiError):
        return Outcome.LOCAL_ERROR
    if isinstance(error, RateLimitError):
        return Outcome.RATE_LIMITED
    if isinstance(error, NetworkError):
        return Outcome.NETWORK_ERROR
    # A garbled answer is the service failing too: back off the same way.
    if isinstance(error, ServerError | ProtocolError):
        return Outcome.SERVER_ERROR
    if isinstance(error, NotFoundError):
        return Outcome.GONE
    return Outcome.OTHER_ERROR
