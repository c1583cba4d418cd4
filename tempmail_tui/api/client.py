"""The async Temp Mail API client: one method per endpoint, typed results, one error family."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from types import TracebackType
from typing import TypeVar

import httpx

from .. import __version__
from .checks import (
    Origin,
    api_url,
    attachment_url,
    check_api_key,
    check_email,
    check_segment,
    normalise_base_url,
)
from .download import DEFAULT_CHUNK, AttachmentStream, feed, open_stream
from .errors import ApiError, InputError, RequestTimeoutError
from .listed import Listing
from .listing import ListingDecoder
from .models import Attachment, DomainList, Mailbox, Message, MessageList, Quota
from .parse import (
    decode_json,
    parse_body,
    parse_confirmation,
    parse_domain_list,
    parse_mailbox,
    parse_message_list,
    parse_read_message,
)
from .quota import parse_quota
from .secrets import Secret
from .transport import (
    Attempt,
    Dialled,
    dropped,
    error_message,
    pause,
    read_body,
    status_error,
    transport_error,
)

__all__ = ["AttachmentStream", "TempMailClient"]

T = TypeVar("T")

log = logging.getLogger(__name__)

USER_AGENT = f"tempmail-tui/{__version__}"
#: The domain types ``GET /domains`` documents.
DOMAIN_TYPES = frozenset({"free", "premium", "all"})
#: Largest JSON body read into memory.
MAX_BODY_BYTES = 32 * 1024 * 1024


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
        self._key = Secret(check_api_key(api_key))
        base = normalise_base_url(base_url, allow_http=allow_http)
        if not timeout > 0:
            raise InputError("The timeout must be positive")
        if retries < 0 or backoff < 0 or max_body_bytes <= 0:
            raise InputError("Retries, backoff and the body limit must not be negative")
        self._base_url = str(base)
        self._origin = Origin.of(base)
        self._timeout = timeout
        # A server that trickles one byte per read timeout must not hold a request forever.
        self._deadline = timeout * 4
        self._retries = retries
        self._backoff = backoff
        self._max_body_bytes = max_body_bytes
        self._on_quota = on_quota
        self._quota: Quota | None = None
        # The last listing of each box, so mail listed unchanged is not decoded twice.
        self._listings = ListingDecoder()
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
            check_email(current_email, "current email address"),
            check_segment(username, "user name"),
            check_segment(domain, "domain"),
        ]
        if "@" in username or "@" in domain:
            raise InputError("Invalid user name or domain: contains '@'")
        body = await self._json("POST", ["emails", *segments])
        return self._parse(parse_mailbox, body)

    async def delete_mailbox(self, email: str) -> None:
        """Delete an owned mailbox (``DELETE /emails/{email}``)."""
        body = await self._json("DELETE", ["emails", check_email(email)])
        self._parse(parse_confirmation, body)

    async def list_messages(self, email: str, *, retries: int | None = None) -> MessageList:
        """Every message of a mailbox, whole (``GET /messages?email=``).

        ``retries`` overrides the client's own for this call: a poller whose schedule backs
        off between polls asks for 0, so one poll is one request.
        """
        return (await self.listing(email, retries=retries)).decoded()

    async def listing(self, email: str, *, retries: int | None = None) -> Listing:
        """Every message of a mailbox, its body decoded only when asked (``GET /messages``).

        A poller's path: the store decodes only the bodies it writes (``list_messages`` is
        the same listing with every body decoded).
        """
        raw = await self._body(
            "GET", ["messages"], params={"email": check_email(email)}, retries=retries
        )
        # A large box is listed every few seconds: a body exactly as documented is decoded
        # in one pass; anything else is read field by field, as every other response is.
        fast = self._listings.decode(raw, email)
        if fast is not None:
            return fast
        return Listing.of(self._parse(parse_message_list, decode_json(raw)))

    async def read_message(self, message_id: str) -> Message:
        """One message (``GET /messages/{id}``); the server marks it seen."""
        body = await self._json("GET", ["messages", check_segment(message_id, "message id")])
        return self._parse(parse_read_message, body)

    async def delete_message(self, message_id: str) -> None:
        """Delete one message (``DELETE /messages/{id}``)."""
        segment = check_segment(message_id, "message id")
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
        chunk_size: int = DEFAULT_CHUNK,
    ) -> AsyncIterator[AttachmentStream]:
        """Open an attachment download; iterate the yielded stream for its bytes.

        ``url`` is the attachment's own URL and must be on the API's origin; without it the
        documented path ``/messages/{id}/attachments/{name}`` is used. Only the opening of the
        download is retried, never a body that has started.
        """
        target = attachment_url(self._base_url, self._origin, message_id, name, url)
        if chunk_size <= 0 or (max_bytes is not None and max_bytes < 0):
            raise InputError("Invalid chunk size or byte limit")
        response = await self._open_download(target)
        try:
            yield open_stream(
                response,
                target.path,
                chunk_size=chunk_size,
                max_bytes=max_bytes,
                secret=self._key.reveal(),
            )
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
            return await feed(st, sink)

    # -- request machinery -----------------------------------------------------------------

    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """Per-request headers; the key is added here and only for the API's own origin."""
        headers = {"Authorization": f"Bearer {self._key.reveal()}"}
        if extra:
            headers.update(extra)
        return headers

    def _parse(self, parser: Callable[[object], T], body: object) -> T:
        """Run a parser with the key at hand, so a server message that echoes it is masked."""
        return parse_body(parser, body, secret=self._key.reveal())

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

    async def _json(
        self,
        method: str,
        segments: list[str],
        *,
        params: Mapping[str, str] | None = None,
        retries: int | None = None,
    ) -> object:
        """Send a request and return its decoded JSON body, retrying only safe GETs."""
        return decode_json(await self._body(method, segments, params=params, retries=retries))

    async def _body(
        self,
        method: str,
        segments: list[str],
        *,
        params: Mapping[str, str] | None = None,
        retries: int | None = None,
    ) -> bytes | bytearray:
        """Send a request and return its body's bytes, retrying only safe GETs."""
        if self._http.is_closed:
            raise ApiError("The API client is closed", method=method)
        url = api_url(self._base_url, segments)
        retries = self._retries if retries is None else max(0, retries)
        attempts = 1 + retries if method == "GET" else 1
        # A GET whose connection broke under it is asked again once, at once, on a new
        # connection, also with no retries: that is a closed keep-alive socket, not a failing
        # server (a poll would otherwise report the service unreachable).
        redial = method == "GET"
        attempt = 0
        while True:
            result = await self._attempt(method, url, params)
            if result.error is None:
                return result.body
            if result.dropped and redial:
                redial = False
                log.debug("%s %s: connection dropped, asking on a new one", method, url.path)
                continue
            attempt += 1
            if not result.retryable or attempt >= attempts:
                raise result.error
            log.debug("retrying %s %s after %s", method, url.path, type(result.error).__name__)
            await pause(attempt - 1, self._backoff)

    async def _attempt(
        self, method: str, url: httpx.URL, params: Mapping[str, str] | None
    ) -> Attempt:
        """One try of a JSON request: send, read the body within its cap, classify."""
        path = url.path
        secret = self._key.reveal()
        started = time.monotonic()
        dialled = Dialled()
        try:
            async with asyncio.timeout(self._deadline):
                request = self._http.build_request(
                    method,
                    url,
                    params=params,
                    headers=self._headers(),
                    extensions={"trace": dialled.trace},
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
            retryable, broke = True, False
        except ApiError as exc:
            return Attempt(error=exc)
        except Exception as exc:
            error, retryable = transport_error(exc, method, path, secret=secret)
            broke = dropped(exc, dialled)
        elapsed = (time.monotonic() - started) * 1000
        log.debug("%s %s failed after %.0f ms: %s", method, path, elapsed, type(error).__name__)
        # Returned, not raised here: raising inside the except block would chain the httpx error.
        return Attempt(error=error, retryable=retryable, dropped=broke)

    async def _read(self, response: httpx.Response, method: str, path: str) -> Attempt:
        """Read a response's body (capped) and turn an error status into its exception."""
        self._see_quota(response.headers)
        status = response.status_code
        if 200 <= status < 300:
            return await read_body(response, method, path, max_body_bytes=self._max_body_bytes)
        return Attempt(
            error=await self._status_error(response, method, path),
            retryable=status >= 500,
        )

    async def _status_error(self, response: httpx.Response, method: str, path: str) -> ApiError:
        """The exception for a non-2xx response, with the server's cleaned message if any."""
        message = await error_message(response, secret=self._key.reveal())
        # Taken after the body is read, and after _see_quota has read this response's headers.
        return status_error(response, message, method, path, quota=self._quota)

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
                error, retryable = transport_error(exc, "GET", path, secret=secret)
            if not retryable or attempt >= self._retries:
                raise error
            await pause(attempt, self._backoff)
        raise AssertionError("unreachable")  # pragma: no cover
