"""What one try of a request came to: a capped body, or the API error for what went wrong."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from .errors import (
    ApiError,
    NetworkError,
    ProtocolError,
    RateLimitError,
    RequestTimeoutError,
    error_for_status,
)
from .models import Quota
from .parse import clean_server_text, decode_json, server_message
from .quota import parse_reset, parse_retry_after
from .secrets import redact

# Only the start of an error body is read: enough for a JSON message, not for a flood.
_ERROR_BODY_BYTES = 64 * 1024
_MAX_BACKOFF = 10.0


@dataclass(slots=True)
class Attempt:
    """What one try of a request produced: a body on success, else an error."""

    error: ApiError | None = None
    retryable: bool = False
    #: The connection broke before an answer came: most often a kept-alive one the server
    #: closed as the request went out (see ``dropped``).
    dropped: bool = False
    # A bytearray as read: a copy of a 10 MB listing would only raise the peak memory.
    body: bytes | bytearray = b""


def content_length(headers: httpx.Headers) -> int | None:
    """The Content-Length header as an int, or None when missing or garbled."""
    raw = headers.get("Content-Length", "").strip()
    if not raw.isdigit() or len(raw) > 18:
        return None
    return int(raw)


def transport_error(
    exc: BaseException, method: str, path: str, *, secret: str
) -> tuple[ApiError, bool]:
    """The API error for an exception raised by httpx, and whether a GET may be retried.

    The httpx exception is not chained: it holds the request, and the request holds the key.
    """
    detail = clean_server_text(redact(str(exc), secret), 200) or type(exc).__name__
    error: ApiError
    retryable = False
    if isinstance(exc, httpx.TimeoutException):
        error, retryable = RequestTimeoutError(f"{RequestTimeoutError.summary}: {detail}"), True
    elif isinstance(exc, httpx.RemoteProtocolError):
        # Often a pooled connection the server closed; otherwise a server speaking garbage.
        error, retryable = ProtocolError(f"The server broke the HTTP protocol: {detail}"), True
    elif isinstance(exc, httpx.UnsupportedProtocol):
        error = NetworkError(f"{NetworkError.summary}: {detail}")
    elif isinstance(exc, httpx.TransportError):
        error, retryable = NetworkError(f"{NetworkError.summary}: {detail}"), True
    elif isinstance(exc, httpx.StreamError):
        error = ProtocolError(f"The response stream failed: {detail}")
    else:
        error = ApiError(f"Unexpected failure ({type(exc).__name__})")
    error.method, error.path = method, path
    return error, retryable


@dataclass(slots=True)
class Dialled:
    """Whether a request opened a connection of its own (httpcore's ``trace`` extension)."""

    opened: bool = False

    async def trace(self, event: str, info: object) -> None:
        """Note a TCP connect among the request's trace events."""
        if "connect_tcp" in event:
            self.opened = True


def dropped(exc: BaseException, dialled: Dialled) -> bool:
    """Whether a kept-alive connection broke under the request (reset, or closed unanswered).

    A server closes an idle connection on its own clock, so a request sent on it at that
    moment meets a closed socket: asking again on a new connection is no retry of a failing
    server. A connection the request opened itself that breaks is a real failure.
    """
    broke = isinstance(exc, httpx.ReadError | httpx.WriteError | httpx.RemoteProtocolError)
    return broke and not dialled.opened


async def pause(attempt: int, backoff: float) -> None:
    """Sleep before a retry: exponential, bounded, with jitter so clients do not align."""
    delay = min(backoff * (2**attempt), _MAX_BACKOFF)
    if delay > 0:
        await asyncio.sleep(delay * random.uniform(0.5, 1.0))


async def read_body(
    response: httpx.Response, method: str, path: str, *, max_body_bytes: int
) -> Attempt:
    """The body of a 2xx response, or a ProtocolError once it passes ``max_body_bytes``."""
    declared = content_length(response.headers)
    if declared is not None and declared > max_body_bytes:
        return Attempt(error=_too_large(max_body_bytes, method, path))
    # A declared length (of a body sent as is) sizes the buffer once: grown chunk by chunk,
    # a 10 MB listing's buffer would be an eighth larger than its body.
    sized = declared is not None and "content-encoding" not in response.headers
    body = bytearray(declared if sized and declared is not None else 0)
    size = 0
    async for chunk in response.aiter_bytes():
        end = size + len(chunk)
        if end > max_body_bytes:
            return Attempt(error=_too_large(max_body_bytes, method, path))
        # In place while within the declared length; past it (a server that lied), extended.
        body[size:end] = chunk
        size = end
    # A body shorter than declared keeps only what came.
    del body[size:]
    return Attempt(body=body)


def _too_large(max_body_bytes: int, method: str, path: str) -> ProtocolError:
    """The error for a body over the size cap."""
    return ProtocolError(
        f"The response is larger than {max_body_bytes} bytes", method=method, path=path
    )


async def error_message(response: httpx.Response, *, secret: str) -> str | None:
    """The cleaned server message at the start of an error response's body, if it has one."""
    try:
        prefix = bytearray()
        async for chunk in response.aiter_bytes():
            prefix += chunk
            if len(prefix) >= _ERROR_BODY_BYTES:
                break
        # A JSON body cut off at the cap simply yields no message.
        return server_message(decode_json(bytes(prefix)), secret=secret)
    except Exception:
        # The status alone is enough to report; a broken error body adds nothing.
        return None


def status_error(
    response: httpx.Response,
    message: str | None,
    method: str,
    path: str,
    *,
    quota: Quota | None,
) -> ApiError:
    """The exception for a non-2xx response; ``quota`` is the latest, this response's included."""
    status = response.status_code
    if not 400 <= status < 600:
        # Redirects are not followed (they could take the key elsewhere) nor expected.
        return ProtocolError(
            f"The server answered with unexpected HTTP status {status}",
            status_code=status,
            server_message=message,
            method=method,
            path=path,
        )
    if status == 429:
        return rate_limit_error(response.headers, message, method, path, quota=quota)
    return error_for_status(status)(
        status_code=status, server_message=message, method=method, path=path
    )


def rate_limit_error(
    headers: httpx.Headers,
    message: str | None,
    method: str,
    path: str,
    *,
    quota: Quota | None,
) -> RateLimitError:
    """A 429: a short limit (``Retry-After``, or quota left) or the monthly stop."""
    retry_after = parse_retry_after(headers, datetime.now(UTC))
    spent = retry_after is None and quota is not None and quota.remaining == 0
    return RateLimitError(
        retry_at=parse_reset(headers),
        retry_after=retry_after,
        quota_spent=spent,
        status_code=429,
        server_message=message,
        method=method,
        path=path,
    )
