"""The real app, driven through Pilot against the real sandbox over loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from rich.text import Text
from textual.widgets import Input, Static

from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.app import TempMailApp
from tempmail_tui.ui.screens.dialogs import (
    AddressDialog,
    ConfirmDialog,
    RenameDialog,
    SaveDialog,
)
from tempmail_tui.ui.screens.help import HelpScreen
from tempmail_tui.ui.screens.key_dialog import ApiKeyDialog
from tempmail_tui.ui.widgets.mailbox_list import MailboxList
from tempmail_tui.ui.widgets.message_table import MessageTable
from tempmail_tui.ui.widgets.quota_bar import QuotaBar
from tempmail_tui.ui.widgets.reader import ReaderPane

from .app_helpers import make_app, wait_for

SIZE = (120, 36)


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A fresh sandbox server with SMTP on loopback."""
    with SandboxServer(api_key="tmk_test_key_0123456789abcdef") as server:
        yield server


def plain(widget: Static) -> str:
    """The plain text a Static shows."""
    content = widget.content
    return content.plain if isinstance(content, Text) else str(content)


def reader_body(app: TempMailApp) -> str:
    """What the reader pane's body shows."""
    return plain(app.main.query_one(ReaderPane).query_one("#body", Static))


def table(app: TempMailApp) -> MessageTable:
    """The message list."""
    return app.main.query_one(MessageTable)


def sidebar(app: TempMailApp) -> MailboxList:
    """The mailbox sidebar."""
    return app.main.query_one(MailboxList)


async def start_with_box(app: TempMailApp, pilot: object) -> str:
    """Create a box with `n` and return its address once it is selected."""
    await wait_for(pilot, lambda: app.service is not None, what="service")  # type: ignore[arg-type]
    await pilot.press("n")  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: sidebar(app).selected_email is not None, what="new box")  # type: ignore[arg-type]
    email = sidebar(app).selected_email
    assert email is not None
    return email


async def test_new_box_then_mail_arrives_and_opens(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        assert "@" in email
        sample = sandbox.state.add_sample(email, "newsletter")
        await wait_for(pilot, lambda: table(app).row_count == 1, what="mail to appear by poll")
        assert table(app).current_id == sample.id
        # The list shows it unread; Enter opens it and the server marks it seen.
        table(app).focus()
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: (
                "Converting" not in reader_body(app)
                and app.main.query_one(ReaderPane).rendered is not None
            ),
            what="render",
        )
        body = reader_body(app)
        assert "<table" not in body and "<td" not in body  # HTML read as text
        # Laid out as HTML, not shown as plain text.
        assert app.main.query_one(ReaderPane).rendered.source == "html"
        assert sandbox.state.peek_message(sandbox.api_key, sample.id).is_seen
        await wait_for(pilot, lambda: app.main.unread.get(email, 0) == 0, what="unread cleared")


async def test_attachment_saved_byte_identical(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        sample = sandbox.state.add_sample(email, "attachment")
        await pilot.press("R")
        await wait_for(pilot, lambda: table(app).row_count == 1, what="mail")
        table(app).focus()
        await pilot.press("enter")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SaveDialog), what="save dialog")
        await pilot.press("enter")  # the first choice saves all
        downloads = tmp_path / "downloads"
        await wait_for(
            pilot,
            lambda: (
                downloads.exists()
                and len([p for p in downloads.iterdir() if not p.name.startswith(".")])
                == len(sample.attachments)
            ),
            what="saved files",
        )
        for attachment in sample.attachments:
            assert (downloads / attachment.name).read_bytes() == attachment.data
        # Saving again never overwrites: the second copy gets a free name.
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SaveDialog), what="save dialog")
        await pilot.press("down", "enter")
        first = sample.attachments[0]
        stem, dot, ext = first.name.rpartition(".")
        await wait_for(
            pilot, lambda: (downloads / f"{stem} (1){dot}{ext}").exists(), what="second copy"
        )
        assert (downloads / f"{stem} (1){dot}{ext}").read_bytes() == first.data


async def test_rename_box(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RenameDialog), what="rename dialog")
        name_input = app.screen.query_one("#username", Input)
        name_input.value = "bad name!"
        await pilot.press("enter")
        assert isinstance(app.screen, RenameDialog)  # refused before sending
        assert "letters" in plain(app.screen.query_one("#error", Static))
        name_input.value = "qa-signup-42"
        await pilot.press("enter")
        domain = email.rpartition("@")[2]
        await wait_for(
            pilot, lambda: sidebar(app).selected_email == f"qa-signup-42@{domain}", what="renamed"
        )
        assert sandbox.state.mailbox(sandbox.api_key, f"qa-signup-42@{domain}")


async def test_delete_message_and_box(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        first = sandbox.state.add_sample(email, "plain")
        second = sandbox.state.add_sample(email, "verification")
        await pilot.press("R")
        await wait_for(pilot, lambda: table(app).row_count == 2, what="two mails")
        table(app).focus()
        doomed = table(app).current_id
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirm")
        await pilot.press("escape")  # cancelled: nothing deleted
        assert table(app).row_count == 2
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirm")
        await pilot.press("y")
        await wait_for(pilot, lambda: table(app).row_count == 1, what="deleted row")
        remaining = {first.id, second.id} - {doomed}
        assert table(app).current_id in remaining
        _, server_messages = sandbox.state.list_messages(sandbox.api_key, email)
        assert [m.id for m in server_messages] == list(remaining)

        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirm box")
        await pilot.press("y")
        await wait_for(pilot, lambda: not sandbox.state.is_live_address(email), what="box deleted")
        await wait_for(
            pilot,
            lambda: any(b.email == email and b.state != "live" for b in app.main.boxes),
            what="box archived",
        )


async def test_add_address_by_hand(sandbox: SandboxServer, tmp_path: Path) -> None:
    existing = sandbox.state.create_mailbox(username="handmade")
    sandbox.state.add_sample(existing.email, "plain")
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.service is not None, what="service")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AddressDialog), what="address dialog")
        app.screen.query_one(Input).value = "not an address"
        await pilot.press("enter")
        assert isinstance(app.screen, AddressDialog)
        app.screen.query_one(Input).value = existing.email
        await pilot.press("enter")
        await wait_for(pilot, lambda: sidebar(app).selected_email == existing.email, what="added")
        await wait_for(pilot, lambda: table(app).row_count == 1, what="its mail")


async def test_copy_address_and_quota_bar(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        await pilot.press("y")
        assert app.clipboard == email
        await pilot.press("R")
        await pilot.pause(0.3)
        quota = sandbox.state.quota()
        bar = plain(app.main.query_one(QuotaBar))
        # The figures are those of the last response's headers.
        assert app.service is not None and app.service.quota is not None
        assert app.service.quota.used == quota.used
        assert f"/{quota.limit:,} used" in bar
        assert f"{app.service.quota.remaining:,} left" in bar


async def test_hostile_subject_shows_verbatim(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        hostile = "[@click=app.quit]Win[/] [/] [bold]x \x1b]52;c;cHduZWQ=\x07\u202etxt.exe"
        sandbox.state.deliver(
            email,
            subject=hostile,
            from_name="[link=file:///etc/passwd]x[/]",
            text="Body [/] \x1b[2J\x9b31m end",
        )
        await pilot.press("R")
        await wait_for(pilot, lambda: table(app).row_count == 1, what="hostile mail")
        cells = [c.plain for c in table(app).get_row_at(0)]
        assert "[@click=app.quit]Win[/] [/] [bold]x" in cells[2]
        assert all("\x1b" not in c and "\u202e" not in c and "\x9b" not in c for c in cells)
        table(app).focus()
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: app.main.query_one(ReaderPane).rendered is not None, what="open"
        )
        body = reader_body(app)
        assert "Body [/]" in body and "\x1b" not in body and "\x9b" not in body
        await pilot.click(MessageTable, offset=(40, 2))  # a click on the subject runs nothing
        assert app.is_running


async def test_server_errors_keep_last_good_data(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        sandbox.state.add_sample(email, "plain")
        await pilot.press("R")
        await wait_for(pilot, lambda: table(app).row_count == 1, what="mail")
        for faults in ({"force_status": 500}, {"non_json": True}, {"truncate_body": True}):
            sandbox.state.update_faults(**faults)
            await pilot.pause(0.3)
            await pilot.press("R")
            await wait_for(pilot, lambda: app.main.problem is not None, what=f"error for {faults}")
            assert table(app).row_count == 1  # the last good data stays
            assert "failed" in plain(app.main.query_one(QuotaBar))
            sandbox.state.update_faults(force_status=None, non_json=False, truncate_body=False)
            await pilot.pause(1.2)
            await pilot.press("R")
            await wait_for(pilot, lambda: app.main.problem is None, what="recovery")


async def test_wrong_key_opens_key_dialog(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = make_app(sandbox, tmp_path, api_key="tmk_wrong_key_000000000000")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.service is not None, what="service")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, ApiKeyDialog), what="key dialog")
        key_input = app.screen.query_one(Input)
        assert key_input.password  # masked
        key_input.value = sandbox.api_key
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: not isinstance(app.screen, ApiKeyDialog), what="dialog closed"
        )
        await pilot.press("n")
        await wait_for(
            pilot, lambda: sidebar(app).selected_email is not None, what="box with good key"
        )


async def test_help_source_toggle_and_palette(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        sandbox.state.add_sample(email, "newsletter")
        await pilot.press("R")
        await wait_for(pilot, lambda: table(app).row_count == 1, what="mail")
        table(app).focus()
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: app.main.query_one(ReaderPane).rendered is not None, what="open"
        )
        await pilot.press("v")
        assert "Raw source (HTML" in reader_body(app)
        assert "<" in reader_body(app)
        await pilot.press("v")
        assert "Raw source" not in reader_body(app)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        titles = [c.title for c in app.get_system_commands(app.main)]
        for title in (
            "New box",
            "Rename",
            "Delete box",
            "Add address",
            "Delete msg",
            "Save",
            "Refresh",
            "Copy address",
            "Source",
            "Help",
            "Quit",
        ):
            assert title in titles


async def test_narrow_terminal_80x24(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_with_box(app, pilot)
        assert sidebar(app).size.width <= 26
        await pilot.press("b")
        assert not sidebar(app).display
        await pilot.press("b")
        assert sidebar(app).display


@pytest.mark.parametrize(("keys", "new"), [({}, "n"), ({"new_box": ("N",)}, "N")])
async def test_an_empty_store_says_how_to_get_a_box(
    sandbox: SandboxServer, tmp_path: Path, keys: dict[str, tuple[str, ...]], new: str
) -> None:
    # The key it names is the one bound now (config.toml's [keys] may move it).
    said = f"No mailboxes yet. Press {new} for a new address, or a to add one you own."
    made = make_app(sandbox, tmp_path)
    app = TempMailApp(replace(made.config, keys=keys), store_path=tmp_path / "store.sqlite3")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.main.archive_listed, what="the boxes read")
        await wait_for(pilot, lambda: reader_body(app) == said, what="the hint")
        await pilot.press(new)
        await wait_for(pilot, lambda: sidebar(app).selected_email is not None, what="new box")
        await wait_for(
            pilot, lambda: reader_body(app).startswith("Select a message"), what="the usual line"
        )
