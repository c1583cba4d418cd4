"""Empty, null, mistyped, huge and binary fields: the app shows the mail or says why, and lives."""

from __future__ import annotations

import json
import smtplib
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.app import TempMailApp
from tempmail_tui.ui.widgets.message_table import MessageTable

from ..app_helpers import make_app
from .helpers import (
    SIZE,
    FakeApi,
    all_rows,
    app_for_server,
    create_box,
    has_forbidden,
    message_json,
    open_row,
    open_subject,
    reader,
    reader_part,
    record_toasts,
    sidebar,
    table,
    wait,
)

EMAIL = "victim@inbox.test"
KEY = "tmk_fields_key_0123456789abcdef"
HUGE = "A" * 100_000


async def poll_once(app: TempMailApp, pilot: Pilot[Any], api: FakeApi) -> None:
    """Press `g` once the box is idle and wait for that poll's answer to be handled."""
    await wait(pilot, lambda: not app.scheduler.in_flight, what="idle scheduler")
    before = api.polls
    await pilot.press("R")
    await wait(pilot, lambda: api.polls > before, what="the poll to reach the server")
    await wait(pilot, lambda: not app.scheduler.in_flight, what="the poll to be handled")
    await pilot.pause(0.05)


def good_messages() -> list[dict[str, Any]]:
    """Two ordinary messages."""
    return [
        message_json("good-1", to=EMAIL, subject="First", received_at="2026-06-28 10:00:00"),
        message_json("good-2", to=EMAIL, subject="Second", received_at="2026-06-28 10:01:00"),
    ]


# Fields a real mail may lack or carry oddly: the message is shown anyway.
ACCEPTED: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "nulls",
        {"subject": None, "sender": None, "from_email": None, "content": None, "attachments": None},
        "(no subject)",
        "(unknown)",
    ),
    (
        "empty strings",
        {"subject": "", "sender": "", "from_email": "", "content": ""},
        "(no subject)",
        "(unknown)",
    ),
    (
        "100k characters",
        {"subject": HUGE, "sender": HUGE, "content": HUGE},
        "A" * 299 + "…",
        "A" * 119 + "…",
    ),
    (
        "lone surrogates",
        {"subject": "bad \ud800 half", "sender": "x\udfffy"},
        "bad \ufffd half",
        "x\ufffdy",
    ),
    (
        "NUL and controls",
        {"subject": "a\x00b\x07c\x1b[31md", "content": "x\x00y"},
        "abcd",
        "Sender",
    ),
]


def _variant(name: str, fields: dict[str, Any]) -> dict[str, Any]:
    base = message_json(f"odd-{name}", to=EMAIL, received_at="2026-06-28 12:00:00")
    mapping = {"sender": "from"}
    for key, value in fields.items():
        base[mapping.get(key, key)] = value
    return base


def _listing(*messages: object, **top: object) -> bytes:
    return json.dumps(
        {"status": True, "mailbox": EMAIL, "messages": list(messages), **top}
    ).encode()


def _bad(**fields: object) -> bytes:
    return _listing(*good_messages(), {**message_json("bad", to=EMAIL), **fields})


# One message that cannot be read: the good ones show, and a warning row stands for it.
UNREADABLE: list[tuple[str, bytes]] = [
    ("subject is a number", _bad(subject=123)),
    ("subject is an object", _bad(subject={"a": 1})),
    ("html is a string", _bad(html="yes")),
    ("id is null", _bad(id=None)),
    ("id is a number", _bad(id=5)),
    ("receivedAt is garbage", _bad(receivedAt="yesterday")),
    ("receivedAt is null", _bad(receivedAt=None)),
    ("attachments is a string", _bad(attachments="x")),
    ("attachment size is negative", _bad(attachments=[{"name": "a", "size": -1, "url": "u"}])),
    ("attachment size is a string", _bad(attachments=[{"name": "a", "size": "big", "url": "u"}])),
    ("attachment name is null", _bad(attachments=[{"name": None, "size": 1, "url": "u"}])),
]

# Answers that cannot be read as a listing: an error is shown and the old list stays.
REFUSED: list[tuple[str, bytes]] = [
    ("messages is a string", _listing(messages="nope")),
    ("messages is null", json.dumps({"status": True, "messages": None}).encode()),
    ("status false", b'{"status": false, "message": "Nope \\u001b]52;c;eA==\\u0007"}'),
    ("status is a string", b'{"status": "true", "messages": []}'),
    ("binary garbage", b"\xff\xfe\x00\x9b31m garbage \xc3\x28"),
    ("a JSON array", b"[1, 2, 3]"),
    ("JSON null", b"null"),
    ("whitespace only", b"   \r\n"),
    ("truncated JSON", _listing(*good_messages())[:-7]),
    ("HTML error page", b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000),
    ("NaN number", b'{"status": true, "messages": [], "x": NaN}'),
]


@pytest.mark.slow
async def test_hostile_json_fields_through_the_app(tmp_path: Path) -> None:
    with FakeApi(EMAIL) as api:
        api.messages = good_messages()
        app = app_for_server(api.base_url, KEY, tmp_path, mailboxes=[EMAIL])
        async with app.run_test(size=SIZE) as pilot:
            seen_toasts = record_toasts(app)
            await wait(pilot, lambda: table(app).row_count == 2, what="the good listing")

            for index, (name, fields, subject, sender) in enumerate(ACCEPTED, start=1):
                api.messages = [*good_messages(), _variant(name, fields)]
                await poll_once(app, pilot, api)
                assert app.main.problem is None, (name, app.main.problem)
                rows = {cells[0] + cells[2]: cells for cells in all_rows(app)}
                assert table(app).row_count == 2 + index, name
                match = [cells for cells in rows.values() if cells[2] == subject]
                assert match, (name, list(rows))
                assert match[0][1] == sender, name
                assert not any(has_forbidden(cell) for cells in rows.values() for cell in cells)

            # The 100,000-character mail opens in full and cleanly.
            await open_subject(app, pilot, "A" * 299 + "…")
            assert reader_part(app, "body") == HUGE
            assert "A" * 900 in reader_part(app, "headers")

            last_good = all_rows(app)
            for name, raw in REFUSED:
                api.listing_body = raw
                await poll_once(app, pilot, api)
                problem = app.main.problem
                assert problem is not None and f"Checking {EMAIL} failed" in problem, name
                assert not has_forbidden(problem), name
                assert all_rows(app) == last_good, name
                assert app.is_running, name
                api.listing_body = None
                await poll_once(app, pilot, api)
                assert app.main.problem is None, name

            for name, raw in UNREADABLE:
                api.listing_body = raw
                await poll_once(app, pilot, api)
                assert app.main.problem is None, (name, app.main.problem)
                rows = all_rows(app)
                marked = [r for r in rows if r[2].startswith("could not read this message: ")]
                assert len(marked) == 1, (name, rows)
                assert not any(has_forbidden(cell) for cells in rows for cell in cells), name
                assert [r for r in rows if r not in marked] == last_good, name
                api.listing_body = None
                await poll_once(app, pilot, api)
                assert all_rows(app) == last_good, name

            # A hostile answer to the read shows the stored copy, with a notice.
            api.read_body = json.dumps({"status": True, "data": {"id": 7}}).encode()
            await open_subject(app, pilot, "First")
            assert reader_part(app, "body") == "Body"
            await wait(pilot, lambda: any("showing the stored copy" in t for t in seen_toasts))
            assert app.is_running


@pytest.mark.parametrize("address", ["[link=file:]x@inbox.test", "[@click=app.quit]Win@inbox.test"])
async def test_hostile_mailbox_address_from_the_server(address: str, tmp_path: Path) -> None:
    with FakeApi(address) as api:
        api.messages = [message_json("m1", to=address, subject="Hello")]
        app = app_for_server(api.base_url, KEY, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await wait(pilot, lambda: app.service is not None, what="service")
            await pilot.press("n")
            await wait(pilot, lambda: sidebar(app).selected_email == address, what="new box")
            await wait(pilot, lambda: table(app).row_count == 1, what="its mail", timeout=5)
            title = table(app).border_title or ""
            assert address in title.replace("\\[", "["), title
            await pilot.click(MessageTable, offset=(16, 0))  # on the address in the title
            await pilot.pause(0.3)
            assert app.is_running


BINARY_MAIL = (
    b"From: Evil <evil@example.org>\r\n"
    b"Subject: Bin \xc3\x28 \xff subject \x9b31m =?utf-8?b?/////w==?=\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="XX"\r\n'
    b"\r\n"
    b"--XX\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Body \xff\xfe\x00 bytes \xc3\x28 \x1b]52;c;cHduZWQ=\x07 end\r\n"
    b"--XX\r\n"
    b"Content-Type: application/octet-stream\r\n"
    b'Content-Disposition: attachment; filename="bin\xff\xfe\x1b[2J.dat"\r\n'
    b"\r\n"
    b"\x00\x01\x02\xff\r\n"
    b"--XX--\r\n"
)
UNKNOWN_CHARSET_MAIL = (
    b"From: someone@example.org\r\n"
    b"Subject: =?x-evil?b?/////w==?=\r\n"
    b"Content-Type: text/html; charset=x-evil\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"PHA+SGVsbG8g/////yB3b3JsZDwvcD4=\r\n"
)
EIGHT_BIT_FROM_MAIL = b"From: \xff\xfeEvil <evil@example.org>\r\nSubject: s\r\n\r\nbody\r\n"


async def _smtp_session(
    sandbox: SandboxServer, tmp_path: Path, *mails: bytes, timeout: float = 15.0
) -> tuple[TempMailApp, list[list[str]], list[str]]:
    """Send raw mails over SMTP, then poll and open each: the rows and bodies the app shows."""
    app = make_app(sandbox, tmp_path, poll_interval=60, background_interval=600)
    async with app.run_test(size=SIZE) as pilot:
        email = await create_box(app, pilot)
        assert sandbox.smtp_port is not None
        with smtplib.SMTP(sandbox.smtp_host, sandbox.smtp_port, timeout=10) as smtp:
            for raw in mails:
                smtp.sendmail("evil@example.org", [email], raw)
        await pilot.press("R")
        await wait(
            pilot, lambda: table(app).row_count == len(mails), what="the mails", timeout=timeout
        )
        rows = all_rows(app)
        bodies = []
        for cells in rows:
            await open_subject(app, pilot, cells[2])
            shown = reader_part(app, "headers") + reader_part(app, "attachments")
            assert not has_forbidden(shown + reader_part(app, "body"))
            bodies.append(reader_part(app, "body"))
        assert app.is_running and app.main.problem is None, app.main.problem
    return app, rows, bodies


@pytest.mark.slow
async def test_binary_fields_over_smtp(sandbox: SandboxServer, tmp_path: Path) -> None:
    _, rows, bodies = await _smtp_session(sandbox, tmp_path, BINARY_MAIL, UNKNOWN_CHARSET_MAIL)
    for cells in rows:
        assert not any(has_forbidden(cell) for cell in cells), cells
    subjects = [cells[2] for cells in rows]
    assert any(s.startswith("Bin ") and "subject" in s for s in subjects), subjects
    assert any(b.startswith("Body ") and b.endswith(" end") for b in bodies), bodies
    assert any("Hello" in b and "world" in b for b in bodies), bodies


async def test_eight_bit_from_header_over_smtp(sandbox: SandboxServer, tmp_path: Path) -> None:
    _, rows, _ = await _smtp_session(sandbox, tmp_path, EIGHT_BIT_FROM_MAIL, timeout=4)
    assert rows[0][1].endswith("Evil")


async def test_same_second_mail_keeps_its_place_when_opened(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(sandbox, tmp_path, poll_interval=60, background_interval=600)
    async with app.run_test(size=SIZE) as pilot:
        email = await create_box(app, pilot)
        # A sender can make two mails land in the same second on purpose.
        moment = sandbox.state.now()
        sandbox.state.deliver(email, subject="Keep me", received_at=moment)
        sandbox.state.deliver(email, subject="Delete me", received_at=moment)
        await pilot.press("R")
        await wait(pilot, lambda: table(app).row_count == 2, what="both mails")
        before = [cells[2] for cells in all_rows(app)]
        await open_row(app, pilot, 0)
        opened = reader(app).message
        assert opened is not None
        await pilot.pause(0.3)
        assert [cells[2] for cells in all_rows(app)] == before
        assert table(app).current_id == opened.id
