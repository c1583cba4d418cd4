"""Protocol faults from a raw server and the sandbox's knobs: one error family, last good data."""

from __future__ import annotations

import json
import threading
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tempmail_tui.api.client import TempMailClient
from tempmail_tui.api.errors import (
    ApiError,
    NetworkError,
    ProtocolError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
)
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.app import TempMailApp

from .helpers import (
    SIZE,
    RawConnection,
    RawHttpServer,
    RawRequest,
    all_rows,
    create_box,
    free_port,
    http_response,
    make_config,
    quota_headers,
    quota_line,
    table,
    wait,
)

KEY = "tmk_protocol_key_0123456789abcdef"
EMAIL = "box@inbox.test"
RETRIES = 2

Handler = Callable[[RawRequest, RawConnection], Awaitable[None]]


def answer(raw: bytes) -> Handler:
    """Answer every request with the same bytes."""

    async def handle(request: RawRequest, conn: RawConnection) -> None:
        await conn.send(raw)

    return handle


def never_answer(stop: threading.Event) -> Handler:
    """Read the request and say nothing until the test ends."""

    async def handle(request: RawRequest, conn: RawConnection) -> None:
        await conn.wait_for(stop, 20)

    return handle


def reset_mid_body() -> Handler:
    """Promise 1,000 bytes, send 100, then reset the connection."""

    async def handle(request: RawRequest, conn: RawConnection) -> None:
        await conn.send(http_response(200, b'{"status": true, ' + b" " * 83, content_length=1000))
        await conn.reset()

    return handle


def client_for(server: RawHttpServer, **options: Any) -> TempMailClient:
    """A client with short timeouts and no real backoff, so faults are quick to see."""
    settings: dict[str, Any] = {"timeout": 0.5, "retries": RETRIES, "backoff": 0.0}
    settings.update(options)
    return TempMailClient(KEY, base_url=server.base_url, **settings)


RESET = "2026-07-01T00:00:00+05:00"
LISTING = {"status": True, "mailbox": EMAIL, "messages": []}

FAULTS: list[Any] = [
    # (handler factory, GET attempts expected, error class, text in the error)
    pytest.param(lambda stop: reset_mid_body(), 1 + RETRIES, ApiError, "", id="reset-mid-body"),
    pytest.param(
        lambda stop: answer(http_response(503, "<h1>503</h1>")),
        1 + RETRIES,
        ServerError,
        "HTTP 503",
        id="5xx-storm",
    ),
    pytest.param(
        lambda stop: answer(
            http_response(
                429,
                {"status": False, "message": "slow down"},
                {**quota_headers(used=50_000), "X-RateLimit-Reset": RESET},
            )
        ),
        1,
        RateLimitError,
        "slow down",
        id="429-with-headers",
    ),
    pytest.param(
        lambda stop: answer(http_response(429, b"")), 1, RateLimitError, "HTTP 429", id="429-bare"
    ),
    pytest.param(
        lambda stop: answer(http_response(200, b"<html>not json</html>")),
        1,
        ProtocolError,
        "not JSON",
        id="non-json",
    ),
    pytest.param(
        lambda stop: answer(http_response(200, {"status": False, "message": "no \x1b[2J way"})),
        1,
        ProtocolError,
        "no [2J way",
        id="status-false",
    ),
    pytest.param(
        lambda stop: answer(http_response(200, {**LISTING, "messages": {"a": 1}})),
        1,
        ProtocolError,
        "'messages' is not a list",
        id="wrong-type",
    ),
    pytest.param(
        lambda stop: answer(http_response(200, {"status": True, "mailbox": EMAIL})),
        1,
        ProtocolError,
        "missing field 'messages'",
        id="missing-field",
    ),
    # (A message with a null id no longer fails the listing: see test_unreadable_messages.)
    pytest.param(
        lambda stop: answer(http_response(200, {**LISTING, "messages": None})),
        1,
        ProtocolError,
        "missing field 'messages'",
        id="null-messages",
    ),
    pytest.param(
        lambda stop: answer(http_response(302, b"", {"Location": "http://evil.example/steal"})),
        1,
        ProtocolError,
        "HTTP status 302",
        id="redirect-elsewhere",
    ),
    pytest.param(
        lambda stop: answer(b"HTTP/1.1 200 OK\r\nContent-Length: nonsense\r\n\r\n{}"),
        1 + RETRIES,
        ApiError,
        "",
        id="garbled-framing",
    ),
    pytest.param(lambda stop: answer(b""), 1 + RETRIES, ApiError, "", id="closed-without-answer"),
    pytest.param(never_answer, 1 + RETRIES, RequestTimeoutError, "", id="timeout"),
]


@pytest.mark.parametrize(("make", "attempts", "error", "text"), FAULTS)
async def test_raw_faults_raise_only_the_client_family(
    make: Callable[[threading.Event], Handler], attempts: int, error: type[ApiError], text: str
) -> None:
    stop = threading.Event()
    with RawHttpServer(make(stop)) as server:
        try:
            async with client_for(server) as client:
                with pytest.raises(ApiError) as raised:
                    await client.list_messages(EMAIL)
        finally:
            stop.set()
        assert isinstance(raised.value, error), repr(raised.value)
        assert text in str(raised.value)
        assert "\x1b" not in str(raised.value)
        assert len([r for r in server.requests if r.path == "/api/messages"]) == attempts
        # The httpx exception (which holds the request, and so the key) is never chained.
        assert raised.value.__cause__ is None


async def test_429_carries_the_reset_time() -> None:
    headers = {**quota_headers(used=50_000), "X-RateLimit-Reset": RESET}
    with RawHttpServer(answer(http_response(429, b"{}", headers))) as server:
        async with client_for(server) as client:
            with pytest.raises(RateLimitError) as raised:
                await client.list_messages(EMAIL)
            assert raised.value.retry_at == datetime.fromisoformat(RESET).astimezone(UTC)
            assert client.quota is not None and client.quota.remaining == 0


async def test_posts_are_never_retried_in_a_storm() -> None:
    with RawHttpServer(answer(http_response(502, b"bad gateway"))) as server:
        async with client_for(server) as client:
            with pytest.raises(ServerError):
                await client.create_mailbox()
            with pytest.raises(ServerError):
                await client.delete_message("abc")
        assert len(server.requests) == 2


async def test_refused_connection_is_a_network_error() -> None:
    port = free_port()
    client = TempMailClient(KEY, base_url=f"http://127.0.0.1:{port}/api", retries=1, backoff=0)
    async with client:
        with pytest.raises(NetworkError):
            await client.list_messages(EMAIL)


# -- a 50 MB body -------------------------------------------------------------------------

FIFTY_MB = 50 * 1024 * 1024
CAP = 8 * 1024 * 1024
CHUNK = b"a" * (1024 * 1024)
HEAD = (
    b'{"status": true, "mailbox": "box@inbox.test", "messages": [{"id": "m1", '
    b'"receivedAt": "2026-06-28 10:57:25", "content": "'
)
TAIL = b'"}]}'


def fifty_mb_body(*, declare_length: bool) -> Handler:
    """Stream a valid 50 MB listing one reused megabyte at a time (the server holds 1 MB)."""

    async def handle(request: RawRequest, conn: RawConnection) -> None:
        head = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n"
        if declare_length:
            head += b"Content-Length: %d\r\n" % FIFTY_MB
        await conn.send(head + b"\r\n" + HEAD)
        left = FIFTY_MB - len(HEAD) - len(TAIL)
        while left > 0:
            piece = CHUNK if left >= len(CHUNK) else CHUNK[:left]
            await conn.send(piece)
            left -= len(piece)
        await conn.send(TAIL)

    return handle


@pytest.mark.slow
@pytest.mark.parametrize("declare_length", [True, False], ids=["declared", "streamed"])
async def test_fifty_megabyte_body_is_capped_without_being_held(declare_length: bool) -> None:
    with RawHttpServer(fifty_mb_body(declare_length=declare_length)) as server:
        async with client_for(server, max_body_bytes=CAP, retries=0, timeout=10) as client:
            tracemalloc.start()
            try:
                with pytest.raises(ProtocolError) as raised:
                    await client.list_messages(EMAIL)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    assert f"larger than {CAP} bytes" in str(raised.value)
    # Never the whole body, let alone twice: at most about one cap's worth was buffered.
    assert peak < 3 * CAP, f"peak {peak / 2**20:.1f} MiB"
    if declare_length:
        assert peak < CAP, "a declared oversize body must be refused before it is read"


# -- the same faults seen through the real app (sandbox knobs) -------------------------------


def fault_app(sandbox: SandboxServer, tmp_path: Path) -> TempMailApp:
    """The real app with a short timeout, polling only when asked."""
    config = make_config(sandbox.base_url, sandbox.api_key, tmp_path, timeout=0.5)
    return TempMailApp(config, store_path=tmp_path / "store.sqlite3")


async def poll(app: TempMailApp, pilot: Pilot[Any]) -> None:
    """Press `g` and wait for that poll to be handled."""
    await wait(pilot, lambda: not app.scheduler.in_flight, what="idle")
    await pilot.press("R")
    await pilot.pause(0.1)
    await wait(pilot, lambda: not app.scheduler.in_flight, what="poll handled", timeout=30)
    await pilot.pause(0.05)


APP_FAULTS = [
    # Quota left: a short rate limit, not the monthly stop.
    pytest.param({"force_status": 429}, "Rate limited by the server", "paused", id="429"),
    pytest.param(
        {"force_status": 429, "omit_quota_headers": True},
        "Rate limited by the server",
        "paused",
        id="429-bare",
    ),
    pytest.param({"error_rate": 1.0}, "internal error (HTTP 500)", None, id="5xx-storm"),
    pytest.param({"latency": 1.0}, "did not answer in time", "offline", id="timeout"),
    pytest.param({"non_json": True}, "not JSON", None, id="non-json"),
    pytest.param({"truncate_body": True}, "not JSON", None, id="truncated"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("faults", "shown", "mode"), APP_FAULTS)
async def test_app_shows_fault_and_keeps_last_good_data(
    sandbox: SandboxServer, tmp_path: Path, faults: dict[str, Any], shown: str, mode: str | None
) -> None:
    app = fault_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        email = await create_box(app, pilot)
        sandbox.state.add_sample(email, "plain")
        sandbox.state.add_sample(email, "verification")
        await wait(pilot, lambda: not app.scheduler.in_flight, what="idle")
        await poll(app, pilot)
        await wait(pilot, lambda: table(app).row_count == 2, what="good data")
        good = all_rows(app)
        sandbox.state.deliver(email, subject="arrives during the fault")
        sandbox.state.update_faults(**faults)
        await poll(app, pilot)
        problem = app.main.problem
        assert problem is not None and f"Checking {email} failed" in problem
        assert shown in problem, problem
        assert shown in quota_line(app)
        assert all_rows(app) == good
        if mode is not None:
            assert app.scheduler.status().mode == mode
        assert app.is_running
        sandbox.state.update_faults(
            force_status=None,
            error_rate=0.0,
            latency=0.0,
            non_json=False,
            truncate_body=False,
            omit_quota_headers=False,
        )
        await poll(app, pilot)
        await wait(pilot, lambda: table(app).row_count == 3, what="recovery")
        assert app.main.problem is None


@pytest.mark.slow
async def test_app_survives_the_server_going_away(tmp_path: Path) -> None:
    port = free_port()
    sandbox = SandboxServer(port=port, smtp_port=None, api_key=KEY)
    sandbox.start()
    try:
        app = fault_app(sandbox, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            email = await create_box(app, pilot)
            sandbox.state.add_sample(email, "plain")
            await poll(app, pilot)
            await wait(pilot, lambda: table(app).row_count == 1, what="good data")
            good = all_rows(app)
            sandbox.stop()
            await poll(app, pilot)
            assert app.main.problem is not None and "Could not reach" in app.main.problem
            assert "offline" in quota_line(app)
            assert all_rows(app) == good
            sandbox.start()
            await poll(app, pilot)
            assert app.main.problem is None
            assert "offline" not in quota_line(app)
    finally:
        sandbox.stop()


def test_fault_table_is_json_clean() -> None:
    """The knob names used above are the sandbox's own (a typo would make a test vacuous)."""
    from tempmail_tui.sandbox.faults import Faults

    for param in APP_FAULTS:
        Faults.from_json(json.loads(json.dumps(param.values[0])))
