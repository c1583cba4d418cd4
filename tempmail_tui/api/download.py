"""Attachment downloads: the byte stream of an opened download and the sink it feeds."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable

import httpx

from .errors import ApiError, ProtocolError
from .transport import content_length, transport_error

#: Bytes asked of the connection per chunk of an attachment.
DEFAULT_CHUNK = 64 * 1024


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
            content_length(response.headers) if encoding == "identity" else None
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
                error = transport_error(exc, "GET", path, secret=self._secret)[0]
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


def open_stream(
    response: httpx.Response, path: str, *, chunk_size: int, max_bytes: int | None, secret: str
) -> AttachmentStream:
    """The stream of an opened download, refused up front when its declared size is too big."""
    stream = AttachmentStream(response, chunk_size=chunk_size, max_bytes=max_bytes, secret=secret)
    if (
        max_bytes is not None
        and stream.content_length is not None
        and stream.content_length > max_bytes
    ):
        raise ProtocolError("The attachment is larger than allowed", method="GET", path=path)
    return stream


async def feed(stream: AttachmentStream, sink: Callable[[bytes], object]) -> int:
    """Hand every chunk to ``sink``, awaiting what it returns when awaitable; the byte count."""
    async for chunk in stream:
        result = sink(chunk)
        if inspect.isawaitable(result):
            await result
    return stream.received
