"""The one exception family every API failure is reported through."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tempmail_tui.errors import TempMailError


class ApiError(TempMailError):
    """Base class for every failure of the Temp Mail API client."""

    #: A short, user-facing description of the kind of failure.
    summary = "The Temp Mail API request failed"

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int | None = None,
        server_message: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.server_message = server_message
        self.method = method
        # The path never contains the key: the key travels only in a header.
        self.path = path
        super().__init__(message or self._default_message())

    def _default_message(self) -> str:
        parts = [self.summary]
        if self.status_code is not None:
            parts[0] += f" (HTTP {self.status_code})"
        if self.server_message:
            parts.append(self.server_message)
        return ": ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, "
            f"server_message={self.server_message!r}, method={self.method!r}, "
            f"path={self.path!r})"
        )


class HttpStatusError(ApiError):
    """An HTTP error status from the server."""

    summary = "The server refused the request"


class AuthenticationError(HttpStatusError):
    """401: the API key is missing, wrong or revoked."""

    summary = "The API key was rejected"


class ForbiddenError(HttpStatusError):
    """403: the plan does not allow this request."""

    summary = "Your plan does not allow this"


class NotFoundError(HttpStatusError):
    """404: the mailbox or message does not exist or is not owned by this key."""

    summary = "Not found (or not owned by this API key)"


class ValidationError(HttpStatusError):
    """422: the server found the input invalid."""

    summary = "The server rejected the input"


class RateLimitError(HttpStatusError):
    """429: too many requests for now (a short limit), or the month's quota spent."""

    summary = "Rate limited by the server"

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_at: datetime | None = None,
        retry_after: float | None = None,
        quota_spent: bool = False,
        **details: Any,
    ) -> None:
        #: When the quota resets (from ``X-RateLimit-Reset``), if the server said.
        self.retry_at = retry_at
        #: Seconds to wait before trying again (from ``Retry-After``), if the server said.
        self.retry_after = retry_after
        #: Whether the monthly quota is spent (``Remaining`` is 0), not just a short limit.
        self.quota_spent = quota_spent
        if quota_spent:
            self.summary = "The monthly request quota is used up"
        super().__init__(message, **details)


class ClientError(HttpStatusError):
    """Any other 4xx status."""

    summary = "The server rejected the request"


class ServerError(HttpStatusError):
    """A 5xx status: the service failed."""

    summary = "The Temp Mail service had an internal error"


class NetworkError(ApiError):
    """The network failed: no connection, reset, DNS or TLS failure."""

    summary = "Could not reach the Temp Mail service"


class RequestTimeoutError(NetworkError):
    """The request took longer than its timeout."""

    summary = "The Temp Mail service did not answer in time"


class ProtocolError(ApiError):
    """The server answered with something that is not the documented shape."""

    summary = "The server sent an unexpected response"


class InputError(ApiError):
    """The client refused the input before sending anything."""

    summary = "Invalid input"


def error_for_status(status: int) -> type[HttpStatusError]:
    """The exception class that stands for an HTTP error status."""
    if status == 401:
        return AuthenticationError
    if status == 403:
        return ForbiddenError
    if status == 404:
        return NotFoundError
    if status == 422:
        return ValidationError
    if status == 429:
        return RateLimitError
    if 400 <= status < 500:
        return ClientError
    return ServerError
