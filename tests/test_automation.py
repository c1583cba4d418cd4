"""The Python API against a real sandbox: HTTP on loopback, mail sent in over its SMTP port."""

from __future__ import annotations

import asyncio
import smtplib
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC
from email.message import EmailMessage
from pathlib import Path

import pytest

import tempmail_tui
from tempmail_tui.automation import (
    AsyncTempMail,
    LabelError,
    NoApiKeyError,
    NotFoundError,
    SessionClosedError,
    TempMail,
    TempMailError,
    UsageError,
    WaitTimedOut,
)
from tempmail_tui.sandbox.server import SandboxServer

REPO = Path(__file__).resolve().parent.parent
HTML = (
    "<p>Hello!</p><p>Your code is <b>482913</b>.</p>"
    '<p><a href="https://example.com/verify?t=abc">Verify your email</a></p>'
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """One sandbox with SMTP for the module: every test makes boxes of its own."""
    with SandboxServer() as server:
        yield server


@pytest.fixture
def mail(sandbox: SandboxServer, tmp_path: Path) -> Iterator[TempMail]:
    with TempMail(
        api_key=sandbox.api_key,
        base_url=sandbox.base_url,
        store_path=tmp_path / "store.sqlite3",
        poll_interval=1,
    ) as session:
        yield session


def send(
    sandbox: SandboxServer,
    to: str,
    subject: str,
    text: str = "Hello",
    *,
    html: str | None = None,
    files: dict[str, bytes] | None = None,
    sender: str = "Example App <no-reply@example.com>",
) -> None:
    """Send one mail to the sandbox's SMTP port, as the application under test would."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for name, data in (files or {}).items():
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    assert sandbox.smtp_port is not None
    with smtplib.SMTP(sandbox.smtp_host, sandbox.smtp_port, timeout=10) as client:
        client.send_message(message)


def send_after_checks(
    sandbox: SandboxServer, count: int, to: str, subject: str
) -> threading.Thread:
    """Send a mail once the account has made ``count`` more requests (a wait is under way)."""
    start = sandbox.state.quota().used

    def go() -> None:
        deadline = time.monotonic() + 10
        while sandbox.state.quota().used < start + count and time.monotonic() < deadline:
            time.sleep(0.01)
        send(sandbox, to, subject)

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    return thread


# --- the sync API ---------------------------------------------------------------------------


def test_a_new_labelled_box_gets_the_mail_with_its_code_link_and_text(
    mail: TempMail, sandbox: SandboxServer
) -> None:
    box = mail.new(label="signup-test")
    assert sandbox.state.is_live_address(box.address)
    assert box.labels == ("signup-test",)
    assert box.expires_at is not None and box.expires_at.tzinfo is not None
    # Sent before the wait starts: all of a new box's mail counts.
    send(sandbox, box.address, "Please verify your email", "code 482913", html=HTML)

    msg = box.wait(subject=r"verify", timeout=10)

    assert msg.subject == "Please verify your email"
    assert msg.mailbox == box.address
    assert msg.sender == "Example App <no-reply@example.com>"
    assert msg.sender_address == "no-reply@example.com"
    assert msg.received_at.tzinfo == UTC
    assert msg.code == "482913"
    assert msg.link == "https://example.com/verify?t=abc"
    assert msg.html is not None and "<b>482913</b>" in msg.html
    assert "Your code is 482913." in msg.text and "<b>" not in msg.text
    assert msg.attachments == ()


def test_wait_filters_by_subject_and_sender_and_times_out_in_the_family(
    mail: TempMail, sandbox: SandboxServer
) -> None:
    box = mail.new()
    send(sandbox, box.address, "Welcome aboard", sender="News <news@example.org>")

    started = time.monotonic()
    with pytest.raises(WaitTimedOut) as timed_out:
        box.wait(subject="verify", timeout=0.5)
    assert time.monotonic() - started < 5
    assert isinstance(timed_out.value, TempMailError)
    with pytest.raises(WaitTimedOut):
        box.wait(sender="no-reply@", timeout=0.3)

    welcome = box.wait(subject="WELCOME", sender=r"news@example\.org", timeout=5)
    assert welcome.subject == "Welcome aboard"
    # A message a wait returned is taken: the next wait wants another, unless told otherwise.
    with pytest.raises(WaitTimedOut):
        box.wait(timeout=0.3)
    assert box.wait(existing=True, timeout=5).id == welcome.id


def test_a_wait_sees_mail_that_arrives_while_it_waits(
    mail: TempMail, sandbox: SandboxServer
) -> None:
    box = mail.new()
    sender = send_after_checks(sandbox, 1, box.address, "Your sign-in link")
    msg = box.wait(subject="sign-in", timeout=10)
    sender.join()
    assert msg.subject == "Your sign-in link"


def test_an_attached_box_counts_only_mail_that_came_after(
    mail: TempMail, sandbox: SandboxServer
) -> None:
    made = mail.new()
    send(sandbox, made.address, "Old news")
    attached = mail.box(made.address.upper())
    assert attached.address == made.address
    with pytest.raises(WaitTimedOut):
        attached.wait(timeout=0.3)
    send(sandbox, made.address, "Fresh news")
    assert attached.wait(timeout=5).subject == "Fresh news"
    assert attached.wait(existing=True, subject="old", timeout=5).subject == "Old news"


def test_wait_for_code_and_link(mail: TempMail, sandbox: SandboxServer) -> None:
    box = mail.new()
    send(sandbox, box.address, "No code here", "just hello")
    send(sandbox, box.address, "Verify", "code 482913", html=HTML)
    assert box.wait_for_code(timeout=5) == "482913"
    # The code's message is taken; the link waits for a new one.
    with pytest.raises(WaitTimedOut):
        box.wait_for_link(timeout=0.3)
    assert box.wait_for_link(existing=True, timeout=5) == "https://example.com/verify?t=abc"


def test_an_attachment_is_saved_inside_the_directory_never_overwriting(
    mail: TempMail, sandbox: SandboxServer, tmp_path: Path
) -> None:
    box = mail.new()
    send(
        sandbox,
        box.address,
        "Your invoice",
        files={"invoice.pdf": b"%PDF-1.4 data", "../../escape.txt": b"outside?"},
    )
    msg = box.wait(timeout=5)
    by_name = {a.name: a for a in msg.attachments}
    assert by_name["invoice.pdf"].size == len(b"%PDF-1.4 data")
    target = tmp_path / "downloads"

    first = by_name["invoice.pdf"].save(target)
    second = by_name["invoice.pdf"].save(str(target))
    hostile = next(a for name, a in by_name.items() if "escape" in name).save(target)

    assert first == target.resolve() / "invoice.pdf"
    assert second == target.resolve() / "invoice (1).pdf"
    assert first.read_bytes() == second.read_bytes() == b"%PDF-1.4 data"
    assert hostile.parent == target.resolve() and hostile.read_bytes() == b"outside?"
    assert not (tmp_path / "escape.txt").exists()
    # No partial file is left behind.
    assert sorted(p.name for p in target.iterdir()) == sorted(
        ["invoice.pdf", "invoice (1).pdf", hostile.name]
    )


def test_messages_boxes_and_delete(mail: TempMail, sandbox: SandboxServer) -> None:
    box = mail.new(label="cleanup")
    other = mail.new()
    send(sandbox, box.address, "First")
    send(sandbox, box.address, "Second")
    subjects = [m.subject for m in box.messages()]
    assert sorted(subjects) == ["First", "Second"]
    assert [b.address for b in mail.boxes(label="CLEANUP")] == [box.address]
    assert {b.address for b in mail.boxes()} == {box.address, other.address}
    assert box.set_labels("one", "two") == ("one", "two")
    assert box.labels == ("one", "two")
    assert mail.created == (box, other)

    assert box.delete() is True
    assert box.deleted
    assert not sandbox.state.is_live_address(box.address)
    assert [b.address for b in mail.boxes()] == [other.address]
    with pytest.raises(NotFoundError) as gone:
        mail.box(box.address)
    assert isinstance(gone.value, TempMailError)


def test_a_closed_session_says_so(sandbox: SandboxServer, tmp_path: Path) -> None:
    with TempMail(
        api_key=sandbox.api_key, base_url=sandbox.base_url, store_path=tmp_path / "s.db"
    ) as mail:
        box = mail.new()
    assert mail.closed
    with pytest.raises(SessionClosedError, match="closed") as closed:
        box.wait(timeout=1)
    assert isinstance(closed.value, TempMailError)
    with pytest.raises(SessionClosedError):
        mail.new()
    mail.close()  # twice is fine


def test_bad_arguments_are_refused_in_the_family_before_any_request(
    mail: TempMail, sandbox: SandboxServer
) -> None:
    box = mail.new()
    used = sandbox.state.quota().used
    with pytest.raises(UsageError, match="regular expression"):
        box.wait(subject="(unclosed", timeout=1)
    with pytest.raises(UsageError, match="more than 0"):
        box.wait(timeout=0)
    with pytest.raises(UsageError, match="not a mail address"):
        mail.box("nobody")
    with pytest.raises(LabelError):
        mail.new(label="bad\x00label")
    assert sandbox.state.quota().used == used
    assert issubclass(UsageError, TempMailError) and issubclass(UsageError, ValueError)


def test_the_settings_are_found_as_the_cli_finds_them_and_keywords_win(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEMPMAIL_API_KEY", sandbox.api_key)
    monkeypatch.setenv("TEMPMAIL_BASE_URL", sandbox.base_url)
    with TempMail(store_path=tmp_path / "a.db") as mail:
        assert mail.base_url == sandbox.base_url
        assert sandbox.state.is_live_address(mail.new().address)

    monkeypatch.setenv("TEMPMAIL_API_KEY", "sbx_wrong_key_0000000000")
    monkeypatch.setenv("TEMPMAIL_BASE_URL", "http://127.0.0.1:9/api")
    with TempMail(
        api_key=sandbox.api_key, base_url=sandbox.base_url, store_path=tmp_path / "b.db"
    ) as mail:
        assert sandbox.state.is_live_address(mail.new().address)


def test_no_key_is_a_clear_error(tmp_path: Path) -> None:
    # The conftest leaves no key in the environment and a failing keyring.
    with pytest.raises(NoApiKeyError):
        TempMail(store_path=tmp_path / "s.db")


async def test_the_sync_api_works_inside_a_running_event_loop(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    # It blocks this loop while it works, but its own thread means no deadlock.
    with TempMail(
        api_key=sandbox.api_key, base_url=sandbox.base_url, store_path=tmp_path / "s.db"
    ) as mail:
        box = mail.new()
        send(sandbox, box.address, "From a loop")
        assert box.wait(timeout=5).subject == "From a loop"


# --- the async API --------------------------------------------------------------------------


async def test_the_async_twin(sandbox: SandboxServer, tmp_path: Path) -> None:
    async with AsyncTempMail(
        api_key=sandbox.api_key,
        base_url=sandbox.base_url,
        store_path=tmp_path / "s.db",
        poll_interval=1,
    ) as mail:
        box = await mail.new(label="async")
        assert box.labels == ("async",)
        waiting = asyncio.create_task(box.wait(subject="verify", timeout=10))
        await asyncio.to_thread(
            send, sandbox, box.address, "Verify", "code", html=HTML, files={"a.txt": b"A"}
        )
        msg = await waiting
        assert (msg.code, msg.link) == ("482913", "https://example.com/verify?t=abc")
        saved = await msg.attachments[0].save(tmp_path / "out")
        assert saved.read_bytes() == b"A"
        assert [m.id for m in await box.messages()] == [msg.id]
        with pytest.raises(WaitTimedOut):
            await box.wait_for_code(timeout=0.3)
        assert await box.delete() is True
    with pytest.raises(SessionClosedError):
        await mail.new()


async def test_an_async_session_not_opened_says_so(sandbox: SandboxServer) -> None:
    mail = AsyncTempMail(api_key=sandbox.api_key, base_url=sandbox.base_url)
    with pytest.raises(SessionClosedError, match="not open"):
        await mail.new()


# --- the package's face ---------------------------------------------------------------------


def test_import_stays_light_and_the_api_is_lent_on_first_use() -> None:
    script = (
        "import sys, tempmail_tui\n"
        "print(sorted(m for m in sys.modules if m.startswith('tempmail_tui')))\n"
        "from tempmail_tui import TempMail, AsyncTempMail, WaitTimedOut\n"
        "print(TempMail.__module__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines() == ["['tempmail_tui']", "tempmail_tui.automation.sync"]
    assert tempmail_tui.WaitTimedOut is WaitTimedOut
    with pytest.raises(AttributeError):
        _ = tempmail_tui.NoSuchThing  # type: ignore[attr-defined]


def test_a_wait_takes_its_share_of_the_quota_as_a_script(
    mail: TempMail, sandbox: SandboxServer, tmp_path: Path
) -> None:
    """While a box waits, the store lists this process among the pollers sharing the quota."""
    import sqlite3

    box = mail.new()
    kinds: list[str] = []

    def watch_then_send() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "api" not in kinds:
            conn = sqlite3.connect(tmp_path / "store.sqlite3")
            try:
                kinds[:] = [row[0] for row in conn.execute("SELECT kind FROM pollers")]
            finally:
                conn.close()
            time.sleep(0.1)
        send(sandbox, box.address, "Shared budget")

    sender = threading.Thread(target=watch_then_send)
    sender.start()
    try:
        assert box.wait(timeout=20).subject == "Shared budget"
    finally:
        sender.join()
    assert kinds == ["api"]
