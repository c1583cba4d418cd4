"""Attachment names and bodies from strangers: inside the download dir, atomic, never clobbering."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import stat
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tempmail_tui.api.client import TempMailClient
from tempmail_tui.api.errors import ApiError
from tempmail_tui.api.models import Attachment
from tempmail_tui.core.mail import MailService
from tempmail_tui.core.render import HtmlRenderer
from tempmail_tui.core.savefile import SaveFileError, SizeMismatchError
from tempmail_tui.core.store import Store
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.screens.dialogs import SaveDialog

from .helpers import (
    SIZE,
    FakeApi,
    RawConnection,
    RawRequest,
    app_for_server,
    http_response,
    message_json,
    open_row,
    record_toasts,
    table,
    wait,
)

KEY = "tmk_attachments_key_0123456789ab"


@pytest.fixture
async def service(tmp_path: Path, sandbox: SandboxServer) -> AsyncIterator[MailService]:
    """The real mail service against the sandbox."""
    client = TempMailClient(sandbox.api_key, base_url=sandbox.base_url, timeout=5)
    store = Store.open(tmp_path / "store.sqlite3")
    mail = MailService(client, store, HtmlRenderer())
    yield mail
    await mail.aclose()
    store.close()


def files_under(root: Path) -> set[Path]:
    """Every file and link below a directory."""
    return {Path(d) / n for d, dirs, names in os.walk(root) for n in [*names, *dirs]}


async def deliver_and_fetch(
    sandbox: SandboxServer, service: MailService, name: str, data: bytes
) -> tuple[str, Attachment]:
    """Deliver a mail with one attachment and read it back through the client."""
    box = sandbox.state.create_mailbox()
    sent = sandbox.state.deliver(box.email, subject="file", attachments=[(name, data)])
    listing = await service.client.list_messages(box.email)
    message = next(m for m in listing.messages if m.id == sent.id)
    assert message.attachments[0].name == name
    return sent.id, message.attachments[0]


HOSTILE_NAMES = [
    ("../../.bashrc", "bashrc"),
    ("/etc/passwd", "passwd"),
    ("..\\..\\x.bat", "x.bat"),
    ("", "attachment"),
    (".", "attachment"),
    ("..", "attachment"),
    ("nul\x00name.txt", "nulname.txt"),
    ("n" * 296 + ".txt", "n" * 196 + ".txt"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),
    ("\u202etxt.exe", "txt.exe"),
    ("\x1b]0;T\x07clean\u200b.txt", "clean.txt"),
    ("CON", "_CON"),
]


@pytest.mark.parametrize(("name", "expected"), HOSTILE_NAMES)
async def test_hostile_names_land_inside_the_download_dir(
    name: str, expected: str, tmp_path: Path, sandbox: SandboxServer, service: MailService
) -> None:
    downloads = tmp_path / "home" / "downloads"
    before = files_under(tmp_path)
    message_id, attachment = await deliver_and_fetch(sandbox, service, name, b"payload \x00\xff")
    saved = await service.save_attachment(message_id, attachment, downloads)
    assert saved.parent == downloads.resolve()
    assert saved.name == expected
    assert saved.read_bytes() == b"payload \x00\xff"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    new = files_under(tmp_path) - before
    # Only the download dir, its parent and the file; no leftovers, nothing outside.
    assert new <= {tmp_path / "home", downloads, saved, *(p for p in new if "store" in p.name)}
    assert not [p for p in downloads.iterdir() if p.name.endswith(".partial")]


async def test_existing_file_is_never_overwritten(
    tmp_path: Path, sandbox: SandboxServer, service: MailService
) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / "report.pdf").write_bytes(b"original")
    message_id, attachment = await deliver_and_fetch(sandbox, service, "report.pdf", b"new")
    first = await service.save_attachment(message_id, attachment, downloads)
    second = await service.save_attachment(message_id, attachment, downloads)
    assert (downloads / "report.pdf").read_bytes() == b"original"
    assert (first.name, second.name) == ("report (1).pdf", "report (2).pdf")
    assert first.read_bytes() == second.read_bytes() == b"new"


async def test_planted_symlinks_are_never_followed(
    tmp_path: Path, sandbox: SandboxServer, service: MailService
) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "target.txt"
    target.write_bytes(b"precious")
    (downloads / "link.txt").symlink_to(target)
    (downloads / "dangling.txt").symlink_to(outside / "created-through-link.txt")
    for name in ("link.txt", "dangling.txt"):
        message_id, attachment = await deliver_and_fetch(sandbox, service, name, b"evil")
        saved = await service.save_attachment(message_id, attachment, downloads)
        assert saved.name == name.replace(".txt", " (1).txt")
        assert not saved.is_symlink() and saved.read_bytes() == b"evil"
    assert target.read_bytes() == b"precious"
    assert not (outside / "created-through-link.txt").exists()
    assert os.readlink(downloads / "link.txt") == str(target)
    assert sorted(p.name for p in outside.iterdir()) == ["target.txt"]


# -- bodies that stall, fall short or run long ----------------------------------------------


@pytest.fixture
def api() -> Iterator[FakeApi]:
    """A scripted API for downloads."""
    with FakeApi("files@inbox.test") as fake:
        yield fake


def fake_service(api: FakeApi, tmp_path: Path) -> MailService:
    """The real service against the scripted API, retrying nothing."""
    client = TempMailClient(KEY, base_url=api.base_url, timeout=5, retries=0)
    return MailService(client, Store.open(tmp_path / "store.sqlite3"), HtmlRenderer())


def declared(api: FakeApi, name: str, size: int) -> Attachment:
    """An attachment entry as the message announced it."""
    url = f"{api.base_url}/messages/m1/attachments/{name}"
    return Attachment(name=name, extension=name.rpartition(".")[2], size=size, url=url)


async def test_nothing_appears_under_the_final_name_until_complete(
    api: FakeApi, tmp_path: Path
) -> None:
    data = bytes(range(256)) * 1024  # 256 KiB
    half_sent, release = threading.Event(), threading.Event()

    async def half_then_wait(request: RawRequest, conn: RawConnection) -> None:
        await conn.send(http_response(200, data, content_length=len(data))[: -len(data) // 2])
        half_sent.set()
        await conn.wait_for(release)
        await conn.send(data[len(data) - len(data) // 2 :])

    api.download = half_then_wait
    downloads = tmp_path / "downloads"
    outside = tmp_path / "target.txt"
    outside.write_bytes(b"precious")
    written: list[int] = []
    service = fake_service(api, tmp_path)
    try:
        task = asyncio.create_task(
            service.save_attachment(
                "m1",
                declared(api, "race.txt", len(data)),
                downloads,
                lambda done, total: written.append(done),
            )
        )
        for _ in range(500):
            if written and written[-1] >= len(data) // 2:
                break
            await asyncio.sleep(0.01)
        assert half_sent.is_set() and written and written[-1] >= len(data) // 2
        # Mid-download: only a hidden temporary file, nothing under the final name.
        present = os.listdir(downloads)
        assert present and all(
            p.startswith(".tempmail-") and p.endswith(".partial") for p in present
        )
        assert not (downloads / "race.txt").exists()
        # A symlink planted under the final name meanwhile is not followed either.
        (downloads / "race.txt").symlink_to(outside)
        release.set()
        saved = await asyncio.wait_for(task, 15)
    finally:
        release.set()
        await service.aclose()
        service.store.close()
    assert saved.name == "race (1).txt" and saved.read_bytes() == data
    assert outside.read_bytes() == b"precious"
    assert sorted(os.listdir(downloads)) == ["race (1).txt", "race.txt"]


def _answer(body: bytes, *, length: int | None, then: str = "close") -> object:
    async def handler(request: RawRequest, conn: RawConnection) -> None:
        if length is None:
            head = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
            await conn.send(head + body)
        else:
            await conn.send(http_response(200, body, content_length=length))
        if then == "reset":
            await conn.reset()

    return handler


SIZE_CASES = [
    # (declared size, body sent, Content-Length sent, how the connection ends, error)
    pytest.param(100, b"x" * 50, 50, "close", SizeMismatchError, id="short"),
    pytest.param(10, b"x" * 20, 20, "close", SizeMismatchError, id="long"),
    pytest.param(100, b"x" * 150, None, "close", SizeMismatchError, id="long-without-length"),
    pytest.param(100, b"x" * 99, None, "close", SizeMismatchError, id="short-without-length"),
    pytest.param(100, b"x" * 50, 100, "close", ApiError, id="cut-before-its-length"),
    pytest.param(100, b"x" * 50, 100, "reset", ApiError, id="reset-before-its-length"),
    pytest.param(100, b"x" * 200, 100, "close", None, id="more-than-its-length"),
]


@pytest.mark.parametrize(("declared_size", "body", "length", "then", "error"), SIZE_CASES)
async def test_size_is_checked_and_nothing_is_left(
    api: FakeApi,
    tmp_path: Path,
    declared_size: int,
    body: bytes,
    length: int | None,
    then: str,
    error: type[Exception] | None,
) -> None:
    api.download = _answer(body, length=length, then=then)  # type: ignore[assignment]
    downloads = tmp_path / "downloads"
    service = fake_service(api, tmp_path)
    try:
        if error is None:
            # The body is read to its Content-Length and matches the declared size.
            saved = await service.save_attachment(
                "m1", declared(api, "f.bin", declared_size), downloads
            )
            assert saved.read_bytes() == body[:declared_size]
            return
        with pytest.raises((SaveFileError, ApiError)) as raised:
            await service.save_attachment("m1", declared(api, "f.bin", declared_size), downloads)
    finally:
        await service.aclose()
        service.store.close()
    assert isinstance(raised.value, error), raised.value
    assert str(raised.value)
    if isinstance(raised.value, SizeMismatchError):
        assert str(declared_size) in str(raised.value)
    assert os.listdir(downloads) == []


async def test_the_app_reports_a_short_download_and_saves_nothing(
    api: FakeApi, tmp_path: Path
) -> None:
    api.messages = [
        message_json(
            "m1",
            to=api.email,
            subject="invoice",
            attachments=[dataclasses.asdict(declared(api, "f.bin", 100))],
        )
    ]
    api.download = _answer(b"x" * 50, length=50)  # type: ignore[assignment]
    app = app_for_server(api.base_url, KEY, tmp_path, mailboxes=[api.email])
    async with app.run_test(size=SIZE) as pilot:
        seen = record_toasts(app)
        await wait(pilot, lambda: table(app).row_count == 1, what="the mail")
        await open_row(app, pilot, 0)
        await pilot.press("s")
        await wait(pilot, lambda: isinstance(app.screen, SaveDialog), what="save dialog")
        await pilot.press("enter")
        await wait(pilot, lambda: any("Saving f.bin failed" in t for t in seen), what="error")
        message = next(t for t in seen if "Saving f.bin failed" in t)
        assert "expected 100 bytes but received 50" in message, message
        assert app.is_running
    downloads = tmp_path / "downloads"
    assert not downloads.exists() or os.listdir(downloads) == []


async def test_the_app_saves_hostile_names_inside_the_download_dir(
    api: FakeApi, tmp_path: Path
) -> None:
    names = [name for name, _ in HOSTILE_NAMES if name not in ("", ".", "..")]
    api.messages = [
        message_json(
            "m1",
            to=api.email,
            subject="many files",
            attachments=[
                api.attachment("m1", name, name.encode("utf-8", "replace")) for name in names
            ],
        )
    ]
    app = app_for_server(api.base_url, KEY, tmp_path, mailboxes=[api.email])
    downloads = tmp_path / "downloads"
    async with app.run_test(size=SIZE) as pilot:
        await wait(pilot, lambda: table(app).row_count == 1, what="the mail")
        await open_row(app, pilot, 0)
        await pilot.press("s")
        await wait(pilot, lambda: isinstance(app.screen, SaveDialog), what="save dialog")
        await pilot.press("enter")  # "All N attachments"
        await wait(
            pilot,
            lambda: downloads.is_dir() and len(os.listdir(downloads)) == len(names),
            what="every file saved",
        )
    expected = {e for n, e in HOSTILE_NAMES if n in names}
    assert set(os.listdir(downloads)) == expected
    assert {p.read_bytes() for p in downloads.iterdir()} == {
        n.encode("utf-8", "replace") for n in names
    }
    assert files_under(tmp_path) - files_under(downloads) - {downloads} <= {
        p for p in files_under(tmp_path) if "store" in p.name
    }
