"""The API client against a raw loopback server that sends exactly the bytes a test scripts."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import struct
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tempmail_tui.api import (
    ApiError,
    Attachment,
    AuthenticationError,
    ClientError,
    ForbiddenError,
    InputError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    Quota,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    TempMailClient,
    ValidationError,
    mask_secret,
    parse,
    redact,
)
from tempmail_tui.api.quota import parse_quota
from tempmail_tui.api.secrets import Secret

from .api_examples import MAILBOX_EXAMPLE, MESSAGES_EXAMPLE

CANARY = "tmk_CANARY0123456789abcdefZZ9q"

MAILBOX: dict[str, Any] = MAILBOX_EXAMPLE["data"]
MESSAGE: dict[str, Any] = MESSAGES_EXAMPLE["messages"][0]
QUOTA_HEADERS = {
    "X-RateLimit-Limit": "50000",
    "X-RateLimit-Used": "124",
    "X-RateLimit-Remaining": "49876",
    "X-RateLimit-Reset": "2026-05-01T00:00:00+05:00",
}


# -- a scriptable raw HTTP server ---------------------------------------------------------------


@dataclass
class RawRequest:
    """One request as the raw server read it."""

    method: str
    target: str
    headers: dict[str, str]


def response_bytes(
    status: int,
    body: bytes | str | object = b"",
    headers: dict[str, str] | None = None,
    *,
    reason: str = "X",
) -> bytes:
    """A complete HTTP/1.1 response with Content-Length; non-bytes bodies are JSON-encoded."""
    if isinstance(body, str):
        payload = body.encode()
    elif isinstance(body, bytes):
        payload = body
    else:
        payload = json.dumps(body).encode()
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(payload)}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


Handler = Callable[[RawRequest, asyncio.StreamWriter], Awaitable[None]]


def reply(raw: bytes) -> Handler:
    """A handler that answers every request with the same bytes and closes."""

    async def handle(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(raw)
        await writer.drain()

    return handle


def replies(*answers: bytes) -> Handler:
    """A handler that answers successive requests with successive byte strings."""
    queue = list(answers)

    async def handle(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(queue.pop(0) if len(queue) > 1 else queue[0])
        await writer.drain()

    return handle


@dataclass
class RawServer:
    """A loopback server that records each request and hands the socket to a handler."""

    handler: Handler
    requests: list[RawRequest] = field(default_factory=list)
    connections: int = 0
    server: asyncio.Server | None = None

    @property
    def origin(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    @property
    def base_url(self) -> str:
        return self.origin + "/api"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            method, target, _ = request_line.split(" ", 2)
            headers = {}
            for line in header_lines:
                if ":" in line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            self.requests.append(RawRequest(method, target, headers))
            await self.handler(self.requests[-1], writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


StartRaw = Callable[[Handler], Awaitable[RawServer]]


@pytest.fixture
async def raw() -> AsyncIterator[StartRaw]:
    """Start raw servers on free loopback ports; all are closed after the test."""
    servers: list[RawServer] = []

    async def start(handler: Handler) -> RawServer:
        srv = RawServer(handler)
        srv.server = await asyncio.start_server(srv._serve, "127.0.0.1", 0)
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        assert srv.server is not None
        srv.server.close()


def client_for(srv: RawServer, **kwargs: object) -> TempMailClient:
    """A client on the raw server with fast retries and a canary key."""
    options: dict[str, object] = {"retries": 2, "backoff": 0.0, "timeout": 2.0}
    options.update(kwargs)
    return TempMailClient(CANARY, base_url=srv.base_url, **options)  # type: ignore[arg-type]


def assert_no_key(exc: BaseException) -> None:
    """The key appears nowhere in an exception: str, repr, args, chain or traceback."""
    texts = [str(exc), repr(exc), repr(exc.args), "".join(traceback.format_exception(exc))]
    seen: BaseException | None = exc
    while seen is not None:
        texts += [str(seen), repr(seen), repr(seen.args), repr(vars(seen))]
        seen = seen.__cause__ or seen.__context__
    for text in texts:
        assert CANARY not in text
    assert exc.__cause__ is None
    assert exc.__context__ is None


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked transfer encoding."""
    return b"%x\r\n%s\r\n" % (len(data), data)


def ok(data: object) -> bytes:
    """A 200 answer with the quota headers."""
    return response_bytes(200, data, QUOTA_HEADERS)


# -- what goes on the wire ----------------------------------------------------------------------


async def test_every_endpoint_sends_documented_method_path_and_headers(raw: StartRaw) -> None:
    answers = {
        ("GET", "/api/domains?type=premium"): {
            "status": True,
            "data": {"requested_type": "premium", "allowed_types": ["free"], "domains": []},
        },
        ("POST", "/api/emails"): {"status": True, "data": MAILBOX},
        ("POST", "/api/emails/cur%40example.com/demo123/example.com"): {
            "status": True,
            "data": MAILBOX,
        },
        ("DELETE", "/api/emails/randombox%40example.com"): {"status": True, "message": "ok"},
        ("GET", "/api/messages?email=randombox%40example.com"): {
            "status": True,
            "mailbox": "x@y",
            "messages": [MESSAGE],
        },
        ("GET", "/api/messages/m%C3%A9%2B1"): {"status": True, "data": MESSAGE},
        ("DELETE", "/api/messages/m1"): {"status": True, "message": "gone"},
    }

    async def handle(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(ok(answers[(request.method, request.target)]))
        await writer.drain()

    srv = await raw(handle)
    async with client_for(srv) as client:
        assert (await client.domains("PREMIUM")).requested_type == "premium"
        assert (await client.create_mailbox()).id == 2301
        await client.rename_mailbox("cur@example.com", "demo123", "example.com")
        await client.delete_mailbox("randombox@example.com")
        assert len((await client.list_messages("randombox@example.com")).messages) == 1
        assert (await client.read_message("mé+1")).is_html is True
        await client.delete_message("m1")
    assert [(r.method, r.target) for r in srv.requests] == list(answers)
    for request in srv.requests:
        assert request.headers["authorization"] == f"Bearer {CANARY}"
        assert request.headers["accept"] == "application/json"
        assert request.headers["user-agent"] == "tempmail-tui/0.1.0"


async def test_trailing_slashes_in_base_url_are_tolerated(raw: StartRaw) -> None:
    srv = await raw(reply(ok({"status": True, "data": MAILBOX})))
    async with TempMailClient(CANARY, base_url=srv.base_url + "//", retries=0) as client:
        await client.create_mailbox()
    assert srv.requests[0].target == "/api/emails"


# -- input refused before sending ---------------------------------------------------------------

BAD_SEGMENTS = ["", ".", "..", "a/b", "a?b", "a#b", "a\\b", "a b", "a\tb", "a\x00b", "a\x1bb",
                "a\x9bb", "a\u202eb", "a\u2028b", "a\ud800b", "a" * 2000]  # fmt: skip


@pytest.mark.parametrize("bad", BAD_SEGMENTS)
async def test_bad_path_segments_are_refused_before_any_request(raw: StartRaw, bad: str) -> None:
    srv = await raw(reply(ok({"status": True})))
    calls: list[Callable[[TempMailClient], Awaitable[object]]] = [
        lambda c: c.read_message(bad),
        lambda c: c.delete_message(bad),
        lambda c: c.rename_mailbox("a@example.com", bad, "example.com"),
        lambda c: c.rename_mailbox("a@example.com", "demo", bad),
    ]
    if bad not in ("", ".", ".."):
        # Inside an address these three are harmless; anything else breaks the path or the query.
        calls += [
            lambda c: c.rename_mailbox(bad + "@example.com", "demo", "example.com"),
            lambda c: c.delete_mailbox(f"x{bad}@example.com"),
            lambda c: c.list_messages(f"x@example{bad}"),
        ]
    async with client_for(srv) as client:
        for call in calls:
            with pytest.raises(InputError) as info:
                await call(client)
            assert_no_key(info.value)
    assert srv.connections == 0


@pytest.mark.parametrize("email", ["nobody", "@example.com", "user@", "", 42, None])
async def test_malformed_emails_and_types_are_refused(raw: StartRaw, email: object) -> None:
    srv = await raw(reply(ok({"status": True})))
    async with client_for(srv) as client:
        with pytest.raises(InputError):
            await client.list_messages(email)  # type: ignore[arg-type]
        with pytest.raises(InputError):
            await client.delete_mailbox(email)  # type: ignore[arg-type]
        with pytest.raises(InputError):
            await client.domains("gold")
        with pytest.raises(InputError):
            await client.rename_mailbox("a@example.com", "x@y", "example.com")
    assert srv.connections == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://evil.example/api/messages/m1/attachments/a.txt",
        "https://127.0.0.1:{port}/api/messages/m1/attachments/a.txt",  # other scheme
        "http://127.0.0.1:1/api/messages/m1/attachments/a.txt",  # other port
        "http://user:pw@127.0.0.1:{port}/api/messages/m1/attachments/a.txt",
        "/api/messages/m1/attachments/a.txt",
        "http://127.0.0.1:{port}/api/a\x1b]52;c;x\x07",
    ],
)
async def test_attachment_urls_off_the_api_origin_are_refused(raw: StartRaw, url: str) -> None:
    srv = await raw(reply(response_bytes(200, b"data")))
    port = srv.origin.rsplit(":", 1)[1]
    async with client_for(srv) as client:
        with pytest.raises(InputError) as info:
            async with client.stream_attachment("m1", "a.txt", url=url.format(port=port)):
                pass
        assert_no_key(info.value)
    assert srv.connections == 0


@pytest.mark.parametrize("bad_key", ["", "tmk_has space", "tmk_new\nline", "tmk_ünï"])
def test_unsendable_keys_are_refused_without_echoing_them(bad_key: str) -> None:
    with pytest.raises(InputError) as info:
        TempMailClient(bad_key, base_url="http://127.0.0.1:9/api")
    if bad_key:
        assert bad_key not in str(info.value) and bad_key not in repr(info.value.args)


@pytest.mark.parametrize(
    "base_url",
    [
        "http://api.example.com/api",  # clear text off loopback
        "ftp://127.0.0.1/api",
        "http://127.0.0.1/api?x=1",
        "https://user:pw@example.com/api",
        "",
        "not a url",
    ],
)
def test_unusable_base_urls_are_refused(base_url: str) -> None:
    with pytest.raises(InputError):
        TempMailClient(CANARY, base_url=base_url)


def test_http_off_loopback_needs_explicit_consent() -> None:
    client = TempMailClient(CANARY, base_url="http://api.example.com/api", allow_http=True)
    assert client.base_url == "http://api.example.com/api"


# -- protocol garbage ---------------------------------------------------------------------------

GARBAGE_BODIES: list[bytes | object] = [
    b"",
    b"   ",
    b"<html><body><h1>502 Bad Gateway</h1></body></html>",
    b'{"status": true, "data": ',
    b"\xff\xfe\x00garbage",
    b'{"status": true, "data": NaN}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"status": true, "data": {"id": 1' + b"0" * 5000 + b"}}",
    [MAILBOX],
    "just a string",
    {"data": MAILBOX},
    {"status": "true", "data": MAILBOX},
    {"status": True},
    {"status": True, "data": None},
    {"status": True, "data": [MAILBOX]},
    {"status": True, "data": {**MAILBOX, "email": None}},
    {"status": True, "data": {k: v for k, v in MAILBOX.items() if k != "email"}},
    {"status": True, "data": {**MAILBOX, "email": 5}},
    {"status": True, "data": {**MAILBOX, "id": "2301"}},
    {"status": True, "data": {**MAILBOX, "id": True}},
    {"status": True, "data": {**MAILBOX, "id": 2301.0}},
    {"status": True, "data": {**MAILBOX, "id": 10**30}},
    {"status": True, "data": {**MAILBOX, "expire_at": "tomorrow"}},
    {"status": True, "data": {**MAILBOX, "created_at": "9999-12-31T23:59:59-23:00"}},
    {"status": True, "data": {**MAILBOX, "email_token": ["x"]}},
]


@pytest.mark.parametrize("body", GARBAGE_BODIES, ids=range(len(GARBAGE_BODIES)))
async def test_garbage_bodies_are_protocol_errors(raw: StartRaw, body: bytes | object) -> None:
    srv = await raw(reply(ok(body)))
    async with client_for(srv) as client:
        with pytest.raises(ProtocolError) as info:
            await client.create_mailbox()
        assert_no_key(info.value)


MESSAGE_GARBAGE: list[object] = [
    {k: v for k, v in MESSAGE.items() if k != "id"},
    {**MESSAGE, "id": 17},
    {**MESSAGE, "subject": ["not", "a", "string"]},
    {**MESSAGE, "html": "yes"},
    {**MESSAGE, "receivedAt": "yesterday"},
    {**MESSAGE, "receivedAt": "2026-13-45 99:99:99"},
    {**MESSAGE, "attachments": {"name": "x"}},
    {**MESSAGE, "attachments": [{**MESSAGE["attachments"][0], "size": -1}]},  # type: ignore[index]
    {**MESSAGE, "attachments": [{**MESSAGE["attachments"][0], "size": 1e300}]},  # type: ignore[index]
    {**MESSAGE, "attachments": [None]},
]


@pytest.mark.parametrize("message", MESSAGE_GARBAGE, ids=range(len(MESSAGE_GARBAGE)))
async def test_malformed_messages_are_protocol_errors(raw: StartRaw, message: object) -> None:
    srv = await raw(reply(ok({"status": True, "mailbox": "a@b", "messages": [MESSAGE, message]})))
    async with client_for(srv) as client:
        # In a listing, the one bad message is named and the good one still read.
        listing = await client.list_messages("a@example.com")
        assert [m.id for m in listing.messages] == [MESSAGE["id"]]
        assert [u.index for u in listing.unreadable] == [1]
        with pytest.raises(ProtocolError):
            await client.read_message("m1")
    # A malformed body is not a transient failure: no retries.
    assert srv.connections == 2


async def test_documented_examples_parse_into_typed_models(raw: StartRaw) -> None:
    srv = await raw(
        replies(
            ok({"status": True, "data": {**MAILBOX, "expire_at": "2026-06-28T16:37:25+05:30"}}),
            ok({"status": True, "mailbox": "other@example.com", "messages": [MESSAGE]}),
        )
    )
    async with client_for(srv) as client:
        box = await client.create_mailbox()
        listing = await client.list_messages("randombox@example.com")
    assert box.expire_at == datetime(2026, 6, 28, 11, 7, 25, tzinfo=UTC)
    assert box.expire_at.utcoffset() is not None and box.expire_at.tzinfo is UTC
    assert box.email_token == "encrypted-email-token" and "encrypted" not in repr(box)
    assert listing.mailbox == "other@example.com"
    message = listing.messages[0]
    assert message.received_at == datetime(2026, 6, 28, 10, 57, 25, tzinfo=UTC)
    assert (message.from_name, message.is_html, message.is_seen) == ("Example Sender", True, False)
    assert message.attachments == (
        Attachment("file.txt", "txt", 91, MESSAGE["attachments"][0]["url"]),  # type: ignore[index]
    )


async def test_status_false_on_200_is_a_protocol_error_with_the_message(raw: StartRaw) -> None:
    body = {"status": False, "message": f"nope \x1b]52;c;aGk=\x07 key={CANARY}"}
    srv = await raw(reply(ok(body)))
    async with client_for(srv) as client:
        with pytest.raises(ProtocolError) as info:
            await client.list_messages("a@example.com")
    assert info.value.server_message is not None
    assert "\x1b" not in info.value.server_message and "\x07" not in info.value.server_message
    assert info.value.server_message.startswith("nope ]52;c;aGk=")
    assert_no_key(info.value)


async def test_oversized_bodies_are_refused(raw: StartRaw) -> None:
    big = json.dumps({"status": True, "data": MAILBOX, "pad": "x" * 5000}).encode()
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + b"".join(chunk(big[i : i + 100]) for i in range(0, len(big), 100))
        + b"0\r\n\r\n"
    )
    for raw_answer in (ok(big), chunked):
        srv = await raw(reply(raw_answer))
        async with client_for(srv, max_body_bytes=1000) as client:
            with pytest.raises(ProtocolError, match="larger than"):
                await client.create_mailbox()
        async with client_for(srv) as client:
            assert (await client.create_mailbox()).id == 2301


# -- transport failures -------------------------------------------------------------------------


async def test_garbage_bytes_are_protocol_errors_and_gets_are_retried(raw: StartRaw) -> None:
    srv = await raw(reply(b"\x00\x01 this is not HTTP \r\n\r\n"))
    async with client_for(srv, retries=2) as client:
        with pytest.raises(ProtocolError) as info:
            await client.read_message("m1")
        assert_no_key(info.value)
        assert srv.connections == 3
        with pytest.raises(ProtocolError):
            await client.create_mailbox()
        assert srv.connections == 4


async def test_connection_closed_mid_body(raw: StartRaw) -> None:
    cut = response_bytes(200, {"status": True, "data": MAILBOX})[:-20]
    srv = await raw(reply(cut))
    async with client_for(srv, retries=1) as client:
        with pytest.raises(ProtocolError) as info:
            await client.read_message("m1")
        assert_no_key(info.value)
    assert srv.connections == 2


async def test_connection_reset_is_a_network_error(raw: StartRaw) -> None:
    async def reset(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        # Linger 0 makes close() send RST instead of FIN: a real "connection reset by peer".
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    srv = await raw(reset)
    async with client_for(srv, retries=1) as client:
        with pytest.raises(NetworkError) as info:
            await client.list_messages("a@example.com")
        assert_no_key(info.value)
    assert srv.connections == 2


async def test_disconnect_without_answer_is_a_protocol_error(raw: StartRaw) -> None:
    async def hang_up(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.close()

    srv = await raw(hang_up)
    async with client_for(srv, retries=1) as client:
        with pytest.raises(ProtocolError) as info:
            await client.list_messages("a@example.com")
        assert_no_key(info.value)
    assert srv.connections == 2


async def _keep_alive_server(drop_second: bool) -> tuple[asyncio.Server, list[int]]:
    """A server that keeps connections open; the first one closes unanswered at its 2nd request.

    That is a server closing an idle kept-alive connection as the client sends on it.
    Returns the server and, per request, the number of the connection it came on.
    """
    seen: list[int] = []
    answer = ok(MESSAGES_EXAMPLE).replace(b"Connection: close\r\n", b"")

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = len(set(seen)) + 1
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                seen.append(number)
                if drop_second and number == 1 and seen.count(1) == 2:
                    return
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(serve, "127.0.0.1", 0), seen


async def test_a_kept_alive_connection_closed_under_a_get_is_asked_again_on_a_new_one() -> None:
    server, seen = await _keep_alive_server(drop_second=True)
    port = server.sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}/api"
    try:
        # No retries, as a poll asks: the closed idle socket is not the server failing.
        async with TempMailClient(CANARY, base_url=base, retries=0, timeout=2.0) as client:
            first = await client.list_messages("a@example.com")
            assert await client.list_messages("a@example.com") == first
        assert seen == [1, 1, 2]
    finally:
        server.close()


async def test_a_new_connection_that_breaks_is_not_asked_again_without_retries(
    raw: StartRaw,
) -> None:
    async def hang_up(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.close()

    srv = await raw(hang_up)
    async with client_for(srv, retries=0) as client:
        with pytest.raises(ProtocolError):
            await client.list_messages("a@example.com")
    assert srv.connections == 1


async def test_closed_port_is_a_network_error_retried_for_gets(raw: StartRaw) -> None:
    srv = await raw(reply(b""))
    base_url = srv.base_url
    assert srv.server is not None
    srv.server.close()
    await srv.server.wait_closed()
    async with TempMailClient(CANARY, base_url=base_url, retries=1, backoff=0.0) as client:
        with pytest.raises(NetworkError) as info:
            await client.domains()
        assert not isinstance(info.value, RequestTimeoutError)
        assert_no_key(info.value)


async def test_a_server_that_never_answers_times_out(raw: StartRaw) -> None:
    async def silent(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    srv = await raw(silent)
    async with client_for(srv, timeout=0.2, retries=1) as client:
        with pytest.raises(RequestTimeoutError) as info:
            await client.read_message("m1")
        assert_no_key(info.value)
        assert srv.connections == 2
        with pytest.raises(RequestTimeoutError):
            await client.delete_message("m1")
        assert srv.connections == 3


async def test_a_trickling_server_hits_the_overall_deadline(raw: StartRaw) -> None:
    async def trickle(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(100):
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.05)

    srv = await raw(trickle)
    async with client_for(srv, timeout=0.15, retries=0) as client:
        with pytest.raises(RequestTimeoutError):
            await client.read_message("m1")


# -- status codes -------------------------------------------------------------------------------

STATUS_CLASSES = [
    (401, AuthenticationError),
    (403, ForbiddenError),
    (404, NotFoundError),
    (422, ValidationError),
    (429, RateLimitError),
    (418, ClientError),
    (500, ServerError),
    (503, ServerError),
]


@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
async def test_statuses_map_to_the_error_family(
    raw: StartRaw, status: int, cls: type[ApiError]
) -> None:
    body = {"status": False, "message": "Denied:\n" + "x" * 1000 + CANARY}
    srv = await raw(reply(response_bytes(status, body, QUOTA_HEADERS)))
    async with client_for(srv) as client:
        with pytest.raises(cls) as info:
            await client.delete_message("m1")
    error = info.value
    assert type(error) is cls
    assert error.status_code == status and error.method == "DELETE"
    assert error.server_message is not None and error.server_message.startswith("Denied: xxx")
    assert len(error.server_message) <= 300
    assert_no_key(error)
    if isinstance(error, RateLimitError):
        assert error.retry_at == datetime(2026, 4, 30, 19, 0, tzinfo=UTC)


async def test_error_bodies_that_are_not_json_still_give_the_status_class(raw: StartRaw) -> None:
    srv = await raw(
        replies(
            response_bytes(404, b"<html>Not Found</html>"),
            response_bytes(429, b"", {"X-RateLimit-Reset": "garbage"}),
            response_bytes(401, {"status": False, "message": ["not", "a", "string"]}),
        )
    )
    async with client_for(srv) as client:
        with pytest.raises(NotFoundError) as not_found:
            await client.delete_message("m1")
        with pytest.raises(RateLimitError) as limited:
            await client.delete_message("m1")
        with pytest.raises(AuthenticationError) as denied:
            await client.delete_message("m1")
    assert not_found.value.server_message is None
    assert limited.value.retry_at is None
    assert denied.value.server_message is None


async def test_redirects_are_not_followed(raw: StartRaw) -> None:
    elsewhere = await raw(reply(ok({"status": True, "data": MESSAGE})))
    redirect = response_bytes(302, b"", {"Location": elsewhere.base_url + "/messages/m1"})
    srv = await raw(reply(redirect))
    async with client_for(srv) as client:
        with pytest.raises(ProtocolError) as info:
            await client.read_message("m1")
    assert info.value.status_code == 302
    assert elsewhere.connections == 0


async def test_gets_are_retried_on_5xx_but_posts_and_deletes_are_not(raw: StartRaw) -> None:
    fail = response_bytes(503, {"status": False, "message": "busy"})
    srv = await raw(replies(fail, fail, ok({"status": True, "data": MESSAGE})))
    async with client_for(srv, retries=3) as client:
        assert (await client.read_message("m1")).id == MESSAGE["id"]
    assert srv.connections == 3

    unsafe: list[Callable[[TempMailClient], Awaitable[object]]] = [
        lambda c: c.create_mailbox(),
        lambda c: c.delete_mailbox("a@example.com"),
        lambda c: c.delete_message("m1"),
        lambda c: c.rename_mailbox("a@example.com", "b", "example.com"),
    ]
    for call in unsafe:
        srv = await raw(reply(fail))
        async with client_for(srv, retries=3) as client:
            with pytest.raises(ServerError):
                await call(client)
        assert srv.connections == 1

    srv = await raw(reply(fail))
    async with client_for(srv, retries=2) as client:
        with pytest.raises(ServerError):
            await client.domains()
    assert srv.connections == 3


async def test_4xx_are_never_retried(raw: StartRaw) -> None:
    srv = await raw(reply(response_bytes(404, {"status": False})))
    async with client_for(srv, retries=3) as client:
        with pytest.raises(NotFoundError):
            await client.read_message("m1")
    assert srv.connections == 1


# -- quota --------------------------------------------------------------------------------------


async def test_quota_is_kept_across_missing_and_garbled_headers(raw: StartRaw) -> None:
    good = {**QUOTA_HEADERS}
    newer = {**QUOTA_HEADERS, "X-RateLimit-Used": "125", "X-RateLimit-Remaining": "49875"}
    fine = {"status": True, "message": "ok"}
    srv = await raw(
        replies(
            response_bytes(200, fine, good),
            response_bytes(200, fine),
            response_bytes(200, fine, {**good, "X-RateLimit-Used": "lots"}),
            response_bytes(200, fine, {**good, "X-RateLimit-Limit": "1" * 40}),
            response_bytes(200, fine, {**good, "X-RateLimit-Reset": "soon"}),
            response_bytes(404, {"status": False, "message": "no"}, newer),
        )
    )
    seen: list[Quota] = []
    async with client_for(srv, on_quota=seen.append) as client:
        assert client.quota is None
        await client.delete_message("m1")
        first = client.quota
        assert first is not None
        assert (first.limit, first.used, first.remaining) == (50000, 124, 49876)
        assert first.reset_at == datetime(2026, 4, 30, 19, 0, tzinfo=UTC)
        assert first.seen_at.tzinfo is UTC and first.age() < 60
        for _ in range(4):
            await client.delete_message("m1")
            assert client.quota is first
        with pytest.raises(NotFoundError):
            await client.delete_message("m1")
        assert client.quota is not None and client.quota.used == 125
    assert [q.used for q in seen] == [124, 125]


async def test_a_failing_quota_listener_does_not_break_requests(
    raw: StartRaw, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(quota: Quota) -> None:
        raise RuntimeError("listener bug")

    srv = await raw(reply(ok({"status": True, "message": "ok"})))
    with caplog.at_level(logging.DEBUG, logger="tempmail_tui"):
        async with client_for(srv, on_quota=explode) as client:
            await client.delete_message("m1")
            assert client.quota is not None
    assert "on_quota callback failed" in caplog.text
    assert CANARY not in caplog.text


# -- downloads ----------------------------------------------------------------------------------


def chunked_download(data: bytes, piece: int = 1000) -> bytes:
    """A chunked 200 answer carrying ``data``."""
    body = b"".join(chunk(data[i : i + piece]) for i in range(0, len(data), piece))
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    return head + body + b"0\r\n\r\n"


async def test_download_streams_from_the_documented_path(raw: StartRaw) -> None:
    data = bytes(range(256)) * 400
    srv = await raw(reply(chunked_download(data)))
    received: list[bytes] = []
    client = client_for(srv)
    async with client, client.stream_attachment("m1", "my notes.txt", chunk_size=4096) as stream:
        assert stream.content_length is None
        async for piece in stream:
            assert len(piece) <= 4096
            received.append(piece)
    assert b"".join(received) == data and len(received) > 1
    request = srv.requests[0]
    assert request.target == "/api/messages/m1/attachments/my%20notes.txt"
    assert request.headers["authorization"] == f"Bearer {CANARY}"
    assert request.headers["accept-encoding"] == "identity"


async def test_download_uses_a_same_origin_url_and_a_sink(raw: StartRaw) -> None:
    data = b"hello attachment"
    srv = await raw(reply(response_bytes(200, data, {"Content-Type": "text/plain"})))
    url = srv.base_url + "/messages/m1/attachments/file.txt?sig=abc#frag"
    attachment = Attachment("file.txt", "txt", len(data), url)
    written: list[bytes] = []

    async def async_sink(chunk: bytes) -> None:
        written.append(chunk)

    async with client_for(srv) as client:
        count = await client.download_attachment("ignored", attachment, async_sink)
        async with client.stream_attachment("m1", "file.txt", url=url) as stream:
            assert stream.content_length == len(data)
            assert stream.content_type == "text/plain"
    assert count == len(data) and b"".join(written) == data
    assert srv.requests[0].target == "/api/messages/m1/attachments/file.txt?sig=abc"


async def test_download_over_the_limit_is_refused(raw: StartRaw) -> None:
    data = b"x" * 10_000
    srv = await raw(replies(response_bytes(200, data), chunked_download(data)))
    async with client_for(srv) as client:
        with pytest.raises(ProtocolError, match="larger"):
            async with client.stream_attachment("m1", "a", max_bytes=5000):
                pass
        with pytest.raises(ProtocolError, match="larger"):
            await client.download_attachment("m1", "a", lambda chunk: None, max_bytes=5000)


async def test_download_cut_mid_body_fails_without_retry(raw: StartRaw) -> None:
    cut = response_bytes(200, b"y" * 5000)[:-1000]
    srv = await raw(reply(cut))
    got: list[bytes] = []
    async with client_for(srv, retries=3) as client:
        with pytest.raises(ProtocolError) as info:
            await client.download_attachment("m1", "a", got.append)
        assert_no_key(info.value)
    assert srv.connections == 1
    assert sum(map(len, got)) <= 4000


async def test_download_is_retried_before_the_first_byte(raw: StartRaw) -> None:
    srv = await raw(replies(response_bytes(502, b"bad gateway"), response_bytes(200, b"payload")))
    async with client_for(srv, retries=2) as client:
        got: list[bytes] = []
        assert await client.download_attachment("m1", "a", got.append) == 7
    assert srv.connections == 2 and got == [b"payload"]

    srv = await raw(reply(response_bytes(404, {"status": False, "message": "gone"})))
    async with client_for(srv, retries=2) as client:
        with pytest.raises(NotFoundError):
            async with client.stream_attachment("m1", "a"):
                pass
    assert srv.connections == 1


# -- secrets ------------------------------------------------------------------------------------


def test_masking_shows_at_most_the_prefix_and_last_four() -> None:
    assert mask_secret(CANARY) == "tmk_…ZZ9q"
    assert mask_secret("short-key") == "…"
    assert mask_secret("") == "<empty>"
    assert mask_secret("A" * 30) == "…AAAA"
    assert redact(f"x {CANARY} y", CANARY) == "x tmk_…ZZ9q y"
    secret = Secret(CANARY)
    assert CANARY not in repr(secret) and CANARY not in str(secret) and CANARY not in f"{secret}"
    assert secret.reveal() == CANARY
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(secret)


async def test_client_repr_logs_and_closed_state_never_show_the_key(
    raw: StartRaw, caplog: pytest.LogCaptureFixture
) -> None:
    srv = await raw(reply(ok({"status": True, "message": "ok"})))
    client = client_for(srv)
    assert repr(client) == f"TempMailClient(base_url='{srv.base_url}', api_key='tmk_…ZZ9q')"
    assert CANARY not in str(client) and CANARY not in repr(
        vars(client) if hasattr(client, "__dict__") else ""
    )
    with caplog.at_level(logging.DEBUG):
        await client.delete_message("m1")
    assert "DELETE" in caplog.text and CANARY not in caplog.text
    await client.aclose()
    with pytest.raises(ApiError) as info:
        await client.read_message("m1")
    assert_no_key(info.value)


# -- parsers on arbitrary JSON ------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=20,
)
PARSERS = [
    parse.parse_domain_list,
    parse.parse_mailbox,
    parse.parse_message_list,
    parse.parse_read_message,
    parse.parse_confirmation,
]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.one_of(
        JSON,
        st.fixed_dictionaries({"status": st.just(True), "data": JSON}),
        st.fixed_dictionaries({"status": st.just(True), "mailbox": JSON, "messages": JSON}),
        st.fixed_dictionaries(
            {"status": st.just(True), "data": st.fixed_dictionaries({k: JSON for k in MAILBOX})}
        ),
        st.fixed_dictionaries(
            {"status": st.just(True), "data": st.fixed_dictionaries({k: JSON for k in MESSAGE})}
        ),
    )
)
def test_parsers_raise_only_protocol_errors_on_any_json(body: object) -> None:
    for parser in PARSERS:
        with contextlib.suppress(ProtocolError):
            parser(body)


def test_quota_header_parsing_tolerates_garbage() -> None:
    assert parse_quota({}) is None
    assert parse_quota({**QUOTA_HEADERS, "X-RateLimit-Remaining": "-5"}) is None
    assert parse_quota({**QUOTA_HEADERS, "X-RateLimit-Limit": "9" * 5000}) is None
    no_reset = {k: v for k, v in QUOTA_HEADERS.items() if k != "X-RateLimit-Reset"}
    quota = parse_quota({k.lower(): v for k, v in no_reset.items()})
    assert quota is not None and quota.reset_at is None and quota.limit == 50000
