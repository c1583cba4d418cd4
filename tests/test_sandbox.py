"""Tests of the embedded sandbox server, over real loopback HTTP and SMTP."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import signal
import smtplib
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tempmail_tui.sandbox.errors import SandboxError
from tempmail_tui.sandbox.faults import Faults
from tempmail_tui.sandbox.mime import parse_mime
from tempmail_tui.sandbox.samples import NOTES_TXT, SAMPLE_KINDS, sample_png
from tempmail_tui.sandbox.server import SandboxServer, mask_key, populate_demo
from tempmail_tui.sandbox.state import first_of_next_month

from .api_examples import (
    DELETE_MAILBOX_EXAMPLE,
    DELETE_MESSAGE_EXAMPLE,
    DOMAINS_EXAMPLE,
    ERROR_EXAMPLE,
    MAILBOX_EXAMPLE,
    MESSAGES_EXAMPLE,
    READ_EXAMPLE,
)

ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")
RECEIVED_AT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
QUOTA_HEADERS = (
    "X-RateLimit-Limit",
    "X-RateLimit-Used",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
)


def assert_same_shape(actual: Any, example: Any, where: str = "$") -> None:
    """Same keys and same JSON types as the example, recursively (lists against item 0)."""
    if isinstance(example, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        assert set(actual) == set(example), f"{where}: keys {sorted(actual)} != {sorted(example)}"
        for name, value in example.items():
            assert_same_shape(actual[name], value, f"{where}.{name}")
    elif isinstance(example, list):
        assert isinstance(actual, list), f"{where}: expected a list, got {actual!r}"
        for index, item in enumerate(actual):
            assert_same_shape(item, example[0], f"{where}[{index}]")
    else:
        # type(...) is, not isinstance: a bool must not pass for an int.
        assert type(actual) is type(example), f"{where}: {actual!r} is not a {type(example)}"


def assert_error(response: httpx.Response, status: int) -> None:
    """The response has this status and the documented error envelope."""
    assert response.status_code == status, response.text
    assert_same_shape(response.json(), ERROR_EXAMPLE)
    assert response.json()["status"] is False
    assert response.json()["message"]


def quota_of(response: httpx.Response) -> tuple[int, int, int]:
    """Limit, used and remaining from the quota headers."""
    h = response.headers
    return (
        int(h["X-RateLimit-Limit"]),
        int(h["X-RateLimit-Used"]),
        int(h["X-RateLimit-Remaining"]),
    )


def client_for(server: SandboxServer, key: str | None = None) -> httpx.Client:
    """A plain httpx client on the sandbox's /api with a bearer key."""
    key = server.api_key if key is None else key
    return httpx.Client(
        base_url=server.base_url,
        headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
        timeout=10,
    )


def control(server: SandboxServer, path: str, body: object = None, key: str | None = None) -> Any:
    """POST to a /_sandbox control endpoint and return the response."""
    key = server.api_key if key is None else key
    return httpx.post(
        f"{server.control_url}/{path}",
        json=body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )


def new_key() -> str:
    """A fresh API key for an isolated account on a shared server."""
    return "sbx_test_" + secrets.token_hex(8)


def make_mime(to: str) -> tuple[EmailMessage, bytes]:
    """A multipart mail (text + HTML + a binary attachment) and the attachment's bytes."""
    blob = bytes(range(256)) * 20 + b"\r\n\x00end"
    msg = EmailMessage()
    msg["From"] = "Zoë Sender <zoe@example.org>"
    msg["To"] = to
    msg["Subject"] = "=?utf-8?q?R=C3=A9sum=C3=A9_attached?="
    msg.set_content("Plain body of the mail.\n")
    msg.add_alternative("<p>HTML <b>body</b> of the mail.</p>\n", subtype="html")
    msg.add_attachment(blob, maintype="application", subtype="pdf", filename="cv 2026.pdf")
    return msg, blob


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    """One sandbox for the tests that change no global knob (each uses its own account)."""
    with SandboxServer() as running:
        yield running


@pytest.fixture(scope="module")
def owner_api(server: SandboxServer) -> Iterator[httpx.Client]:
    """A client for the shared server's default key."""
    with client_for(server) as client:
        yield client


@pytest.fixture
def fresh() -> Iterator[SandboxServer]:
    """A sandbox of its own, for tests that change faults, the clock or the default quota."""
    with SandboxServer() as running:
        yield running


@pytest.fixture
def key(server: SandboxServer) -> str:
    """A fresh free account on the shared server."""
    account_key = new_key()
    server.state.add_account(account_key)
    return account_key


@pytest.fixture
def api(server: SandboxServer, key: str) -> Iterator[httpx.Client]:
    """A client for the fresh account."""
    with client_for(server, key) as client:
        yield client


# -- domains --------------------------------------------------------------------------------


def test_domains_free_plan_matches_example(api: httpx.Client) -> None:
    r = api.get("/domains", params={"type": "free"})
    assert r.status_code == 200
    body = r.json()
    assert_same_shape(body, DOMAINS_EXAMPLE)
    assert body["data"]["requested_type"] == "free"
    assert body["data"]["allowed_types"] == ["free"]
    names = [d["domain"] for d in body["data"]["domains"]]
    assert names == ["inbox.test", "tempbox.test", "mailsink.test"]
    assert {d["type"] for d in body["data"]["domains"]} == {"Free"}
    assert [d["custom"] for d in body["data"]["domains"]] == [False, False, True]


@pytest.mark.parametrize("kind", ["premium", "all"])
def test_domains_free_plan_refused_premium_and_all(api: httpx.Client, kind: str) -> None:
    assert_error(api.get("/domains", params={"type": kind}), 403)


def test_domains_premium_plan(server: SandboxServer) -> None:
    key = new_key()
    server.state.add_account(key, plan="premium")
    with client_for(server, key) as api:
        premium = api.get("/domains", params={"type": "premium"}).json()["data"]
        every = api.get("/domains", params={"type": "all"}).json()["data"]
    assert premium["allowed_types"] == ["free", "premium", "all"]
    assert premium["domains"] == [{"domain": "vip.test", "type": "Premium", "custom": False}]
    assert len(every["domains"]) == 4
    assert every["requested_type"] == "all"


def test_domains_unknown_type_is_422(api: httpx.Client) -> None:
    assert_error(api.get("/domains", params={"type": "gold"}), 422)


# -- mailboxes --------------------------------------------------------------------------------


def test_create_mailbox_matches_example(api: httpx.Client) -> None:
    r = api.post("/emails")
    assert r.status_code == 200
    body = r.json()
    assert_same_shape(body, MAILBOX_EXAMPLE)
    data = body["data"]
    user, _, domain = data["email"].partition("@")
    assert domain == data["domain"] and domain in ("inbox.test", "tempbox.test", "mailsink.test")
    assert re.fullmatch(r"[a-z0-9._-]+", user)
    assert ISO_UTC.fullmatch(data["created_at"]) and ISO_UTC.fullmatch(data["expire_at"])
    created = datetime.fromisoformat(data["created_at"])
    expire = datetime.fromisoformat(data["expire_at"])
    assert expire - created == timedelta(seconds=600)
    assert data["expires_in_seconds"] == 600
    assert len(data["email_token"]) >= 20
    second = api.post("/emails").json()["data"]
    assert second["id"] != data["id"] and second["email"] != data["email"]
    assert second["email_token"] != data["email_token"]


def test_rename_gives_new_id_and_address_and_keeps_mail(
    server: SandboxServer, api: httpx.Client
) -> None:
    old = api.post("/emails").json()["data"]
    sample = server.state.add_sample(old["email"], "plain")
    name = "renamed." + secrets.token_hex(3)
    # The "@" arrives percent-encoded, as a client that encodes each segment sends it.
    r = api.post(f"/emails/{quote(old['email'], safe='')}/{name}/inbox.test")
    assert r.status_code == 200, r.text
    assert_same_shape(r.json(), MAILBOX_EXAMPLE)
    new = r.json()["data"]
    assert new["email"] == f"{name}@inbox.test"
    assert new["id"] != old["id"]
    assert new["email_token"] != old["email_token"]
    assert (new["created_at"], new["expire_at"]) == (old["created_at"], old["expire_at"])
    listed = api.get("/messages", params={"email": new["email"]}).json()
    assert [m["id"] for m in listed["messages"]] == [sample.id]
    assert_error(api.get("/messages", params={"email": old["email"]}), 404)
    assert_error(api.delete(f"/emails/{old['email']}"), 404)


def test_rename_with_literal_at_sign(api: httpx.Client) -> None:
    old = api.post("/emails").json()["data"]
    name = "plain-at-" + secrets.token_hex(3)
    r = api.post(f"/emails/{old['email']}/{name}/tempbox.test")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["email"] == f"{name}@tempbox.test"


@pytest.mark.parametrize(
    "username",
    [
        ".dot-first",
        "dot-last.",
        "has space",
        "slash/inside",
        "x" * 65,
        "ümlaut",
        "a+b",
        "a@b",
        "new\nline",
        "?q",
    ],
)
def test_rename_invalid_username_is_422(api: httpx.Client, username: str) -> None:
    old = api.post("/emails").json()["data"]["email"]
    r = api.post(f"/emails/{quote(old, safe='')}/{quote(username, safe='')}/inbox.test")
    assert_error(r, 422)


def test_rename_accepts_mixed_case_and_edge_characters(api: httpx.Client) -> None:
    old = api.post("/emails").json()["data"]["email"]
    name = "Mixed_Case-" + secrets.token_hex(2) + ".ok"
    r = api.post(f"/emails/{old}/{name}/inbox.test")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["email"] == f"{name.lower()}@inbox.test"


def test_rename_refusals(server: SandboxServer, api: httpx.Client) -> None:
    first = api.post("/emails").json()["data"]["email"]
    second = api.post("/emails").json()["data"]["email"]
    taken_user, _, taken_domain = second.partition("@")
    assert_error(api.post(f"/emails/{first}/fine/nowhere.test"), 422)
    assert_error(api.post(f"/emails/{first}/{taken_user}/{taken_domain}"), 422)
    assert_error(api.post(f"/emails/{first}/vipname/vip.test"), 403)
    assert_error(api.post("/emails/nobody@inbox.test/fine/inbox.test"), 404)
    # Someone else's mailbox is as invisible as a missing one.
    others = server.state.create_mailbox().email
    assert_error(api.post(f"/emails/{others}/mine{secrets.token_hex(2)}/inbox.test"), 404)


def test_premium_account_renames_onto_premium_domain(server: SandboxServer) -> None:
    key = new_key()
    server.state.add_account(key, plan="premium")
    with client_for(server, key) as api:
        old = api.post("/emails").json()["data"]["email"]
        name = "vip" + secrets.token_hex(3)
        r = api.post(f"/emails/{old}/{name}/vip.test")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["domain"] == "vip.test"


def test_delete_mailbox(server: SandboxServer, api: httpx.Client) -> None:
    email = api.post("/emails").json()["data"]["email"]
    message = server.state.add_sample(email, "plain")
    r = api.delete(f"/emails/{quote(email, safe='')}")
    assert r.status_code == 200
    assert r.json() == DELETE_MAILBOX_EXAMPLE
    assert_error(api.get("/messages", params={"email": email}), 404)
    assert_error(api.get(f"/messages/{message.id}"), 404)
    assert_error(api.delete(f"/emails/{email}"), 404)


# -- messages ---------------------------------------------------------------------------------


def test_list_messages_matches_example(server: SandboxServer, api: httpx.Client) -> None:
    email = api.post("/emails").json()["data"]["email"]
    server.state.add_sample(email, "attachment")
    server.state.add_sample(email, "newsletter")
    r = api.get("/messages", params={"email": email})
    assert r.status_code == 200
    body = r.json()
    assert_same_shape(body, MESSAGES_EXAMPLE)
    assert body["mailbox"] == email
    assert len(body["messages"]) == 2
    # Newest first.
    newsletter, with_files = body["messages"]
    assert newsletter["html"] is True and "<table" in newsletter["content"]
    assert with_files["html"] is False
    for message in body["messages"]:
        assert re.fullmatch(r"[A-Za-z0-9]{46}", message["id"])
        assert RECEIVED_AT.fullmatch(message["receivedAt"])
        assert message["to"] == email
        assert message["is_seen"] is False
    assert newsletter["from"] == "The Weekly Byte"
    assert newsletter["from_email"] == "newsletter@news.example.com"
    attachments = {a["name"]: a for a in with_files["attachments"]}
    assert set(attachments) == {"notes.txt", "chart.png"}
    assert attachments["notes.txt"]["extension"] == "txt"
    assert attachments["notes.txt"]["size"] == len(NOTES_TXT.encode())
    assert attachments["chart.png"]["size"] == len(sample_png())
    assert attachments["chart.png"]["url"] == (
        f"{server.base_url}/messages/{with_files['id']}/attachments/chart.png"
    )


def test_list_messages_requires_email(api: httpx.Client) -> None:
    assert_error(api.get("/messages"), 422)
    assert_error(api.get("/messages", params={"email": ""}), 422)


def test_list_unknown_mailbox_is_404(api: httpx.Client) -> None:
    assert_error(api.get("/messages", params={"email": "ghost@inbox.test"}), 404)


def test_reading_marks_seen(server: SandboxServer, api: httpx.Client) -> None:
    email = api.post("/emails").json()["data"]["email"]
    first = server.state.add_sample(email, "plain")
    second = server.state.add_sample(email, "verification")
    r = api.get(f"/messages/{first.id}")
    assert r.status_code == 200
    assert_same_shape(r.json(), READ_EXAMPLE)
    assert r.json()["data"]["is_seen"] is True
    assert r.json()["data"]["content"] == first.content
    seen = {m["id"]: m["is_seen"] for m in api.get(f"/messages?email={email}").json()["messages"]}
    assert seen == {first.id: True, second.id: False}


def test_delete_message(server: SandboxServer, api: httpx.Client) -> None:
    email = api.post("/emails").json()["data"]["email"]
    doomed = server.state.add_sample(email, "plain")
    kept = server.state.add_sample(email, "newsletter")
    r = api.delete(f"/messages/{doomed.id}")
    assert r.status_code == 200
    assert r.json() == DELETE_MESSAGE_EXAMPLE
    ids = [m["id"] for m in api.get("/messages", params={"email": email}).json()["messages"]]
    assert ids == [kept.id]
    assert_error(api.get(f"/messages/{doomed.id}"), 404)
    assert_error(api.delete(f"/messages/{doomed.id}"), 404)


def test_attachments_download_byte_identical(server: SandboxServer, api: httpx.Client) -> None:
    email = api.post("/emails").json()["data"]["email"]
    message = server.state.add_sample(email, "attachment")
    listed = api.get("/messages", params={"email": email}).json()["messages"][0]
    urls = {a["name"]: a["url"] for a in listed["attachments"]}
    png = api.get(urls["chart.png"])
    assert png.status_code == 200
    assert png.content == sample_png()
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n") and 2_000 < len(png.content) < 20_000
    assert png.headers["content-type"] == "image/png"
    text = api.get(urls["notes.txt"])
    assert text.content == NOTES_TXT.encode()
    assert_error(api.get(f"/messages/{message.id}/attachments/missing.txt"), 404)


def test_attachment_name_with_reserved_characters(server: SandboxServer, api: httpx.Client) -> None:
    email = api.post("/emails").json()["data"]["email"]
    name = "../report 50%/final#1?.txt"
    server.state.deliver(email, subject="odd", text="see file", attachments=[(name, b"payload")])
    listed = api.get("/messages", params={"email": email}).json()["messages"][0]
    url = listed["attachments"][0]["url"]
    assert url.endswith("/attachments/" + quote(name, safe=""))
    assert listed["attachments"][0]["name"] == name
    assert api.get(url).content == b"payload"


def test_other_keys_see_404(server: SandboxServer, api: httpx.Client) -> None:
    email = api.post("/emails").json()["data"]["email"]
    message = server.state.add_sample(email, "attachment")
    with client_for(server, server.api_key) as stranger:
        assert_error(stranger.get("/messages", params={"email": email}), 404)
        assert_error(stranger.get(f"/messages/{message.id}"), 404)
        assert_error(stranger.get(f"/messages/{message.id}/attachments/notes.txt"), 404)
        assert_error(stranger.delete(f"/messages/{message.id}"), 404)
        assert_error(stranger.delete(f"/emails/{email}"), 404)
    # The owner still has everything, unseen.
    listed = api.get("/messages", params={"email": email}).json()["messages"]
    assert [(m["id"], m["is_seen"]) for m in listed] == [(message.id, False)]


# -- auth and quota -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-key"}, {"Authorization": "Basic Zm9vOmJhcg=="}],
    ids=["missing", "wrong", "not-bearer"],
)
def test_bad_or_missing_key_is_401(server: SandboxServer, headers: dict[str, str]) -> None:
    r = httpx.get(f"{server.base_url}/domains?type=free", headers=headers)
    assert_error(r, 401)
    assert not any(h in r.headers for h in QUOTA_HEADERS)


def test_quota_headers_move_only_on_2xx(server: SandboxServer, api: httpx.Client) -> None:
    first = api.get("/domains", params={"type": "free"})
    assert all(h in first.headers for h in QUOTA_HEADERS)
    limit, used, remaining = quota_of(first)
    assert (limit, used, remaining) == (50_000, 1, 49_999)
    reset = datetime.fromisoformat(first.headers["X-RateLimit-Reset"])
    assert reset.utcoffset() == timedelta(0)
    assert reset == first_of_next_month(server.state.now())
    assert (reset.day, reset.hour, reset.minute) == (1, 0, 0)
    assert reset > server.state.now()
    for failing, status in [
        (api.get("/domains", params={"type": "premium"}), 403),
        (api.get("/messages", params={"email": "ghost@inbox.test"}), 404),
        (api.get("/domains", params={"type": "gold"}), 422),
    ]:
        assert failing.status_code == status
        assert quota_of(failing) == (50_000, 1, 49_999)
    ok = api.post("/emails")
    assert quota_of(ok) == (50_000, 2, 49_998)


def test_quota_spent_gives_429(server: SandboxServer) -> None:
    key = new_key()
    server.state.add_account(key, quota_limit=3)
    with client_for(server, key) as api:
        email = api.post("/emails").json()["data"]["email"]
        assert quota_of(api.get("/domains", params={"type": "free"})) == (3, 2, 1)
        assert quota_of(api.get("/messages", params={"email": email})) == (3, 3, 0)
        for _ in range(2):
            r = api.get("/domains", params={"type": "free"})
            assert_error(r, 429)
            assert quota_of(r) == (3, 3, 0)
            assert "X-RateLimit-Reset" in r.headers
        server.state.set_quota(key, limit=4)
        assert api.get("/domains", params={"type": "free"}).status_code == 200


def test_quota_resets_when_the_period_ends(fresh: SandboxServer) -> None:
    fresh.state.set_quota(limit=2, used=2, reset_at=fresh.state.now() + timedelta(hours=1))
    with client_for(fresh) as api:
        assert api.get("/domains").status_code == 429
        fresh.state.advance_clock(3601)
        r = api.get("/domains")
    assert r.status_code == 200
    assert quota_of(r) == (2, 1, 1)
    assert datetime.fromisoformat(r.headers["X-RateLimit-Reset"]).day == 1


# -- expiry -------------------------------------------------------------------------------------


def test_expired_mailbox_is_gone(fresh: SandboxServer) -> None:
    with client_for(fresh) as api:
        data = api.post("/emails").json()["data"]
        email = data["email"]
        message = fresh.state.add_sample(email, "plain")
        fresh.state.advance_clock(599)
        assert api.get("/messages", params={"email": email}).status_code == 200
        fresh.state.advance_clock(2)
        assert_error(api.get("/messages", params={"email": email}), 404)
        assert_error(api.get(f"/messages/{message.id}"), 404)
        assert_error(api.delete(f"/emails/{email}"), 404)
        user, _, domain = email.partition("@")
        assert_error(api.post(f"/emails/{email}/{user}x/{domain}"), 404)
        # The address is free again.
        fresh.state.create_mailbox(username=user, domain=domain)
    assert fresh.smtp_port is not None
    with smtplib.SMTP(fresh.smtp_host, fresh.smtp_port) as smtp:
        smtp.sendmail("a@example.org", [email], b"Subject: hi\r\n\r\nhello\r\n")


def test_short_ttl_and_expiry_in_seconds() -> None:
    with SandboxServer(mailbox_ttl=30, smtp_port=None) as small:
        assert small.smtp_port is None
        with client_for(small) as api:
            data = api.post("/emails").json()["data"]
            assert data["expires_in_seconds"] == 30
            small.state.advance_clock(10)
            name = "later" + secrets.token_hex(2)
            renamed = api.post(f"/emails/{data['email']}/{name}/inbox.test").json()["data"]
            assert renamed["expire_at"] == data["expire_at"]
            assert renamed["expires_in_seconds"] == 20
            small.state.advance_clock(21)
            assert_error(api.get("/messages", params={"email": renamed["email"]}), 404)


# -- SMTP -------------------------------------------------------------------------------------


def test_smtp_multipart_mail_arrives(server: SandboxServer, api: httpx.Client) -> None:
    email = api.post("/emails").json()["data"]["email"]
    msg, blob = make_mime(email)
    assert server.smtp_port is not None
    with smtplib.SMTP(server.smtp_host, server.smtp_port) as smtp:
        refused = smtp.send_message(msg)
    assert refused == {}
    listed = api.get("/messages", params={"email": email}).json()
    assert len(listed["messages"]) == 1
    got = listed["messages"][0]
    assert_same_shape(got, MESSAGES_EXAMPLE["messages"][0])
    assert got["subject"] == "Résumé attached"
    assert (got["from"], got["from_email"]) == ("Zoë Sender", "zoe@example.org")
    assert got["html"] is True
    assert got["content"] == "<p>HTML <b>body</b> of the mail.</p>\n"
    assert len(got["attachments"]) == 1
    attachment = got["attachments"][0]
    assert (attachment["name"], attachment["extension"], attachment["size"]) == (
        "cv 2026.pdf",
        "pdf",
        len(blob),
    )
    download = api.get(attachment["url"])
    assert download.status_code == 200
    assert download.content == blob


def test_smtp_plain_text_mail(server: SandboxServer, api: httpx.Client) -> None:
    email = api.post("/emails").json()["data"]["email"]
    raw = (
        f"From: plain@example.org\r\nTo: {email}\r\nSubject: Just text\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nline one\r\nline two\r\n"
    )
    assert server.smtp_port is not None
    with smtplib.SMTP(server.smtp_host, server.smtp_port) as smtp:
        smtp.sendmail("plain@example.org", [email.upper()], raw.encode())
    got = api.get("/messages", params={"email": email}).json()["messages"][0]
    assert (got["html"], got["content"], got["subject"]) == (
        False,
        "line one\nline two\n",
        "Just text",
    )
    assert (got["from"], got["from_email"], got["attachments"]) == ("", "plain@example.org", [])


def test_smtp_refuses_unknown_recipient(server: SandboxServer) -> None:
    assert server.smtp_port is not None
    with (
        smtplib.SMTP(server.smtp_host, server.smtp_port) as smtp,
        pytest.raises(smtplib.SMTPRecipientsRefused) as caught,
    ):
        smtp.sendmail("a@example.org", ["nobody@inbox.test"], b"Subject: x\r\n\r\nx\r\n")
    assert caught.value.recipients["nobody@inbox.test"][0] == 550


def test_smtp_delivers_to_live_and_skips_unknown(server: SandboxServer) -> None:
    live = server.state.create_mailbox().email
    assert server.smtp_port is not None
    with smtplib.SMTP(server.smtp_host, server.smtp_port) as smtp:
        refused = smtp.sendmail(
            "a@example.org", [live, "ghost@tempbox.test"], b"Subject: both\r\n\r\nhi\r\n"
        )
    assert set(refused) == {"ghost@tempbox.test"}
    _, messages = server.state.list_messages(server.api_key, live)
    assert [m.subject for m in messages] == ["both"]


def test_parse_mime_related_inline_image_and_bad_headers() -> None:
    raw = (
        b"From: =?utf-8?b?Sm9zw6k=?= <jose@example.org>\r\n"
        b"Subject: =?iso-8859-1?q?Caf=E9?=\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/related; boundary="b1"\r\n\r\n'
        b'--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<img src="cid:x">\r\n'
        b"--b1\r\nContent-Type: image/gif\r\nContent-ID: <x>\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nR0lGODlhAQABAAAAACw=\r\n--b1--\r\n"
    )
    draft = parse_mime(raw)
    assert (draft.from_name, draft.from_email, draft.subject) == (
        "José",
        "jose@example.org",
        "Café",
    )
    assert draft.html is True
    assert len(draft.attachments) == 1
    assert draft.attachments[0].data == base64.b64decode("R0lGODlhAQABAAAAACw=")
    assert draft.attachments[0].name.endswith(".gif")
    no_from = parse_mime(b"Subject: x\r\n\r\nbody\r\n", envelope_from="env@example.org")
    assert (no_from.from_email, no_from.content, no_from.html) == (
        "env@example.org",
        "body\n",
        False,
    )


# -- faults -----------------------------------------------------------------------------------


def test_fault_latency(fresh: SandboxServer) -> None:
    fresh.state.faults = Faults(latency=0.3)
    with client_for(fresh) as api:
        started = time.monotonic()
        r = api.get("/domains")
        elapsed = time.monotonic() - started
    assert r.status_code == 200
    assert elapsed >= 0.3


def test_fault_error_rate_is_seeded(fresh: SandboxServer) -> None:
    def run() -> list[int]:
        fresh.state.faults = Faults(error_rate=0.5, seed=1234)
        with client_for(fresh) as api:
            return [api.get("/domains").status_code for _ in range(30)]

    first = run()
    assert set(first) == {200, 500}
    assert run() == first
    fresh.state.faults = Faults(error_rate=1.0)
    with client_for(fresh) as api:
        r = api.get("/domains")
    assert_error(r, 500)
    assert all(h in r.headers for h in QUOTA_HEADERS)


def test_fault_force_status_with_count(fresh: SandboxServer) -> None:
    fresh.state.faults = Faults(force_status=503, force_count=2)
    with client_for(fresh) as api:
        statuses = [api.get("/domains").status_code for _ in range(3)]
        assert statuses == [503, 503, 200]
        fresh.state.faults = Faults(force_status=502)
        for _ in range(3):
            assert_error(api.post("/emails"), 502)
    assert fresh.state.quota().used == 1


def test_fault_truncate_body(fresh: SandboxServer) -> None:
    with client_for(fresh) as api:
        whole = api.get("/domains").content
        fresh.state.faults = Faults(truncate_body=True)
        r = api.get("/domains")
    assert r.status_code == 200
    assert r.content == whole[: len(whole) // 2]
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)


def test_fault_non_json(fresh: SandboxServer) -> None:
    fresh.state.faults = Faults(non_json=True)
    with client_for(fresh) as api:
        page = api.get("/domains")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert page.text.lstrip().startswith("<!DOCTYPE html>")
        fresh.state.faults = Faults(non_json=True, force_status=502)
        forced = api.get("/domains")
    assert forced.status_code == 502
    assert "502 Bad Gateway" in forced.text
    with pytest.raises(json.JSONDecodeError):
        forced.json()


def test_fault_omit_quota_headers(fresh: SandboxServer) -> None:
    fresh.state.faults = Faults(omit_quota_headers=True)
    with client_for(fresh) as api:
        ok = api.get("/domains")
        refused = api.get("/domains", params={"type": "all"})
    assert (ok.status_code, refused.status_code) == (200, 403)
    for r in (ok, refused):
        assert not any(h in r.headers for h in QUOTA_HEADERS)
    assert fresh.state.quota().used == 1


def test_faults_spare_control_endpoints(fresh: SandboxServer) -> None:
    fresh.state.faults = Faults(force_status=500, non_json=True, latency=0.0)
    r = control(fresh, "mailboxes", {})
    assert r.status_code == 200
    assert r.json()["data"]["email"]
    r = control(fresh, "faults", {})
    assert r.status_code == 200
    assert fresh.state.faults == Faults()


def test_faults_refuse_out_of_range_values() -> None:
    for bad in ({"latency": -1}, {"error_rate": 1.5}, {"force_status": 42}, {"force_count": 0}):
        with pytest.raises(ValueError):
            Faults(**bad)


def test_faults_set_over_http(fresh: SandboxServer) -> None:
    r = control(fresh, "faults", {"force_status": 418, "force_count": 1, "seed": 7})
    assert r.status_code == 200
    assert r.json()["data"]["force_status"] == 418
    with client_for(fresh) as api:
        assert_error(api.get("/domains"), 418)
        assert api.get("/domains").status_code == 200
    for bad in ({"latency": "slow"}, {"error_rate": 2}, {"bogus": 1}, {"non_json": 1}, [1]):
        assert_error(control(fresh, "faults", bad), 422)


# -- control endpoints ----------------------------------------------------------------------------


def test_control_samples(server: SandboxServer, key: str, api: httpx.Client) -> None:
    email = api.post("/emails").json()["data"]["email"]
    before = quota_of(api.get("/domains"))
    r = control(server, f"mailboxes/{quote(email, safe='')}/samples", {"kind": "verification"}, key)
    assert r.status_code == 200
    assert not any(h in r.headers for h in QUOTA_HEADERS)
    data = r.json()["data"]
    assert re.fullmatch(r"\d{6}", data["code"])
    message = api.get(f"/messages/{data['id']}").json()["data"]
    assert data["code"] in message["content"] and data["code"] in message["subject"]
    assert re.search(r'href="https://example\.com/verify\?token=[\w-]+"', message["content"])
    for kind in ("newsletter", "plain", "attachment"):
        r = control(server, f"mailboxes/{email}/samples", {"kind": kind}, key)
        assert r.status_code == 200 and r.json()["data"]["code"] is None
    assert_error(control(server, f"mailboxes/{email}/samples", {"kind": "spam"}, key), 422)
    # Someone else's mailbox, and a missing one.
    assert_error(control(server, f"mailboxes/{email}/samples", {"kind": "plain"}), 404)
    assert_error(control(server, "mailboxes/ghost@inbox.test/samples", {"kind": "plain"}, key), 404)
    after = quota_of(api.get("/domains"))
    # Only the two /domains calls and the one read counted.
    assert after[1] == before[1] + 2


def test_control_needs_the_key(server: SandboxServer) -> None:
    assert_error(control(server, "faults", {}, key="nope"), 401)
    r = httpx.post(f"{server.control_url}/quota", json={"limit": 1})
    assert_error(r, 401)


def test_control_quota(fresh: SandboxServer) -> None:
    r = control(fresh, "quota", {"limit": 10, "used": 9, "reset": "2030-01-01T00:00:00+05:00"})
    assert r.status_code == 200
    assert r.json()["data"] == {
        "limit": 10,
        "used": 9,
        "remaining": 1,
        "reset": "2030-01-01T00:00:00+05:00",
    }
    with client_for(fresh) as api:
        ok = api.get("/domains")
        assert quota_of(ok) == (10, 10, 0)
        assert ok.headers["X-RateLimit-Reset"] == "2030-01-01T00:00:00+05:00"
        assert_error(api.get("/domains"), 429)
    assert_error(control(fresh, "quota", {"limit": "many"}), 422)
    assert_error(control(fresh, "quota", {"reset": "2030-01-01T00:00:00"}), 422)


def test_control_deliver_and_clock(fresh: SandboxServer) -> None:
    email = control(fresh, "mailboxes", {"username": "ctl", "domain": "tempbox.test"}).json()[
        "data"
    ]["email"]
    assert email == "ctl@tempbox.test"
    payload = {
        "subject": "Hand made",
        "from": "Robot",
        "from_email": "robot@example.org",
        "html": "<p>hi</p>",
        "attachments": [
            {"name": "x.bin", "content_base64": base64.b64encode(b"\x00\x01").decode()}
        ],
    }
    r = control(fresh, f"mailboxes/{email}/messages", payload)
    assert r.status_code == 200
    message = fresh.state.peek_message(fresh.api_key, r.json()["data"]["id"])
    assert (message.subject, message.from_name, message.html) == ("Hand made", "Robot", True)
    assert message.attachments[0].data == b"\x00\x01"
    assert_error(control(fresh, f"mailboxes/{email}/messages", {"attachments": "no"}), 422)
    assert control(fresh, "clock", {"advance": 601}).status_code == 200
    assert not fresh.state.is_live_address(email)
    assert_error(control(fresh, "clock", {"advance": -1}), 422)


# -- Python API, samples and the server object ---------------------------------------------


def test_samples_are_realistic(server: SandboxServer) -> None:
    email = server.state.create_mailbox().email
    news = server.state.add_sample(email, "newsletter")
    assert news.html
    assert news.content.count("<table") >= 3
    assert len(re.findall(r"<a\s+[^>]*href=", news.content)) >= 10
    assert re.search(r'<img [^>]*alt="[^"]+"', news.content)
    assert re.search(r'<div style="display:none;[^"]*">\s*This week', news.content)
    assert re.search(
        r'<img src="https://track\.example\.com/[^"]+" width="1" height="1"', news.content
    )
    assert "$" not in news.content
    plain = server.state.add_sample(email, "plain")
    assert not plain.html and "<" not in plain.content
    verification = server.state.add_sample(email, "verification")
    assert verification.code is not None and re.fullmatch(r"\d{6}", verification.code)
    assert verification.code in verification.content
    files = server.state.add_sample(email, "attachment")
    assert [a.name for a in files.attachments] == ["notes.txt", "chart.png"]
    assert_valid_png(files.attachments[1].data)
    with pytest.raises(SandboxError):
        server.state.add_sample(email, "nope")
    assert set(SAMPLE_KINDS) == {"newsletter", "plain", "verification", "attachment"}


def assert_valid_png(data: bytes) -> None:
    """The bytes are a well-formed RGB PNG: signature, chunk CRCs, and the pixel data's size."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks = 8, []
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        chunks.append((kind, body))
        offset += 12 + length
    assert [k for k, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, colour = struct.unpack(">IIBB", chunks[0][1][:10])
    assert (depth, colour) == (8, 2)
    assert len(zlib.decompress(chunks[1][1])) == (width * 3 + 1) * height


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.text(
        st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
        min_size=1,
        max_size=40,
    ),
    data=st.binary(max_size=300),
)
@example(name="..", data=b"dots")
@example(name=".", data=b"dot")
@example(name="a/../../b\r\n\u202e.txt", data=b"")
def test_any_attachment_name_round_trips(
    server: SandboxServer, owner_api: httpx.Client, name: str, data: bytes
) -> None:
    email = server.state.create_mailbox().email
    server.state.deliver(email, subject="file", text="x", attachments=[(name, data)])
    listed = owner_api.get("/messages", params={"email": email}).json()["messages"][0]
    assert listed["attachments"][0]["name"] == name
    download = owner_api.get(listed["attachments"][0]["url"])
    assert download.status_code == 200
    assert download.content == data


def test_deliver_to_missing_mailbox_raises(server: SandboxServer) -> None:
    with pytest.raises(SandboxError) as caught:
        server.state.deliver("ghost@inbox.test", subject="x", text="y")
    assert caught.value.status == 404


def test_concurrent_deliveries_are_all_kept(server: SandboxServer) -> None:
    email = server.state.create_mailbox().email

    def send(n: int) -> None:
        for i in range(25):
            server.state.deliver(email, subject=f"{n}-{i}", text="x")

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _, messages = server.state.list_messages(server.api_key, email)
    assert len({m.id for m in messages}) == 200


def test_repr_hides_the_key() -> None:
    key = "sbx_" + "S3cr3tK3y" * 4
    sandbox = SandboxServer(api_key=key, smtp_port=None)
    assert key not in repr(sandbox)
    assert repr(sandbox).count("…") == 1 and key[-4:] in repr(sandbox)
    with sandbox:
        mailbox = sandbox.state.create_mailbox()
        texts = [
            repr(sandbox),
            str(sandbox),
            repr(sandbox.state),
            repr(sandbox.state.account(key)),
            repr(mailbox),
        ]
    for text in texts:
        assert key not in text
    assert mailbox.email_token not in repr(mailbox)
    assert mask_key("short") == "…"


def test_generated_keys_and_ports() -> None:
    with SandboxServer() as a, SandboxServer() as b:
        assert a.api_key.startswith("sbx_") and len(a.api_key) > 20
        assert a.api_key != b.api_key
        assert a.port != b.port and a.smtp_port != b.smtp_port
        assert a.base_url == f"http://127.0.0.1:{a.port}/api"
        with client_for(a, b.api_key) as api:
            assert_error(api.get("/domains"), 401)


def test_stop_is_clean_and_idempotent() -> None:
    sandbox = SandboxServer()
    sandbox.start()
    url = sandbox.base_url
    assert httpx.get(f"{url}/domains").status_code == 401
    sandbox.stop()
    sandbox.stop()
    assert not sandbox.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/domains")
    # The same object starts again.
    with sandbox:
        assert httpx.get(f"{sandbox.base_url}/domains").status_code == 401


def test_premium_plan_server_and_populate_demo() -> None:
    with SandboxServer(plan="premium", quota_limit=7, smtp_port=None) as sandbox:
        email = populate_demo(sandbox)
        with client_for(sandbox) as api:
            listed = api.get("/messages", params={"email": email})
            assert quota_of(listed) == (7, 1, 6)
            subjects = [m["subject"] for m in listed.json()["messages"]]
            assert len(subjects) == 4
            assert api.get("/domains", params={"type": "premium"}).status_code == 200


async def test_usable_from_an_async_caller() -> None:
    with SandboxServer(smtp_port=None) as sandbox:
        headers = {"Authorization": f"Bearer {sandbox.api_key}"}
        async with httpx.AsyncClient(base_url=sandbox.base_url, headers=headers) as api:
            r = await api.post("/emails")
    assert r.status_code == 200


def test_run_foreground_serves_until_signalled() -> None:
    root = Path(__file__).resolve().parents[1]
    code = (
        "import sys; from tempmail_tui.sandbox.server import run_foreground; "
        "sys.exit(run_foreground(port=0, smtp_port=0, api_key='sbx_cli_key_1234567890'))"
    )
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env, cwd=root
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        out = "".join(lines)
        base = re.search(r"base URL : (\S+)", out)
        assert base is not None, out
        assert "API key  : sbx_cli_key_1234567890" in out
        assert re.search(r"SMTP     : 127\.0\.0\.1:\d+", out)
        assert "curl -H 'Authorization: Bearer sbx_cli_key_1234567890'" in out
        mailbox = re.search(r"mailbox  : (\S+)", out)
        assert mailbox is not None
        r = httpx.get(
            f"{base.group(1)}/messages",
            params={"email": mailbox.group(1)},
            headers={"Authorization": "Bearer sbx_cli_key_1234567890"},
        )
        assert r.status_code == 200 and len(r.json()["messages"]) == 4
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
