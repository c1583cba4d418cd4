"""The async Temp Mail API client: one method per endpoint, typed results, one error family."""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
import logging
import random
import time
import unicodedata
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import TypeVar
from urllib.parse import quote

import httpx

from .. import __version__
from .errors import (
    ApiError,
    InputError,
    NetworkError,
    ProtocolError,
    RateLimitError,
    RequestTimeoutError,
    error_for_status,
)
from .models import Attachment, DomainList, Mailbox, Message, MessageList, Quota
from .parse import (
    clean_server_text,
    decode_json,
    parse_confirmation,
    parse_domain_list,
    parse_mailbox,
    parse_message_list,
    parse_read_message,
    server_message,
)
from .quota import parse_quota, parse_reset, parse_retry_after
from .secrets import Secret, redact

__all__ = ["AttachmentStream", "TempMailClient"]

T = TypeVar("T")

log = logging.getLogger(__name__)

USER_AGENT = f"tempmail-tui/{__version__}"
#: The domain types ``GET /domains`` documents.
DOMAIN_TYPES = frozenset({"free", "premium", "all"})
#: Largest JSON body read into memory.
MAX_BODY_BYTES = 32 * 1024 * 1024
# Only the start of an error body is read: enough for a JSON message, not for a flood.
_ERROR_BODY_BYTES = 64 * 1024
_MAX_BACKOFF = 10.0
_MAX_SEGMENT_LEN = 1024
_DEFAULT_CHUNK = 64 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters that would change the meaning of a URL path, whatever the encoding.
_PATH_BREAKERS = frozenset("/?#\\")


def _unsafe_char(char: str) -> bool:
    """Whether a character is whitespace, a control, a format character or a lone surrogate."""
    return char.isspace() or unicodedata.category(char) in {"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"}


def _check_segment(value: object, what: str, *, allow_spaces: bool = False) -> str:
    """A value that is safe to percent-encode as one URL path segment, or InputError."""
    if not isinstance(value, str):
        raise InputError(f"Invalid {what}: not a string")
    if not value or value in {".", ".."}:
        raise InputError(f"Invalid {what}: empty or a dot segment")
    if len(value) > _MAX_SEGMENT_LEN:
        raise InputError(f"Invalid {what}: too long")
    for char in value:
        if char in _PATH_BREAKERS:
            raise InputError(f"Invalid {what}: contains {char!r}")
        if allow_spaces and char == " ":
            continue
        if _unsafe_char(char):
            raise InputError(f"Invalid {what}: contains whitespace or control characters")
    return value


def _check_email(value: object, what: str = "email address") -> str:
    """A loosely valid ``local@domain`` address, or InputError."""
    email = _check_segment(value, what)
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain:
        raise InputError(f"Invalid {what}: expected local@domain")
    return email


def _check_api_key(api_key: object) -> str:
    """An API key that can travel in an HTTP header; the error never shows the key itself."""
    if not isinstance(api_key, str) or not api_key:
        raise InputError("The API key is empty")
    if not all("\x21" <= char <= "\x7e" for char in api_key):
        raise InputError("The API key contains spaces, controls or non-ASCII characters")
    return api_key


def _is_loopback(host: str) -> bool:
    """Whether a host name or address is the local machine."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class _Origin:
    """The scheme, host and port the key may be sent to."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: httpx.URL) -> _Origin:
        """The origin of a URL, with default ports made explicit."""
        scheme = url.scheme.lower()
        return cls(scheme, url.host.lower(), url.port or _DEFAULT_PORTS.get(scheme, -1))


def _parse_url(text: str) -> httpx.URL | None:
    """The URL, or None when httpx cannot parse it (the caller raises, unchained)."""
    try:
        return httpx.URL(text)
    except Exception:
        return None


def _normalise_base_url(base_url: object, *, allow_http: bool) -> httpx.URL:
    """The base URL without trailing slashes, or InputError when it cannot be an API root."""
    if not isinstance(base_url, str) or not base_url.strip():
        raise InputError("The API base URL is empty")
    url = _parse_url(base_url.strip().rstrip("/"))
    if url is None:
        raise InputError("The API base URL is not a valid URL")
    scheme = url.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not url.host:
        raise InputError("The API base URL must be an http(s) URL with a host")
    if url.userinfo or url.query or url.fragment:
        raise InputError("The API base URL must not carry credentials, a query or a fragment")
    if scheme == "http" and not (allow_http or _is_loopback(url.host)):
        # The key would cross the network in clear text.
        raise InputError("The API base URL must use https (http is allowed only on loopback)")
    return url


@dataclass(slots=True)
class _Attempt:
    """What one try of a request produced: a body on success, else an error."""

    error: ApiError | None = None
    retryable: bool = False
    body: bytes = b""
    response: httpx.Response | None = field(default=None, repr=False)


class AttachmentStream:
    """An open attachment download: iterate it for the file's bytes, chunk by chunk."""

    def __init__(
        self, response: httpx.Response, *, chunk_size: int, max_bytes: int | None, secret: str
    ) -> None:
        self._response = response
        self._chunk_size = chunk_size
        self._max_bytes = max_bytes
        self._secret = secret
        self.received = 0
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        #: The size the server declared (Content-Length), when it declared one.
        self.content_length: int | None = (
            _content_length(response.headers) if encoding == "identity" else None
        )
        #: The declared media type; written by the server, so treat as untrusted.
        self.content_type: str | None = response.headers.get("Content-Type")

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        """The body's chunks, with transport failures turned into the API error family."""
        chunks = self._response.aiter_bytes(self._chunk_size)
        path = self._response.request.url.path
        while True:
            error: ApiError | None = None
            chunk = b""
            try:
                chunk = await anext(chunks)
            except StopAsyncIteration:
                break
            except Exception as exc:
                error = _transport_error(exc, "GET", path, self._secret)[0]
            if error is not None:
                raise error
            self.received += len(chunk)
            if self._max_bytes is not None and self.received > self._max_bytes:
                raise ProtocolError(
                    "The attachment is larger than allowed", method="GET", path=path
                )
            if self.content_length is not None and self.received > self.content_length:
                raise ProtocolError(
                    "The attachment is longer than its declared size", method="GET", path=path
                )
            yield chunk


def _content_length(headers: httpx.Headers) -> int | None:
    """The Content-Length header as an int, or None when missing or garbled."""
    raw = headers.get("Content-Length", "").strip()
    if not raw.isdigit() or len(raw) > 18:
        return None
    return int(raw)


def _transport_error(
    exc: BaseException, method: str, path: str, secret: str
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


class TempMailClient:
    """An async client for the Temp Mail User API, built on one ``httpx.AsyncClient``."""

    DEFAULT_BASE_URL = "https://v1.tempmailg.com/api"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 15.0,
        retries: int = 3,
        backoff: float = 0.5,
        transport: httpx.AsyncBaseTransport | None = None,
        on_quota: Callable[[Quota], None] | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        allow_http: bool = False,
    ) -> None:
        self._key = Secret(_check_api_key(api_key))
        base = _normalise_base_url(base_url, allow_http=allow_http)
        if not timeout > 0:
            raise InputError("The timeout must be positive")
        if retries < 0 or backoff < 0 or max_body_bytes <= 0:
            raise InputError("Retries, backoff and the body limit must not be negative")
        self._base_url = str(base)
        self._origin = _Origin.of(base)
        self._timeout = timeout
        # A server that trickles one byte per read timeout must not hold a request forever.
        self._deadline = timeout * 4
        self._retries = retries
        self._backoff = backoff
        self._max_body_bytes = max_body_bytes
        self._on_quota = on_quota
        self._quota: Quota | None = None
        self._http = httpx.AsyncClient(
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=httpx.Timeout(timeout),
            transport=transport,
            # Redirects could carry the key to another origin.
            follow_redirects=False,
        )

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> TempMailClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool; further calls raise ApiError."""
        await self._http.aclose()

    def __repr__(self) -> str:
        return f"TempMailClient(base_url={self._base_url!r}, api_key={self._key.masked!r})"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("TempMailClient cannot be pickled (it holds the API key)")

    # -- public state ----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The API root every request goes to."""
        return self._base_url

    @property
    def masked_key(self) -> str:
        """The API key in masked display form."""
        return self._key.masked

    @property
    def quota(self) -> Quota | None:
        """The last quota the server announced, with the time it was seen."""
        return self._quota

    # -- endpoints -------------------------------------------------------------------------

    async def domains(self, type: str = "free") -> DomainList:
        """The domains the plan allows (``GET /domains?type=``); type is free, premium or all."""
        kind = type.lower() if isinstance(type, str) else ""
        if kind not in DOMAIN_TYPES:
            raise InputError("Invalid domain type: expected free, premium or all")
        body = await self._json("GET", ["domains"], params={"type": kind})
        return self._parse(parse_domain_list, body)

    async def create_mailbox(self) -> Mailbox:
        """A new random mailbox (``POST /emails``)."""
        body = await self._json("POST", ["emails"])
        return self._parse(parse_mailbox, body)

    async def rename_mailbox(self, current_email: str, username: str, domain: str) -> Mailbox:
        """Move an owned mailbox to ``username@domain``; the result replaces the old mailbox."""
        segments = [
            _check_email(current_email, "current email address"),
            _check_segment(username, "user name"),
            _check_segment(domain, "domain"),
        ]
        if "@" in username or "@" in domain:
            raise InputError("Invalid user name or domain: contains '@'")
        body = await self._json("POST", ["emails", *segments])
        return self._parse(parse_mailbox, body)

    async def delete_mailbox(self, email: str) -> None:
        """Delete an owned mailbox (``DELETE /emails/{email}``)."""
        body = await self._json("DELETE", ["emails", _check_email(email)])
        self._parse(parse_confirmation, body)

    async def list_messages(self, email: str, *, retries: int | None = None) -> MessageList:
        """Every message of a mailbox, whole (``GET /messages?email=``).

        ``retries`` overrides the client's own for this call: a poller whose schedule backs
        off between polls asks for 0, so one poll is one request.
        """
        body = await self._json(
            "GET", ["messages"], params={"email": _check_email(email)}, retries=retries
        )
        return self._parse(parse_message_list, body)

    async def read_message(self, message_id: str) -> Message:
        """One message (``GET /messages/{id}``); the server marks it seen."""
        body = await self._json("GET", ["messages", _check_segment(message_id, "message id")])
        return self._parse(parse_read_message, body)

    async def delete_message(self, message_id: str) -> None:
        """Delete one message (``DELETE /messages/{id}``)."""
        segment = _check_segment(message_id, "message id")
        body = await self._json("DELETE", ["messages", segment])
        self._parse(parse_confirmation, body)

    @asynccontextmanager
    async def stream_attachment(
        self,
        message_id: str,
        name: str,
        *,
        url: str | None = None,
        max_bytes: int | None = None,
        chunk_size: int = _DEFAULT_CHUNK,
    ) -> AsyncIterator[AttachmentStream]:
        """Open an attachment download; iterate the yielded stream for its bytes.

        ``url`` is the attachment's own URL and must be on the API's origin; without it the
        documented path ``/messages/{id}/attachments/{name}`` is used. Only the opening of the
        download is retried, never a body that has started.
        """
        target = self._attachment_url(message_id, name, url)
        if chunk_size <= 0 or (max_bytes is not None and max_bytes < 0):
            raise InputError("Invalid chunk size or byte limit")
        response = await self._open_download(target)
        try:
            stream = AttachmentStream(
                response, chunk_size=chunk_size, max_bytes=max_bytes, secret=self._key.reveal()
            )
            if (
                max_bytes is not None
                and stream.content_length is not None
                and stream.content_length > max_bytes
            ):
                raise ProtocolError(
                    "The attachment is larger than allowed",
                    method="GET",
                    path=target.path,
                )
            yield stream
        finally:
            await response.aclose()

    async def download_attachment(
        self,
        message_id: str,
        attachment: Attachment | str,
        sink: Callable[[bytes], object],
        *,
        max_bytes: int | None = None,
    ) -> int:
        """Stream an attachment into ``sink`` (e.g. a file's ``write``) and return the byte count.

        ``attachment`` is an Attachment (its ``url`` is used when set) or a bare name. The sink
        may return an awaitable, which is awaited; exceptions the sink raises are its own and
        propagate unchanged.
        """
        if isinstance(attachment, Attachment):
            name, url = attachment.name, attachment.url or None
        else:
            name, url = attachment, None
        async with self.stream_attachment(message_id, name, url=url, max_bytes=max_bytes) as st:
            async for chunk in st:
                result = sink(chunk)
                if inspect.isawaitable(result):
                    await result
            return st.received

    # -- request machinery -----------------------------------------------------------------

    def _url(self, segments: list[str]) -> httpx.URL:
        """The URL of an API path, each segment percent-encoded (so ``@`` becomes ``%40``)."""
        return httpx.URL(self._base_url + "/" + "/".join(quote(s, safe="") for s in segments))

    def _attachment_url(self, message_id: str, name: str, url: str | None) -> httpx.URL:
        """Where to fetch an attachment from, refusing any URL off the API's origin."""
        if url:
            if not isinstance(url, str) or any(_unsafe_char(c) and c != " " for c in url):
                raise InputError("Invalid attachment URL")
            target = _parse_url(url)
            if target is None:
                raise InputError("Invalid attachment URL")
            if not target.is_absolute_url or target.userinfo or _Origin.of(target) != self._origin:
                raise InputError(
                    "The attachment URL points outside the API's origin; refusing to send the key"
                )
            return target.copy_with(fragment=None)
        return self._url(
            [
                "messages",
                _check_segment(message_id, "message id"),
                "attachments",
                _check_segment(name, "attachment name", allow_spaces=True),
            ]
        )

    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """Per-request headers; the key is added here and only for the API's own origin."""
        headers = {"Authorization": f"Bearer {self._key.reveal()}"}
        if extra:
            headers.update(extra)
        return headers

    def _parse(self, parser: Callable[[object], T], body: object) -> T:
        """Run a parser; whatever goes wrong inside it comes out as a ProtocolError."""
        if isinstance(body, dict) and body.get("status") is False:
            # Handled here rather than in the parser so the key is masked in the message.
            raise ProtocolError(server_message=server_message(body, secret=self._key.reveal()))
        try:
            return parser(body)
        except ApiError:
            raise
        except Exception as exc:
            failure = ProtocolError(f"The response could not be read ({type(exc).__name__})")
        raise failure

    def _see_quota(self, headers: httpx.Headers) -> None:
        """Keep the quota a response announces and tell the listener; ignore bad headers."""
        quota = parse_quota(headers)
        if quota is None:
            return
        self._quota = quota
        if self._on_quota is not None:
            try:
                self._on_quota(quota)
            except Exception:
                # A broken listener must not turn a good response into a failure.
                log.exception("on_quota callback failed")

    async def _pause(self, attempt: int) -> None:
        """Sleep before a retry: exponential, bounded, with jitter so clients do not align."""
        delay = min(self._backoff * (2**attempt), _MAX_BACKOFF)
        if delay > 0:
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))

    async def _json(
        self,
        method: str,
        segments: list[str],
        *,
        params: Mapping[str, str] | None = None,
        retries: int | None = None,
    ) -> object:
        """Send a request and return its decoded JSON body, retrying only safe GETs."""
        if self._http.is_closed:
            raise ApiError("The API client is closed", method=method)
        url = self._url(segments)
        retries = self._retries if retries is None else max(0, retries)
        attempts = 1 + retries if method == "GET" else 1
        for attempt in range(attempts):
            result = await self._attempt(method, url, params)
            if result.error is None:
                return decode_json(result.body)
            if not result.retryable or attempt + 1 >= attempts:
                raise result.error
            log.debug("retrying %s %s after %s", method, url.path, type(result.error).__name__)
            await self._pause(attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(
        self, method: str, url: httpx.URL, params: Mapping[str, str] | None
    ) -> _Attempt:
        """One try of a JSON request: send, read the body within its cap, classify."""
        path = url.path
        secret = self._key.reveal()
        started = time.monotonic()
        try:
            async with asyncio.timeout(self._deadline):
                request = self._http.build_request(
                    method, url, params=params, headers=self._headers()
                )
                response = await self._http.send(request, stream=True)
                try:
                    result = await self._read(response, method, path)
                finally:
                    await response.aclose()
            # The path names a mailbox or message, never the key; the query is left out.
            log.debug(
                "%s %s -> %d in %.0f ms",
                method,
                path,
                response.status_code,
                (time.monotonic() - started) * 1000,
            )
            return result
        except TimeoutError:
            error: ApiError = RequestTimeoutError(method=method, path=path)
            retryable = True
        except ApiError as exc:
            return _Attempt(error=exc)
        except Exception as exc:
            error, retryable = _transport_error(exc, method, path, secret)
        elapsed = (time.monotonic() - started) * 1000
        log.debug("%s %s failed after %.0f ms: %s", method, path, elapsed, type(error).__name__)
        # Returned, not raised here: raising inside the except block would chain the httpx error.
        return _Attempt(error=error, retryable=retryable)

    async def _read(self, response: httpx.Response, method: str, path: str) -> _Attempt:
        """Read a response's body (capped) and turn an error status into its exception."""
        self._see_quota(response.headers)
        status = response.status_code
        if 200 <= status < 300:
            declared = _content_length(response.headers)
            if declared is not None and declared > self._max_body_bytes:
                return _Attempt(error=self._too_large(method, path))
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > self._max_body_bytes:
                    return _Attempt(error=self._too_large(method, path))
            return _Attempt(body=bytes(body))
        return _Attempt(
            error=await self._status_error(response, method, path),
            retryable=status >= 500,
        )

    def _too_large(self, method: str, path: str) -> ProtocolError:
        """The error for a body over the size cap."""
        return ProtocolError(
            f"The response is larger than {self._max_body_bytes} bytes", method=method, path=path
        )

    async def _status_error(self, response: httpx.Response, method: str, path: str) -> ApiError:
        """The exception for a non-2xx response, with the server's cleaned message if any."""
        status = response.status_code
        message: str | None = None
        try:
            prefix = bytearray()
            async for chunk in response.aiter_bytes():
                prefix += chunk
                if len(prefix) >= _ERROR_BODY_BYTES:
                    break
            # A JSON body cut off at the cap simply yields no message.
            message = server_message(decode_json(bytes(prefix)), secret=self._key.reveal())
        except Exception:
            # The status alone is enough to report; a broken error body adds nothing.
            message = None
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
            return self._rate_limit(response.headers, message, method, path)
        return error_for_status(status)(
            status_code=status, server_message=message, method=method, path=path
        )

    def _rate_limit(
        self, headers: httpx.Headers, message: str | None, method: str, path: str
    ) -> RateLimitError:
        """A 429: a short limit (``Retry-After``, or quota left) or the monthly stop."""
        retry_after = parse_retry_after(headers, datetime.now(UTC))
        # _see_quota has already read this response's headers into self._quota.
        quota = self._quota
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

    async def _open_download(self, url: httpx.URL) -> httpx.Response:
        """Open a streaming GET; retried on failure only until the first body byte."""
        if self._http.is_closed:
            raise ApiError("The API client is closed", method="GET")
        path = url.path
        secret = self._key.reveal()
        # Compression would make the declared length differ from the file's size.
        headers = self._headers({"Accept-Encoding": "identity"})
        for attempt in range(1 + self._retries):
            error: ApiError = ApiError(method="GET", path=path)
            retryable = False
            try:
                async with asyncio.timeout(self._deadline):
                    request = self._http.build_request("GET", url, headers=headers)
                    response = await self._http.send(request, stream=True)
                    self._see_quota(response.headers)
                    log.debug("GET %s (download) -> %d", path, response.status_code)
                    if 200 <= response.status_code < 300:
                        return response
                    try:
                        error = await self._status_error(response, "GET", path)
                        retryable = response.status_code >= 500
                    finally:
                        await response.aclose()
            except TimeoutError:
                error, retryable = RequestTimeoutError(method="GET", path=path), True
            except Exception as exc:
                error, retryable = _transport_error(exc, "GET", path, secret)
            if not retryable or attempt >= self._retries:
                raise error
            await self._pause(attempt)
        raise AssertionError("unreachable")  # pragma: no cover
