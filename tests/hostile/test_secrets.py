"""A canary API key goes through a realistic session and must appear nowhere it should not."""

from __future__ import annotations

import base64
import traceback
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import textual.constants
from textual.widgets import Input

from tempmail_tui import cli
from tempmail_tui.api.client import TempMailClient
from tempmail_tui.api.errors import ApiError
from tempmail_tui.api.secrets import Secret
from tempmail_tui.core import logfile
from tempmail_tui.core.config import load_config
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.app import TempMailApp
from tempmail_tui.ui.screens.dialogs import SaveDialog
from tempmail_tui.ui.screens.key_dialog import ApiKeyDialog, KeyEntry

from .helpers import (
    SIZE,
    RawConnection,
    RawHttpServer,
    RawRequest,
    collected_logs,
    create_box,
    free_port,
    http_response,
    make_config,
    open_row,
    record_toasts,
    table,
    wait,
)

# Characters that change under URL and base64 encoding, so each form is a distinct needle.
CANARY = "tmk_CANARY+5e3cr3t/0123456789=abcdef"


def needles(key: str) -> dict[str, str]:
    """Every form in which the key could leak, by name."""
    forms = {
        "raw": key,
        "middle": key[8:24],  # what no masked form ever shows
        "url-encoded": quote(key, safe=""),
        "base64": base64.b64encode(key.encode()).decode(),
        "base64 of the header": base64.b64encode(f"Bearer {key}".encode()).decode(),
        "urlsafe base64": base64.urlsafe_b64encode(key.encode()).decode(),
    }
    for shift in (1, 2):
        # base64 of the key at another offset inside a longer string.
        encoded = base64.b64encode(b"x" * shift + key.encode()).decode()
        forms[f"base64 at offset {shift}"] = encoded[4 : 4 + 24]
    return forms


def leaks(haystacks: dict[str, str | bytes], key: str = CANARY) -> list[str]:
    """The names of the haystacks holding any form of the key (never the text itself)."""
    found = []
    for where, text in haystacks.items():
        data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
        for form, needle in needles(key).items():
            if needle.encode() in data:
                found.append(f"{where}: {form}")
    return found


def describe_error(error: BaseException) -> str:
    """Everything an exception shows: str, repr, and the formatted chained traceback."""
    return "\n".join(
        [str(error), repr(error), *traceback.format_exception(error), repr(error.__context__)]
    )


def echoing_server() -> RawHttpServer:
    """A hostile server that echoes the Authorization header back in every way it can."""

    async def handle(request: RawRequest, conn: RawConnection) -> None:
        sent = request.headers.get("authorization", "")
        if request.path.endswith("/emails"):
            body = {"status": False, "message": f"bad key {sent} !"}
            await conn.send(http_response(401, body, {"X-Echo": sent, "X-RateLimit-Reset": sent}))
        elif request.path.endswith("/messages"):
            body = {"status": False, "message": f"oops {sent}"}
            await conn.send(http_response(200, body, {"X-RateLimit-Limit": sent}))
        elif "/attachments/" in request.path:
            await conn.send(http_response(302, b"", {"Location": f"http://evil/?k={sent}"}))
        else:
            await conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" + sent.encode()[:2])
            await conn.reset()

    return RawHttpServer(handle)


@pytest.fixture
def textual_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Textual's own log, written to a file for the session."""
    path = tmp_path / "textual.log"
    monkeypatch.setattr(textual.constants, "LOG_FILE", str(path))
    yield path


@pytest.mark.slow
async def test_canary_key_leaks_nowhere(
    tmp_path: Path,
    textual_log: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    haystacks: dict[str, str | bytes] = {}
    errors: list[BaseException] = []
    # The detailed log a user would attach to a bug report (--log FILE).
    log_file = tmp_path / "tempmail.log"
    logfile.configure(log_file)
    with collected_logs() as logs, SandboxServer(api_key=CANARY) as sandbox:
        config = make_config(sandbox.base_url, CANARY, tmp_path, timeout=0.5)
        store_path = tmp_path / "store.sqlite3"
        app = TempMailApp(config, store_path=store_path)
        async with app.run_test(size=SIZE) as pilot:
            seen = record_toasts(app)
            email = await create_box(app, pilot)
            sandbox.state.add_sample(email, "attachment")
            await pilot.press("R")
            await wait(pilot, lambda: table(app).row_count == 1, what="mail")
            await open_row(app, pilot, 0)
            await pilot.press("s")
            await wait(pilot, lambda: isinstance(app.screen, SaveDialog), what="save dialog")
            await pilot.press("enter")
            await wait(pilot, lambda: any(t.startswith("Saved ") for t in seen), what="saved")
            haystacks["screenshot: reading"] = app.export_screenshot()

            # Server errors, then a timeout (network failure), then a 401.
            for faults in ({"force_status": 500}, {"latency": 1.0}):
                sandbox.state.update_faults(**faults)
                await pilot.press("R")
                await wait(pilot, lambda: app.main.problem is not None, what=str(faults))
                await wait(pilot, lambda: not app.scheduler.in_flight, what="poll done")
                haystacks[f"screenshot: {faults}"] = app.export_screenshot()
                sandbox.state.update_faults(force_status=None, latency=0.0)
                await pilot.press("R")
                await wait(pilot, lambda: app.main.problem is None, what="recovery")
            sandbox.state.update_faults(force_status=401, force_count=1)
            await pilot.press("R")
            await wait(pilot, lambda: isinstance(app.screen, ApiKeyDialog), what="key dialog")
            # The user pastes the key again: the field is masked on screen.
            app.screen.query_one(Input).value = CANARY
            haystacks["screenshot: key dialog"] = app.export_screenshot()
            await pilot.press("enter")
            await wait(pilot, lambda: not isinstance(app.screen, ApiKeyDialog), what="dialog gone")
            await pilot.press("R")
            await wait(pilot, lambda: app.main.problem is None, what="working again")
            haystacks["screenshot: end"] = app.export_screenshot()

            service = app.service
            assert service is not None
            haystacks["repr: app.config"] = repr(app.config) + str(app.config)
            haystacks["repr: service"] = repr(service) + repr(vars(service))
            haystacks["repr: client"] = repr(service.client) + str(service.client)
            haystacks["repr: store"] = repr(app.store)
            haystacks["repr: scheduler"] = repr(app.scheduler) + repr(app.scheduler.status())
            haystacks["toasts"] = "\n".join(seen)
            haystacks["problem line"] = str(app.main.problem)

    # Other holders of the key.
    haystacks["repr: KeyEntry"] = repr(KeyEntry(CANARY, persist=True)) + str(
        KeyEntry(CANARY, persist=False)
    )
    haystacks["repr: Secret"] = repr(Secret(CANARY)) + str(Secret(CANARY)) + f"{Secret(CANARY)}"
    loaded = load_config(flags={"api_key": CANARY}, environ={}, use_keyring=False)
    haystacks["repr: loaded Config"] = repr(loaded)

    # The command line: `auth status` with the key in the environment.
    monkeypatch.setenv("TEMPMAIL_API_KEY", CANARY)
    assert cli.main(["auth", "status"]) == 0

    # The client against a server that echoes the key back, every error kept.
    with echoing_server() as server:
        client = TempMailClient(CANARY, base_url=server.base_url, retries=1, backoff=0)
        haystacks["repr: client (echo)"] = repr(client)
        async with client:
            for call in (
                client.create_mailbox(),
                client.list_messages("a@inbox.test"),
                client.read_message("m1"),
                client.download_attachment("m1", "f.txt", lambda chunk: None),
            ):
                try:
                    await call
                except ApiError as error:
                    errors.append(error)
    refused = TempMailClient(CANARY, base_url=f"http://127.0.0.1:{free_port()}/api", retries=0)
    async with refused:
        try:
            await refused.domains()
        except ApiError as error:
            errors.append(error)
    for bad in (CANARY + " ", CANARY + "\n"):
        try:
            TempMailClient(bad)
        except ApiError as error:
            errors.append(error)
    assert len(errors) == 7, [type(e).__name__ for e in errors]
    for index, failure in enumerate(errors):
        haystacks[f"error {index} ({type(failure).__name__})"] = describe_error(failure)

    haystacks["logs"] = "\n".join(logs)
    haystacks["log file"] = log_file.read_text(encoding="utf-8")
    assert " -> 200 in " in haystacks["log file"], "the log file holds no request lines"
    assert any("GET" in line for line in logs), "no log was captured: the check would be vacuous"
    # Textual's own log is checked in its own test below (it leaks; see there).
    assert textual_log.exists() and textual_log.stat().st_size > 0
    for suffix in ("", "-wal", "-shm"):
        side = store_path.with_name(store_path.name + suffix)
        haystacks[f"sqlite{suffix or ' file'}"] = side.read_bytes() if side.exists() else b""
    assert haystacks["sqlite file"], "the store file was not written"
    captured = capfd.readouterr()
    haystacks["captured stdout"] = captured.out
    haystacks["captured stderr"] = captured.err
    assert "API key: tmk_…cdef (from TEMPMAIL_API_KEY)" in captured.out

    found = leaks(haystacks)
    assert not found, found


async def test_textual_log_never_holds_the_key(
    tmp_path: Path, textual_log: Path, sandbox_with_canary: SandboxServer
) -> None:
    sandbox = sandbox_with_canary
    app = TempMailApp(
        make_config(sandbox.base_url, CANARY, tmp_path), store_path=tmp_path / "store.sqlite3"
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait(pilot, lambda: app.service is not None, what="service")
        sandbox.state.update_faults(force_status=401, force_count=1)
        await pilot.press("n")
        await wait(pilot, lambda: isinstance(app.screen, ApiKeyDialog), what="key dialog")
        await pilot.press(*CANARY)
        await pilot.press("enter")
        await wait(pilot, lambda: not isinstance(app.screen, ApiKeyDialog), what="dialog gone")
    log = textual_log.read_text()
    assert "ApiKeyDialog" in log  # the log really was written
    found = leaks({"textual log": log})
    assert not found, found


@pytest.fixture
def sandbox_with_canary() -> Iterator[SandboxServer]:
    """A sandbox that accepts the canary key."""
    with SandboxServer(api_key=CANARY, smtp_port=None) as server:
        yield server


def test_the_needles_find_a_leak() -> None:
    """The search is not vacuous: each form of the key is found where it is planted."""
    for form, needle in needles(CANARY).items():
        assert leaks({"planted": f"...{needle}..."}), form
    assert leaks({"base64 inside": base64.b64encode(b"Authorization: Bearer " + CANARY.encode())})
    assert not leaks({"masked": Secret(CANARY).masked})
