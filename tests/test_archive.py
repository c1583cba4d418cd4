"""Archived boxes: forgetting them locally, in the core over loopback and through the CLI."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tempmail_tui.api.client import TempMailClient
from tempmail_tui.core import paths
from tempmail_tui.core.archive import ArchivedBox, StillLiveError, UnknownMailboxError
from tempmail_tui.core.mail import MailService
from tempmail_tui.core.render import HtmlRenderer
from tempmail_tui.core.store import Store
from tempmail_tui.sandbox.server import SandboxServer
from tests.test_cli_scripting import Result, _new_box, _point_at, _runner

# -- the core -----------------------------------------------------------------------------------


async def test_forgetting_an_archived_box_removes_it_and_its_mail_without_a_request(
    server: SandboxServer, service: MailService
) -> None:
    box = await service.create_mailbox()
    kept = await service.create_mailbox()
    sample = server.state.add_sample(box.email, "plain")
    server.state.add_sample(box.email, "verification")
    server.state.add_sample(kept.email, "plain")
    await service.poll(box.email)
    await service.poll(kept.email)
    word = sample.subject.split()[0]
    assert await service.search(word)

    # A live box is not archive: refused, and nothing is removed.
    with pytest.raises(StillLiveError, match="still live"):
        await service.archive.box(box.email)
    with pytest.raises(StillLiveError):
        await service.archive.forget([box.email])
    assert len(await service.messages(box.email)) == 2
    with pytest.raises(UnknownMailboxError, match="not a mailbox this machine knows"):
        await service.archive.box("never-was@example.com")

    await service.delete_mailbox(box.email)
    assert await service.archive.box(box.email) == ArchivedBox(box.email, "deleted", 2)
    assert await service.archive.boxes() == [ArchivedBox(box.email, "deleted", 2)]

    used = server.state.quota().used
    assert await service.archive.forget([box.email]) == 2
    assert server.state.quota().used == used  # forgetting asks the server nothing
    assert await service.mailbox(box.email) is None
    assert await service.messages(box.email) == []
    assert service.store.message(sample.id) is None
    assert [m.mailbox for m in await service.search(word)] == [kept.email]
    assert len(await service.messages(kept.email)) == 1
    assert await service.archive.boxes() == []


async def test_a_box_deleted_elsewhere_stays_deleted_when_the_reader_finds_it_gone(
    server: SandboxServer, service: MailService, tmp_path: Path
) -> None:
    box = await service.create_mailbox()
    await service.poll(box.email)
    # The CLI (another store connection) deletes it; this service still thinks it live.
    other = Store.open(tmp_path / "store.sqlite3")
    client = TempMailClient(server.api_key, base_url=server.base_url, retries=0)
    renderer = HtmlRenderer()
    cli_service = MailService(client, other, renderer)
    try:
        assert await cli_service.delete_mailbox(box.email) is True
    finally:
        await cli_service.aclose()
        other.close()
    # The reader's next check meets a 404: that must not turn "deleted" into "expired".
    with pytest.raises(Exception, match="ot found"):
        await service.poll(box.email)
    known = await service.mailbox(box.email)
    assert known is not None and known.state == "deleted"
    assert (await service.archive.box(box.email)).state == "deleted"


# -- the command line ---------------------------------------------------------------------------


@pytest.fixture
def cli(
    server: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Callable[..., Result]:
    _point_at(monkeypatch, server, tmp_path / "downloads")
    return _runner(server, capsys)


def _stored_boxes() -> list[str]:
    with Store.open(paths.store_path()) as store:
        return [b.email for b in store.mailboxes()]


class _Terminal(io.StringIO):
    """A stdin that is a terminal and answers ``answer``."""

    def isatty(self) -> bool:
        return True


def test_forget_refuses_a_live_box_and_names_rm_box(cli: Callable[..., Result]) -> None:
    address = _new_box(cli)
    result = cli("forget", address, "--yes")
    assert result.code == 2
    assert f"rm-box {address}" in result.err and "still live" in result.err
    assert _stored_boxes() == [address]
    unknown = cli("forget", "never-was@example.com", "--yes")
    assert unknown.code == 2 and "not a mailbox this machine knows" in unknown.err
    both = cli("forget", address, "--archived")
    assert both.code == 2 and "ADDRESS or give --archived" in both.err
    assert cli("forget").code == 2


def test_forget_asks_on_a_terminal_and_needs_yes_in_a_script(
    cli: Callable[..., Result], server: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    address = _new_box(cli)
    server.state.add_sample(address, "plain")
    assert cli("messages", address).code == 0
    assert cli("rm-box", address).code == 0

    # No terminal and no --yes: refused, nothing removed.
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    script = cli("forget", address)
    assert script.code == 2 and "add --yes" in script.err
    assert _stored_boxes() == [address]

    monkeypatch.setattr("sys.stdin", _Terminal("n\n"))
    declined = cli("forget", address)
    assert declined.code == 1
    assert f"Forget {address} and its 1 stored message on this machine? [y/N]" in declined.err
    assert _stored_boxes() == [address]

    monkeypatch.setattr("sys.stdin", _Terminal("y\n"))
    done = cli("forget", address)
    assert done.code == 0, done.err
    assert done.out == f"{address}\n"
    assert f"forgot {address} and its 1 stored message" in done.err
    assert _stored_boxes() == []


def test_forget_archived_forgets_every_archived_box_only(cli: Callable[..., Result]) -> None:
    live = _new_box(cli)
    gone = [_new_box(cli), _new_box(cli)]
    for address in gone:
        assert cli("rm-box", address).code == 0

    result = cli("forget", "--archived", "--yes", "--json")
    assert result.code == 0, result.err
    record = json.loads(result.out)
    assert record["messages"] == 0
    assert sorted(r["email"] for r in record["forgotten"]) == sorted(gone)
    assert {r["state"] for r in record["forgotten"]} == {"deleted"}
    assert _stored_boxes() == [live]

    again = cli("forget", "--archived", "--yes")
    assert again.code == 0 and again.out == ""
    assert "no archived mailboxes" in again.err


def test_forget_needs_no_api_key(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    address = _new_box(cli)
    assert cli("rm-box", address).code == 0
    monkeypatch.delenv("TEMPMAIL_API_KEY")
    result = cli("forget", address, "--yes")
    assert result.code == 0, result.err
    assert _stored_boxes() == []
