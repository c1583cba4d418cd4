"""Rate limits, hung servers, 5xx storms and local failures, as a user meets them in the field."""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from tempmail_tui.api.client import TempMailClient
from tempmail_tui.api.errors import RateLimitError
from tempmail_tui.api.quota import parse_retry_after
from tempmail_tui.cli import main
from tempmail_tui.core.schedule import BoxInfo, Outcome, PollPolicy, PollScheduler, outcome_for
from tempmail_tui.core.store import Store
from tempmail_tui.sandbox.server import SandboxServer

from ..app_helpers import make_app
from .helpers import (
    RawConnection,
    RawHttpServer,
    RawRequest,
    app_for_server,
    create_box,
    http_response,
    quota_headers,
    quota_line,
    record_toasts,
    table,
    wait,
)

SIZE = (120, 36)
KEY = "tmk_field_conditions_0123456789"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox accepting the test key, with SMTP off."""
    with SandboxServer(api_key=KEY, smtp_port=None) as server:
        yield server


# -- 429: a short rate limit is not the monthly stop -----------------------------------------


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert parse_retry_after({"Retry-After": "3"}, now) == 3.0
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after({"retry-after": later}, now) == 90.0
    earlier = format_datetime(now - timedelta(seconds=90), usegmt=True)
    assert parse_retry_after({"Retry-After": earlier}, now) == 0.0
    for junk in ("", "soon", "-5", "3.5", "9" * 80):
        assert parse_retry_after({"Retry-After": junk}, now) is None
    assert parse_retry_after({}, now) is None


async def test_client_tells_a_short_rate_limit_from_the_spent_month(
    sandbox: SandboxServer,
) -> None:
    box = sandbox.state.create_mailbox(username="limits")
    async with TempMailClient(KEY, base_url=sandbox.base_url, retries=0) as client:
        sandbox.state.update_faults(force_status=429, force_count=1, retry_after=3)
        with pytest.raises(RateLimitError) as short:
            await client.list_messages(box.email)
        assert short.value.retry_after == 3.0 and not short.value.quota_spent
        assert str(short.value).startswith("Rate limited by the server (HTTP 429)")
        # Quota left and no Retry-After: still a short limit.
        sandbox.state.update_faults(force_status=429, force_count=1, retry_after=None)
        with pytest.raises(RateLimitError) as bare:
            await client.list_messages(box.email)
        assert bare.value.retry_after is None and not bare.value.quota_spent
        # Remaining 0: the monthly stop.
        sandbox.state.set_quota(limit=100, used=100)
        with pytest.raises(RateLimitError) as spent:
            await client.list_messages(box.email)
        assert spent.value.quota_spent and spent.value.retry_at is not None
        assert str(spent.value).startswith("The monthly request quota is used up (HTTP 429)")


def test_scheduler_pauses_briefly_for_a_short_limit_and_until_reset_for_the_month() -> None:
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    clock = [now]
    sched = PollScheduler(PollPolicy(fast_interval=5), clock=lambda: clock[0])
    sched.set_boxes([BoxInfo("a@inbox.test", None)])
    sched.select("a@inbox.test")
    sched.started("a@inbox.test")
    sched.finished_after("a@inbox.test", RateLimitError(retry_after=3.0, status_code=429))
    status = sched.status()
    assert status.mode == "paused" and status.paused_until is not None
    pause = (status.paused_until - now).total_seconds()
    assert 3.0 <= pause <= 3.6  # never sooner than asked; jitter only upwards
    assert re.fullmatch(r"rate limited, retrying in [34] s", status.reason), status.reason
    clock[0] = now + timedelta(seconds=5.1)  # the pause and the 5 s interval are over
    assert sched.due() == ["a@inbox.test"]

    reset = now + timedelta(days=6)
    sched.started("a@inbox.test")
    spent = RateLimitError(retry_at=reset, quota_spent=True, status_code=429)
    sched.finished_after("a@inbox.test", spent)
    status = sched.status()
    assert status.paused_until == reset
    assert status.reason.startswith("the monthly request quota is used up")


async def test_reader_resumes_after_a_one_off_429_with_retry_after(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(sandbox, tmp_path, poll_interval=1.0)
    async with app.run_test(size=SIZE) as pilot:
        email = await create_box(app, pilot)
        await wait(pilot, lambda: not app.scheduler.in_flight, what="first poll")
        sandbox.state.update_faults(force_status=429, force_count=1, retry_after=3)
        limited_at = time.monotonic()
        await wait(pilot, lambda: "rate limited, retrying in" in quota_line(app), what="note")
        sandbox.state.deliver(email, subject="after the limit", text="x")
        # No key pressed: the schedule itself comes back within 15 s.
        await wait(pilot, lambda: table(app).row_count == 1, timeout=15, what="mail")
        resumed = time.monotonic() - limited_at
        assert 3.0 <= resumed <= 15.0, resumed
        assert app.scheduler.status().mode != "paused"


def _cli_env(monkeypatch: pytest.MonkeyPatch, sandbox: SandboxServer) -> None:
    monkeypatch.setenv("TEMPMAIL_BASE_URL", sandbox.base_url)
    monkeypatch.setenv("TEMPMAIL_API_KEY", KEY)


def test_wait_keeps_waiting_through_a_short_429(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli_env(monkeypatch, sandbox)
    box = sandbox.state.create_mailbox(username="patient")
    assert main(["messages", box.email]) == 0
    capsys.readouterr()

    def later() -> None:
        time.sleep(1.5)
        sandbox.state.update_faults(force_status=429, force_count=1, retry_after=2)
        time.sleep(1.5)
        sandbox.state.deliver(box.email, subject="Your code is 123456", text="code 123456")

    thread = threading.Thread(target=later)
    thread.start()
    code = main(["--poll-interval", "1", "wait", box.email, "--timeout", "30"])
    thread.join()
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Your code is 123456" in out
    assert re.search(r"warning: rate limited by the server; retrying in \d seconds?", err), err


def test_wait_stops_with_status_2_when_the_month_is_spent(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli_env(monkeypatch, sandbox)
    box = sandbox.state.create_mailbox(username="spent")
    sandbox.state.set_quota(limit=100, used=100, reset_at=datetime.now(UTC) + timedelta(days=3))
    started = time.monotonic()
    code = main(["--poll-interval", "1", "wait", box.email, "--timeout", "30"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert time.monotonic() - started < 10
    assert "stopped waiting: The monthly request quota is used up" in err


def test_wait_stops_with_status_2_when_a_short_limit_outlasts_the_timeout(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli_env(monkeypatch, sandbox)
    box = sandbox.state.create_mailbox(username="hurried")
    sandbox.state.update_faults(force_status=429, retry_after=120)
    code = main(["--poll-interval", "1", "wait", box.email, "--timeout", "5"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "stopped waiting: rate limited, retrying in" in err
    assert "beyond the 5 seconds timeout" in err


# -- one attempt per scheduled poll --------------------------------------------------------


class Silent:
    """A server that accepts every request and never answers until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.arrived: list[float] = []

    async def handle(self, request: RawRequest, conn: RawConnection) -> None:
        self.arrived.append(time.monotonic())
        await conn.wait_for(self.release, timeout=30)


async def test_a_silent_server_shows_offline_within_twice_the_request_timeout(
    tmp_path: Path,
) -> None:
    silent = Silent()
    with RawHttpServer(silent.handle) as server:
        app = app_for_server(
            server.base_url, KEY, tmp_path, mailboxes=["quiet@inbox.test"], timeout=1.0
        )
        try:
            async with app.run_test(size=SIZE) as pilot:
                await wait(pilot, lambda: silent.arrived, what="the first request")
                first = silent.arrived[0]
                await wait(pilot, lambda: app.scheduler.status().offline, what="offline")
                took = time.monotonic() - first
                assert took <= 2.0 + 0.5, took  # twice the timeout, plus slack
                await wait(pilot, lambda: "offline" in quota_line(app), what="offline mark")
                # One attempt: no retry was sent before offline was declared.
                assert len(silent.arrived) == 1
        finally:
            silent.release.set()


async def test_g_during_a_hung_poll_starts_a_fresh_one(tmp_path: Path) -> None:
    silent = Silent()
    with RawHttpServer(silent.handle) as server:
        app = app_for_server(
            server.base_url, KEY, tmp_path, mailboxes=["hung@inbox.test"], timeout=20.0
        )
        try:
            async with app.run_test(size=SIZE) as pilot:
                seen = record_toasts(app)
                await wait(pilot, lambda: silent.arrived, what="the first request")
                assert app.scheduler.in_flight == {"hung@inbox.test"}
                await pilot.press("R")
                await wait(pilot, lambda: len(silent.arrived) == 2, timeout=5, what="a new one")
                assert "Checking hung@inbox.test again…" in seen
                assert not any("already running" in t for t in seen)
                assert app.scheduler.in_flight == {"hung@inbox.test"}
        finally:
            silent.release.set()


async def test_a_5xx_storm_never_polls_faster_than_the_healthy_schedule(tmp_path: Path) -> None:
    arrived: list[float] = []

    async def storm(request: RawRequest, conn: RawConnection) -> None:
        arrived.append(time.monotonic())
        await conn.send(http_response(503, {"status": False, "message": "down"}, quota_headers()))

    with RawHttpServer(storm) as server:
        app = app_for_server(server.base_url, KEY, tmp_path, mailboxes=["storm@inbox.test"])
        app.config.poll_interval = 1.0
        app.scheduler.policy = PollPolicy(fast_interval=1.0, slow_interval=60.0)
        async with app.run_test(size=SIZE) as pilot:
            await wait(pilot, lambda: arrived, what="the first request")
            await pilot.pause(6.0)
    span = arrived[-1] - arrived[0]
    gaps = [b - a for a, b in itertools.pairwise(arrived)]
    # The healthy schedule is one request a second; the old client sent bursts of four.
    assert len(arrived) <= 1 + span / 1.0 + 1, (len(arrived), span)
    assert all(gap >= 0.9 for gap in gaps), gaps


# -- local failures are local --------------------------------------------------------------


# A poll reads the box (plan_sync) before its mail is shown and writes it (apply_sync) after.
@pytest.mark.parametrize("step", ["plan_sync", "apply_sync"])
async def test_a_local_failure_is_reported_as_local_and_does_not_back_off(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    app = make_app(sandbox, tmp_path, poll_interval=1.0)
    async with app.run_test(size=SIZE) as pilot:
        email = await create_box(app, pilot)
        await wait(pilot, lambda: not app.scheduler.in_flight, what="first poll")

        def broken(self: Store, *args: object, **kwargs: object) -> object:
            raise ValueError("index page torn")

        monkeypatch.setattr(Store, step, broken)
        # New mail: a poll that brings nothing new writes nothing (apply_sync is not called).
        sandbox.state.deliver(email, subject="Your code", html="<p>Code 123456</p>")
        await pilot.press("R")
        if step == "plan_sync":
            await wait(pilot, lambda: app.main.problem is not None, what="the problem")
            problem = app.main.problem or ""
            assert problem.startswith(f"Storing the mail of {email} (on this machine) failed")
        else:
            # The mail was shown before the write: the store's notice says it is not kept.
            await wait(pilot, lambda: "torn" in (app.main.store_notice or ""), what="the notice")
            problem = app.main.store_notice or ""
            assert f"storing the mail of {email} failed on this machine" in problem.lower()
            assert app.main.problem is None
        assert "ValueError: index page torn" in problem
        assert "protocol" not in problem.lower() and "server" not in problem.lower()
        status = app.scheduler.status()
        assert not status.offline and status.mode in ("normal", "stretched")
        # Polling goes on at the normal rate: the next automatic check comes within 2 s.
        count = sandbox.state.quota(KEY).used
        await asyncio.sleep(2.5)
        assert sandbox.state.quota(KEY).used > count


def test_outcome_of_a_local_error_is_local() -> None:
    assert outcome_for(ValueError("x")) is Outcome.LOCAL_ERROR
