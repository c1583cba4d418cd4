"""Waiting for a matching message, with no command line: the real client against the sandbox."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tempmail_tui.api.errors import ServerError
from tempmail_tui.core.config import Config
from tempmail_tui.core.mail import MailService
from tempmail_tui.core.results import Fetched
from tempmail_tui.core.schedule import PollPolicy
from tempmail_tui.core.session import open_mail
from tempmail_tui.core.waiting import (
    MailFilter,
    Retrying,
    WaitStopped,
    WaitTimedOut,
    any_message,
    code_of,
    link_of,
    wait_for,
)
from tempmail_tui.sandbox.server import SandboxServer

POLICY = PollPolicy(fast_interval=0.3)


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    """A server of its own: these tests change its quota and faults."""
    with SandboxServer(smtp_port=None) as sandbox:
        yield sandbox


@pytest.fixture
async def service(server: SandboxServer, tmp_path: Path) -> AsyncIterator[MailService]:
    config = Config(api_key=server.api_key, base_url=server.base_url)
    async with open_mail(config, store_path=tmp_path / "store.sqlite3") as mail:
        yield mail


async def _after_checks(server: SandboxServer, count: int) -> None:
    """Return once the account has made ``count`` more successful requests."""
    start = server.state.quota().used
    async with asyncio.timeout(10):
        while server.state.quota().used < start + count:
            await asyncio.sleep(0.01)


async def test_a_new_mail_with_a_code_is_found_and_one_without_is_passed_over(
    server: SandboxServer, service: MailService
) -> None:
    box = server.state.create_mailbox()
    server.state.add_sample(box.email, "verification")  # already there: not new
    events: list[Fetched | Retrying] = []

    async def deliver() -> str:
        # After the first check (which only records what is there): a mail with no code,
        # then after the next check one with a code.
        await _after_checks(server, 1)
        server.state.deliver(box.email, subject="Hello", text="no code in here")
        await _after_checks(server, 1)
        return server.state.add_sample(box.email, "verification").code or ""

    mail = asyncio.create_task(deliver())
    found = await wait_for(
        service, box.email, code_of, timeout=20, policy=POLICY, observe=events.append
    )
    code = await mail
    assert found.value == code and found.mailbox == box.email
    assert found.message.subject != "Hello"
    assert all(isinstance(e, Fetched) for e in events) and len(events) >= 3
    # What the wait saw is stored: the reader shows it too.
    assert found.message.id in {m.id for m in await service.messages(box.email)}


async def test_existing_mail_counts_only_when_asked_and_the_filters_apply(
    server: SandboxServer, service: MailService
) -> None:
    box = server.state.create_mailbox()
    sample = server.state.add_sample(box.email, "verification")
    server.state.deliver(box.email, subject="Newsletter", from_name="News")

    found = await wait_for(
        service,
        box.email,
        link_of,
        timeout=10,
        policy=POLICY,
        existing=True,
        mail_filter=MailFilter(subject=re.compile(re.escape(sample.subject), re.IGNORECASE)),
    )
    assert found.message.id == sample.id and found.value.startswith("http")

    unmatched = MailFilter(sender=re.compile("nobody-sends-this", re.IGNORECASE))
    with pytest.raises(WaitTimedOut, match="no new matching message within 1 s"):
        await wait_for(
            service,
            box.email,
            any_message,
            timeout=1,
            policy=POLICY,
            existing=True,
            mail_filter=unmatched,
        )
    with pytest.raises(WaitTimedOut):
        await wait_for(service, box.email, any_message, timeout=1, policy=POLICY)


async def test_skipped_messages_are_passed_over_even_when_existing_mail_counts(
    server: SandboxServer, service: MailService
) -> None:
    box = server.state.create_mailbox()
    older = server.state.add_sample(box.email, "verification")
    newer = server.state.add_sample(box.email, "verification")

    found = await wait_for(
        service, box.email, code_of, timeout=5, policy=POLICY, existing=True, skip={newer.id}
    )
    assert found.message.id == older.id
    with pytest.raises(WaitTimedOut):
        await wait_for(
            service,
            box.email,
            code_of,
            timeout=0.5,
            policy=POLICY,
            existing=True,
            skip={older.id, newer.id},
        )


async def test_a_server_error_is_ridden_out_and_reported(
    server: SandboxServer, service: MailService
) -> None:
    box = server.state.create_mailbox()
    sample = server.state.add_sample(box.email, "verification")
    server.state.update_faults(force_status=503, force_count=1)
    events: list[Fetched | Retrying] = []

    found = await wait_for(
        service,
        box.email,
        code_of,
        timeout=20,
        policy=POLICY,
        existing=True,
        observe=events.append,
    )
    assert found.value == sample.code
    retry = events[0]
    assert isinstance(retry, Retrying) and isinstance(retry.error, ServerError)
    assert retry.pause > 0
    assert isinstance(events[-1], Fetched)


async def test_the_wait_stops_at_the_quota_reserve(
    server: SandboxServer, service: MailService
) -> None:
    box = server.state.create_mailbox()
    # 1,000 a month keeps 10 in reserve; one check leaves exactly the reserve.
    server.state.set_quota(limit=1000, used=989)
    with pytest.raises(WaitStopped, match=r"stopped waiting: .*reserve \(10 of 1,000 left"):
        await wait_for(service, box.email, any_message, timeout=20, policy=POLICY)
    assert server.state.quota().remaining == 10


async def test_an_unreachable_server_gives_up_with_the_reason(tmp_path: Path) -> None:
    # A port nothing listens on: every connection is refused at once.
    config = Config(api_key="tmk_unreachable_0123456789", base_url="http://127.0.0.1:9/api")
    async with open_mail(config, store_path=tmp_path / "store.sqlite3") as service:
        with pytest.raises(WaitStopped, match=r"gave up after 1 s: .*reach"):
            await wait_for(service, "a@example.com", any_message, timeout=1, policy=POLICY)
