"""The API client against the embedded sandbox over real loopback HTTP."""

from __future__ import annotations

import logging
import socket
import traceback
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tempmail_tui.api import (
    ApiError,
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
)
from tempmail_tui.sandbox.faults import Faults
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.sandbox.state import first_of_next_month

CANARY = "tmk_CANARY0123456789abcdefZZ9q"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """One sandbox (HTTP only) for the module, whose default key is the canary key."""
    with SandboxServer(api_key=CANARY, smtp_port=None, quota_limit=50_000) as server:
        yield server


@pytest.fixture
def srv(sandbox: SandboxServer) -> SandboxServer:
    """The shared sandbox with no faults and a fresh quota (mailboxes are per test anyway)."""
    sandbox.state.faults = Faults()
    reset = first_of_next_month(datetime.now(UTC))
    sandbox.state.set_quota(CANARY, limit=50_000, used=0, reset_at=reset)
    return sandbox


def make_client(srv: SandboxServer, **kwargs: object) -> TempMailClient:
    """A client on the sandbox, with fast retries."""
    options: dict[str, object] = {"retries": 2, "backoff": 0.0, "timeout": 5.0}
    options.update(kwargs)
    key = options.pop("api_key", CANARY)
    return TempMailClient(key, base_url=srv.base_url, **options)  # type: ignore[arg-type]


def used(srv: SandboxServer) -> int:
    """The sandbox's count of successful requests for the canary key."""
    return srv.state.quota(CANARY).used


def assert_no_key(exc: BaseException) -> None:
    """The key appears nowhere in an exception: str, repr, args, chain or formatted traceback."""
    text = "".join(traceback.format_exception(exc)) + repr(exc) + repr(exc.args) + repr(vars(exc))
    assert CANARY not in text
    assert exc.__cause__ is None and exc.__context__ is None


# -- happy paths --------------------------------------------------------------------------------


async def test_domains_for_free_and_premium_plans(srv: SandboxServer) -> None:
    srv.state.add_account("tmk_premium_key_0123456789", plan="premium")
    async with make_client(srv) as client:
        free = await client.domains()
        assert free.requested_type == "free" and free.allowed_types == ("free",)
        assert {d.domain for d in free.domains} == {"inbox.test", "tempbox.test", "mailsink.test"}
        assert all(d.is_free for d in free.domains)
        assert [d.custom for d in free.domains if d.domain == "mailsink.test"] == [True]
        with pytest.raises(ForbiddenError) as info:
            await client.domains("premium")
        assert info.value.status_code == 403 and info.value.server_message
        assert_no_key(info.value)
    async with make_client(srv, api_key="tmk_premium_key_0123456789") as client:
        every = await client.domains("all")
    assert every.allowed_types == ("free", "premium", "all")
    assert {d.type for d in every.domains} == {"Free", "Premium"}


async def test_create_rename_and_delete_a_mailbox(srv: SandboxServer) -> None:
    async with make_client(srv) as client:
        box = await client.create_mailbox()
        assert box.email == srv.state.mailbox(CANARY, box.email).email
        assert box.created_at.tzinfo is UTC and box.expire_at.tzinfo is UTC
        assert box.expire_at - box.created_at == timedelta(seconds=600)
        assert 590 <= box.expires_in_seconds <= 600
        assert box.email_token and box.email_token not in repr(box)

        # The current address travels as "user%40domain": the sandbox must find it.
        moved = await client.rename_mailbox(box.email, "demo123", "inbox.test")
        assert (moved.email, moved.domain, moved.username) == (
            "demo123@inbox.test",
            "inbox.test",
            "demo123",
        )
        assert moved.id != box.id
        with pytest.raises(NotFoundError):
            await client.list_messages(box.email)

        with pytest.raises(ValidationError) as invalid:
            await client.rename_mailbox(moved.email, "-bad!name", "inbox.test")
        assert invalid.value.server_message == "The username format is invalid."
        with pytest.raises(ForbiddenError):
            await client.rename_mailbox(moved.email, "vipname", "vip.test")

        await client.delete_mailbox(moved.email)
        with pytest.raises(NotFoundError) as gone:
            await client.delete_mailbox(moved.email)
        assert gone.value.server_message == "Email not found."


async def test_list_read_and_delete_messages(srv: SandboxServer) -> None:
    box = srv.state.create_mailbox(CANARY)
    for kind in ("verification", "newsletter", "plain", "attachment"):
        srv.state.add_sample(box.email, kind)
    async with make_client(srv) as client:
        listing = await client.list_messages(box.email.upper())
        assert listing.mailbox == box.email
        assert len(listing.messages) == 4
        by_subject = {m.subject: m for m in listing.messages}
        plain = by_subject["Keys and plants"]
        assert (plain.is_html, plain.from_name, plain.from_email) == (
            False,
            "Alex Martin",
            "alex.martin@example.org",
        )
        assert plain.sender == "Alex Martin <alex.martin@example.org>"
        assert all(m.received_at.tzinfo is UTC for m in listing.messages)
        assert abs(plain.received_at - datetime.now(UTC)) < timedelta(minutes=5)
        assert not any(m.is_seen for m in listing.messages)

        newsletter = next(m for m in listing.messages if m.is_html and "Weekly" in m.subject)
        read = await client.read_message(newsletter.id)
        assert read.is_seen and read.content == newsletter.content and read.is_html

        await client.delete_message(newsletter.id)
        with pytest.raises(NotFoundError):
            await client.read_message(newsletter.id)
        with pytest.raises(NotFoundError):
            await client.delete_message(newsletter.id)
        assert len((await client.list_messages(box.email)).messages) == 3


async def test_attachments_stream_byte_identical(srv: SandboxServer, tmp_path: Path) -> None:
    box = srv.state.create_mailbox(CANARY)
    stored = srv.state.add_sample(box.email, "attachment")
    expected = {a.name: a.data for a in stored.attachments}
    async with make_client(srv) as client:
        message = (await client.list_messages(box.email)).messages[0]
        assert {a.name: a.size for a in message.attachments} == {
            n: len(d) for n, d in expected.items()
        }
        for attachment in message.attachments:
            # By the URL the message names, in small chunks.
            chunks: list[bytes] = []
            async with client.stream_attachment(
                message.id, attachment.name, url=attachment.url, chunk_size=512
            ) as stream:
                assert stream.content_length == attachment.size
                async for chunk in stream:
                    chunks.append(chunk)
            assert b"".join(chunks) == expected[attachment.name]
            assert len(chunks) == -(-attachment.size // 512)

            # By the documented path, into a file.
            target = tmp_path / attachment.name
            with target.open("wb") as sink:
                count = await client.download_attachment(message.id, attachment.name, sink.write)
            assert count == attachment.size
            assert target.read_bytes() == expected[attachment.name]

        with pytest.raises(NotFoundError):
            await client.download_attachment(message.id, "missing.bin", lambda chunk: None)


# -- quota --------------------------------------------------------------------------------------


async def test_quota_follows_every_response(srv: SandboxServer) -> None:
    reset = datetime(2031, 1, 1, tzinfo=UTC)
    srv.state.set_quota(CANARY, limit=1000, used=10, reset_at=reset)
    seen: list[Quota] = []
    async with make_client(srv, on_quota=seen.append) as client:
        assert client.quota is None
        box = await client.create_mailbox()
        quota = client.quota
        assert quota is not None
        assert (quota.limit, quota.used, quota.remaining, quota.reset_at) == (1000, 11, 989, reset)
        assert quota.seen_at.tzinfo is UTC and quota.age() < 60

        # Errors carry the headers too (without spending quota): the quota is refreshed.
        with pytest.raises(NotFoundError):
            await client.read_message("no-such-message")
        assert client.quota is not None and client.quota.used == 11
        assert client.quota.seen_at >= quota.seen_at and client.quota is not quota

        # Headers missing: the last good figures stay.
        srv.state.update_faults(omit_quota_headers=True)
        await client.list_messages(box.email)
        assert client.quota.used == 11 and used(srv) == 12
        srv.state.update_faults(omit_quota_headers=False)
        await client.list_messages(box.email)
        assert client.quota.used == 13
    assert [q.used for q in seen] == [11, 11, 13]


# -- every error class --------------------------------------------------------------------------


async def test_wrong_key_is_an_authentication_error(srv: SandboxServer) -> None:
    async with make_client(srv, api_key="tmk_wrong_key_abcdefghijk") as client:
        with pytest.raises(AuthenticationError) as info:
            await client.domains()
    assert info.value.server_message == "Unauthenticated."
    assert "tmk_wrong_key_abcdefghijk" not in str(info.value)


async def test_spent_quota_is_a_rate_limit_error_with_retry_at(srv: SandboxServer) -> None:
    reset = datetime(2030, 5, 1, 0, 0, tzinfo=UTC)
    srv.state.set_quota(CANARY, limit=5, used=5, reset_at=reset)
    async with make_client(srv) as client:
        with pytest.raises(RateLimitError) as info:
            await client.create_mailbox()
        assert info.value.retry_at == reset
        assert info.value.status_code == 429 and "quota" in (info.value.server_message or "")
        assert client.quota is not None and client.quota.remaining == 0
        assert_no_key(info.value)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, AuthenticationError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (422, ValidationError),
        (429, RateLimitError),
        (418, ClientError),
        (500, ServerError),
        (502, ServerError),
    ],
)
async def test_forced_statuses_map_to_the_error_family(
    srv: SandboxServer, status: int, cls: type[ApiError]
) -> None:
    srv.state.faults = Faults(force_status=status)
    async with make_client(srv, retries=0) as client:
        with pytest.raises(cls) as info:
            await client.create_mailbox()
    assert type(info.value) is cls and info.value.status_code == status
    assert info.value.server_message and info.value.server_message.endswith(".")
    assert info.value.method == "POST" and info.value.path == "/api/emails"
    assert_no_key(info.value)


async def test_html_error_pages_and_broken_bodies_are_handled(srv: SandboxServer) -> None:
    async with make_client(srv, retries=0) as client:
        srv.state.faults = Faults(non_json=True)
        with pytest.raises(ProtocolError) as html_page:
            await client.domains()
        assert_no_key(html_page.value)

        srv.state.faults = Faults(non_json=True, force_status=502)
        with pytest.raises(ServerError) as bad_gateway:
            await client.domains()
        assert bad_gateway.value.server_message is None

        srv.state.faults = Faults(truncate_body=True)
        with pytest.raises(ProtocolError) as cut:
            await client.domains()
        assert_no_key(cut.value)


async def test_closed_port_is_a_network_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port any more.
    async with TempMailClient(
        CANARY, base_url=f"http://127.0.0.1:{port}/api", retries=1, backoff=0.0
    ) as client:
        with pytest.raises(NetworkError) as info:
            await client.create_mailbox()
    assert not isinstance(info.value, RequestTimeoutError)
    assert_no_key(info.value)


async def test_latency_beyond_the_timeout_is_a_timeout(srv: SandboxServer) -> None:
    srv.state.faults = Faults(latency=0.6)
    async with make_client(srv, timeout=0.2, retries=0) as client:
        with pytest.raises(RequestTimeoutError) as info:
            await client.domains()
    assert_no_key(info.value)
    srv.state.faults = Faults()


# -- retries ------------------------------------------------------------------------------------


async def test_gets_retry_through_transient_5xx(srv: SandboxServer) -> None:
    srv.state.faults = Faults(force_status=503, force_count=2)
    before = used(srv)
    async with make_client(srv, retries=3) as client:
        domains = await client.domains()
    assert domains.domains
    assert srv.state.faults.force_status is None  # both forced answers were consumed
    assert used(srv) == before + 1


async def test_gets_give_up_after_the_retry_budget(srv: SandboxServer) -> None:
    srv.state.faults = Faults(force_status=500, force_count=5)
    async with make_client(srv, retries=2) as client:
        with pytest.raises(ServerError):
            await client.domains()
    assert srv.state.faults.force_count == 2  # three of five consumed: one try, two retries


async def test_posts_and_deletes_are_never_retried(srv: SandboxServer) -> None:
    box = srv.state.create_mailbox(CANARY)
    async with make_client(srv, retries=3) as client:
        unsafe: list[Callable[[], Awaitable[object]]] = [
            client.create_mailbox,
            lambda: client.rename_mailbox(box.email, "other", "inbox.test"),
            lambda: client.delete_mailbox(box.email),
        ]
        for call in unsafe:
            srv.state.faults = Faults(force_status=503, force_count=3)
            with pytest.raises(ServerError):
                await call()
            assert srv.state.faults.force_count == 2
    srv.state.faults = Faults()
    assert srv.state.mailbox(CANARY, box.email).email == box.email


# -- refusals before sending --------------------------------------------------------------------


async def test_bad_input_is_refused_before_any_request(srv: SandboxServer) -> None:
    # A forced status is consumed by any /api request: it stays put if nothing was sent.
    srv.state.faults = Faults(force_status=500, force_count=1)
    async with make_client(srv) as client:
        for bad in ("", "..", "a/b", "a?b", "a#b", "a\\b", "a b", "a\nb", "a\x00b"):
            with pytest.raises(InputError):
                await client.read_message(bad)
            with pytest.raises(InputError):
                await client.delete_message(bad)
            with pytest.raises(InputError):
                await client.rename_mailbox("x@inbox.test", bad, "inbox.test")
            with pytest.raises(InputError):
                await client.rename_mailbox("x@inbox.test", "name", bad)
        for email in ("no-at-sign", "a/b@inbox.test", "a@b c", "@inbox.test", "a@"):
            with pytest.raises(InputError):
                await client.list_messages(email)
            with pytest.raises(InputError):
                await client.delete_mailbox(email)
        with pytest.raises(InputError):
            await client.domains("everything")
    assert srv.state.faults.force_status == 500 and srv.state.faults.force_count == 1


async def test_foreign_origin_attachment_urls_are_refused(srv: SandboxServer) -> None:
    box = srv.state.create_mailbox(CANARY)
    srv.state.add_sample(box.email, "attachment")
    async with make_client(srv) as client:
        message = (await client.list_messages(box.email)).messages[0]
        attachment = message.attachments[0]
        srv.state.faults = Faults(force_status=500, force_count=1)
        # The same server under another name is another origin: the key must not go there.
        for foreign in (
            attachment.url.replace("127.0.0.1", "localhost"),
            attachment.url.replace("http://", "https://"),
            "http://attacker.example/steal",
        ):
            with pytest.raises(InputError) as info:
                await client.download_attachment(
                    message.id, replace(attachment, url=foreign), lambda chunk: None
                )
            assert_no_key(info.value)
    assert srv.state.faults.force_count == 1


# -- the key stays secret -----------------------------------------------------------------------


async def test_key_never_shows_in_repr_or_logs(
    srv: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        async with make_client(srv) as client:
            assert repr(client) == f"TempMailClient(base_url='{srv.base_url}', api_key='tmk_…ZZ9q')"
            assert CANARY not in str(client)
            box = await client.create_mailbox()
            with pytest.raises(NotFoundError):
                await client.read_message("missing")
            await client.delete_mailbox(box.email)
    assert "POST" in caplog.text and CANARY not in caplog.text


def test_sender_written_fields_may_be_null_or_missing() -> None:
    from tempmail_tui.api.parse import parse_message

    message = parse_message(
        {
            "id": "abc",
            "subject": None,
            "from": None,
            "receivedAt": "2026-06-28 10:57:25",
            "html": False,
            "content": None,
            "attachments": [{"name": "notes.txt", "size": 3, "url": "https://x/a"}],
        }
    )
    assert (message.subject, message.from_name, message.from_email, message.to) == ("", "", "", "")
    assert message.content == "" and not message.is_seen
    assert message.attachments[0].extension == "txt"
