"""Keys terminal mail users know (aerc, neomutt, less), the full-screen reader, the help screen
and keys set in config.toml: the real app through Pilot against the real sandbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.events import Key
from textual.widgets import Button

from tempmail_tui.core.config import KEY_ACTIONS
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.app import TempMailApp
from tempmail_tui.ui.screens.dialogs import ConfirmDialog, LinksDialog
from tempmail_tui.ui.screens.first_frame import FirstFrame, HeldKeys
from tempmail_tui.ui.screens.help import HelpBody, HelpScreen
from tempmail_tui.ui.screens.main import KEYS
from tempmail_tui.ui.widgets.reader import ReaderPane

from .app_helpers import make_app, wait_for
from .test_app import SIZE, sidebar, start_with_box, table

SUBJECTS = ("newest", "middle", "oldest")


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A fresh sandbox server."""
    with SandboxServer(api_key="tmk_test_key_0123456789abcdef") as server:
        yield server


def screen_text(app: TempMailApp) -> str:
    """Every line the terminal shows now, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def reader(app: TempMailApp) -> ReaderPane:
    """The reader pane."""
    return app.main.query_one(ReaderPane)


def open_subject(app: TempMailApp) -> str | None:
    """The subject of the message open in the reader."""
    message = reader(app).message
    return message.subject if message is not None else None


async def three_messages(app: TempMailApp, pilot: object, sandbox: SandboxServer) -> str:
    """A box with three mails, newest first in the list, the first one long."""
    email = await start_with_box(app, pilot)
    now = sandbox.state.now()
    long_body = "\n".join(f"line {n}" for n in range(200))
    for age, subject in enumerate(SUBJECTS):
        body = long_body if age == 0 else f"the {subject} mail"
        received = now - timedelta(minutes=age)
        sandbox.state.deliver(email, subject=subject, text=body, received_at=received)
    await pilot.press("R")  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: table(app).row_count == 3, what="three mails")  # type: ignore[arg-type]
    table(app).focus()
    return email


def test_every_default_action_can_be_set_in_config_toml() -> None:
    # The core validates [keys] against its own list: it must name exactly the screen's actions.
    assert set(KEY_ACTIONS) == {binding.action for binding in KEYS}
    assert all(binding.description for binding in KEYS)


async def test_list_movement_by_habit(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await three_messages(app, pilot, sandbox)
        messages = table(app)
        assert messages.cursor_row == 0
        await pilot.press("j")
        assert messages.cursor_row == 1
        await pilot.press("k")
        assert messages.cursor_row == 0
        await pilot.press("G")
        assert messages.cursor_row == 2
        await pilot.press("g")
        assert messages.cursor_row == 0
        await pilot.press("end")
        assert messages.cursor_row == 2
        await pilot.press("home")
        assert messages.cursor_row == 0
        await pilot.press("ctrl+d")
        assert messages.cursor_row == 2
        await pilot.press("ctrl+u")
        assert messages.cursor_row == 0
        # g is no longer Refresh in the list: no check was started by it.
        assert "R" in app.main.keys_in_force[[b.action for b in KEYS].index("refresh")].key

        # The sidebar moves the same way.
        await pilot.press("n")
        await wait_for(pilot, lambda: sidebar(app).option_count == 2, what="second box")
        sidebar(app).focus()
        await pilot.press("g")
        assert sidebar(app).highlighted == 0
        await pilot.press("G")
        assert sidebar(app).highlighted == 1
        await pilot.press("k")
        assert sidebar(app).highlighted == 0
        await pilot.press("j")
        assert sidebar(app).highlighted == 1


async def test_space_pages_then_opens_next_unread_and_j_k_open(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await three_messages(app, pilot, sandbox)
        await pilot.press("space")  # nothing open: space opens the highlighted one
        await wait_for(pilot, lambda: reader(app).rendered is not None, what="open")
        assert open_subject(app) == "newest"
        pane = reader(app)
        assert pane.max_scroll_y > 0
        await pilot.press("space")
        await pilot.pause()
        assert pane.scroll_y > 0
        for _ in range(40):
            if pane.scroll_y >= pane.max_scroll_y:
                break
            await pilot.press("space")
            await pilot.pause()
        assert open_subject(app) == "newest"
        await pilot.press("space")  # at the end: the next unread mail opens
        await wait_for(pilot, lambda: open_subject(app) == "middle", what="next unread")
        assert table(app).cursor_row == 1

        await pilot.press("J")
        await wait_for(pilot, lambda: open_subject(app) == "oldest", what="J")
        await pilot.press("J")  # the last one: says so, stays
        assert open_subject(app) == "oldest"
        await pilot.press("K", "K")
        await wait_for(pilot, lambda: open_subject(app) == "newest", what="K twice")
        assert table(app).cursor_row == 0
        # All read now: space at the end of the last unread says so instead of moving.
        await pilot.press("G", "enter")
        await wait_for(pilot, lambda: open_subject(app) == "oldest", what="last")
        await wait_for(pilot, lambda: reader(app).rendered is not None, what="rendered")
        await pilot.press("space")
        await pilot.pause()
        assert open_subject(app) == "oldest"


@pytest.mark.parametrize("size", [(120, 36), (60, 15)])
async def test_zoom_hides_the_lists_and_gives_the_reader_the_screen(
    sandbox: SandboxServer, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=size) as pilot:
        await three_messages(app, pilot, sandbox)
        await pilot.press("enter")
        await wait_for(pilot, lambda: reader(app).rendered is not None, what="open")
        before = reader(app).size.height
        await pilot.press("z")
        await pilot.pause()
        assert not table(app).display or table(app).size.height == 0
        assert sidebar(app).size.width == 0
        assert reader(app).has_focus
        after = reader(app).size.height
        assert after > before and after >= size[1] - 6, (before, after)
        # j scrolls the zoomed reader; J opens the next mail in place; Esc comes back.
        await pilot.press("j")
        await pilot.pause()
        assert reader(app).scroll_y == 1
        await pilot.press("J")
        await wait_for(pilot, lambda: open_subject(app) == "middle", what="J while zoomed")
        assert app.main.has_class("-zoomed") and reader(app).has_focus
        await pilot.press("K")
        await wait_for(pilot, lambda: open_subject(app) == "newest", what="K while zoomed")
        await wait_for(pilot, lambda: reader(app).rendered is not None, what="rendered")
        await pilot.press("escape")
        await pilot.pause()
        assert table(app).has_focus and reader(app).size.height == before
        # Enter on the message already open zooms too, and z comes back.
        await pilot.press("enter")
        await pilot.pause()
        assert app.main.has_class("-zoomed")
        await pilot.press("z")
        await pilot.pause()
        assert not app.main.has_class("-zoomed") and sidebar(app).size.width > 0
        # The sidebar toggle does not bring the sidebar back into a zoomed reader.
        await pilot.press("b", "b", "z")
        await pilot.pause()
        assert sidebar(app).size.width == 0
        if size[0] >= 100:
            assert "z Zoom" in screen_text(app).splitlines()[-1]


async def test_confirm_dialog_arrows_and_n(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await three_messages(app, pilot, sandbox)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirm")
        focused = app.screen.focused
        assert isinstance(focused, Button) and focused.id == "cancel"
        await pilot.press("left")
        assert getattr(app.screen.focused, "id", None) == "confirm"
        await pilot.press("right")
        assert getattr(app.screen.focused, "id", None) == "cancel"
        await pilot.press("n")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmDialog), what="closed")
        await pilot.pause(0.3)
        assert table(app).row_count == 3  # "no": nothing deleted


async def test_links_dialog_picks_by_number(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        email = await start_with_box(app, pilot)
        links = "".join(
            f'<p><a href="https://example.org/page{n}">page {n}</a></p>' for n in range(12)
        )
        sandbox.state.deliver(
            email, subject="many links", html=f"<html><body>{links}</body></html>"
        )
        await pilot.press("R")
        await wait_for(pilot, lambda: table(app).row_count == 1, what="mail")
        table(app).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: reader(app).aids is not None, what="aids")
        aids = reader(app).aids
        assert aids is not None and len(aids.links) >= 12
        by_number = {link.number: link.url for link in aids.links}

        # With 10 links and more, "1" could begin 10, 11, 12: it highlights, Enter picks.
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LinksDialog), what="links")
        await pilot.press("1", "2")  # [12] is the only number starting so: picked at once
        await wait_for(pilot, lambda: not isinstance(app.screen, LinksDialog), what="picked")
        assert app.clipboard == by_number[12]

        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LinksDialog), what="links")
        await pilot.press("1", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, LinksDialog), what="picked")
        assert app.clipboard == by_number[1]

        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LinksDialog), what="links")
        await pilot.press("5")  # nothing else starts with 5: picked at once
        await wait_for(pilot, lambda: not isinstance(app.screen, LinksDialog), what="picked")
        assert app.clipboard == by_number[5]


@pytest.mark.parametrize("size", [(80, 24), (60, 15)])
async def test_help_scrolls_to_its_last_line(
    sandbox: SandboxServer, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: app.service is not None, what="service")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        await pilot.pause()
        body = app.screen.query_one(HelpBody)
        assert body.has_focus and body.max_scroll_y > 0
        # The closing hint stays on screen however short the terminal.
        assert "Esc, q or ? closes" in screen_text(app)
        for _ in range(60):
            if "q  Quit" in screen_text(app):
                break
            await pilot.press("j")
            await pilot.pause()
        assert "q  Quit" in screen_text(app)
        await pilot.press("G")
        await pilot.pause()
        assert body.scroll_y == body.max_scroll_y
        assert "Change a key in config.toml" in screen_text(app)
        await pilot.press("k", "pageup", "g")
        await pilot.pause()
        assert body.scroll_y == 0
        await pilot.press("pagedown")
        await pilot.pause()
        assert body.scroll_y > 0


async def test_keys_from_config_toml_are_bound_and_shown(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    # "d" is taken from "Delete msg" by copy_code: that action keeps only the palette.
    keys = {"new_box": ("N", "ctrl+n"), "refresh": ("g",), "copy_code": ("d",)}
    plain = make_app(sandbox, tmp_path)
    app = TempMailApp(replace(plain.config, keys=keys), store_path=plain.store_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.service is not None, what="service")
        notes = "\n".join(str(n.message) for n in app._notifications)
        assert "Delete msg (delete_message) lost its key d" in notes
        assert "Refresh (refresh): g moves in the lists" in notes
        await pilot.press("n")  # no longer new box
        await pilot.pause(0.3)
        assert sidebar(app).option_count == 0
        await pilot.press("N")
        await wait_for(pilot, lambda: sidebar(app).option_count == 1, what="N")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: sidebar(app).option_count == 2, what="ctrl+n")
        footer = screen_text(app).splitlines()[-1]
        assert "N New box" in footer and "n New box" not in footer
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        await pilot.pause()
        shown = screen_text(app)
        assert "N, ctrl+n  New box" in shown
        assert "Delete msg" not in shown  # no key left: not in the help's key list
        await pilot.press("escape")
        titles = {c.title: c.help for c in app.get_system_commands(app.main)}
        assert "(no key)" in titles["Delete msg"]


async def test_config_warnings_are_shown_in_the_app(sandbox: SandboxServer, tmp_path: Path) -> None:
    app = make_app(sandbox, tmp_path)
    app.config = replace(app.config, warnings=("config file x: [keys] nope is not an action",))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = [str(n.message) for n in app._notifications]
        assert any("[keys] nope is not an action" in message for message in shown)


@pytest.mark.parametrize("configured", [{}, {"refresh": ["ctrl+r"]}])
async def test_tab_and_shift_tab_still_move_the_focus(
    sandbox: SandboxServer, tmp_path: Path, configured: dict[str, list[str]]
) -> None:
    # The screen's keys are replaced when they are applied; what it inherits must stay.
    app = make_app(sandbox, tmp_path)
    app.config = replace(app.config, keys=configured)
    async with app.run_test(size=SIZE) as pilot:
        await start_with_box(app, pilot)
        table(app).focus()
        await pilot.press("shift+tab")
        assert app.focused is sidebar(app)
        await pilot.press("tab")
        assert app.focused is table(app)


def typed_together(app: TempMailApp, *keys: str) -> None:
    """Post keys to the app as the terminal driver does for keys read in one go."""
    for name in keys:
        key = Key(name, None)
        key.set_sender(app)
        app.post_message(key)


async def test_a_lone_cursor_key_runs_at_the_list_without_the_bubble(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    # Key events dispatched: the app's and the list's when the list runs it; a bubbled key
    # would also be dispatched to each ancestor of the list and to the app again.
    seen: list[str] = []
    app = make_app(sandbox, tmp_path)
    hook = lambda message: seen.append(message.key) if isinstance(message, Key) else None  # noqa: E731
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await three_messages(app, pilot, sandbox)
        # A key is lone only when nothing is queued above the list: the screen's clock and
        # poll timers (and a poll's reply) would make it bubble, rightly, on a slow machine.
        timers = [*app.main._timers, *app._timers]
        for timer in timers:
            timer.pause()
        try:
            await app.workers.wait_for_complete()
            await pilot.pause()
            for name, row in (("down", 1), ("j", 2), ("home", 0), ("end", 2), ("k", 1)):
                seen.clear()
                await pilot.press(name)
                assert table(app).cursor_row == row
                assert seen == [name, name], f"{name} was dispatched {len(seen)} times"
            seen.clear()
            await pilot.press("x")  # not the list's: it bubbles as Textual dispatches it
            assert len(seen) > 2
        finally:
            for timer in timers:
                timer.resume()


async def test_keys_typed_together_follow_the_focus_the_first_one_moves(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    # shift+tab, end, enter read in one go are all handed to the list before shift+tab
    # reaches the app: end and enter must still go to the sidebar it moves the focus to.
    app = make_app(sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        email = await three_messages(app, pilot, sandbox)
        await pilot.press("n")
        boxes = sidebar(app)
        await wait_for(pilot, lambda: boxes.selected_email not in (None, email), what="new box")
        await wait_for(pilot, lambda: table(app).row_count == 0, what="its empty list")
        assert boxes.option_count == 2
        assert boxes.highlighted == 0  # the new box is listed first, the box with mail last
        table(app).focus()
        await pilot.pause()
        typed_together(app, "shift+tab", "end", "enter")
        await wait_for(pilot, lambda: boxes.selected_email == email, what="the box with mail")
        await wait_for(pilot, lambda: table(app).row_count == 3, what="its mail")
        assert app.focused is table(app)


async def test_the_first_frame_shows_the_panes_and_keys_then_gives_way_to_the_main_screen(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Headless, the app skips the first frame (nothing is painted); asked to, it paints it.
    plain = make_app(sandbox, tmp_path)
    config = replace(plain.config, keys={"new_box": ("N",)})
    app = TempMailApp(config, store_path=plain.store_path, first_frame=True)
    frames: list[str] = []
    original = TempMailApp._after_first_frame

    async def after(self: TempMailApp) -> None:
        frames.append(screen_text(self))
        await original(self)

    monkeypatch.setattr(TempMailApp, "_after_first_frame", after)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.service is not None, what="service")
        assert app.screen is app.main
        first = frames[0]
        assert all(title in first for title in ("Mailboxes", "Messages", "Reader", "╭", "╰"))
        # Its footer's keys are those in force (config.toml's), as on the main screen.
        frame = app.screen_stack[0]
        assert isinstance(frame, FirstFrame)
        keys = {key: active.binding.description for key, active in frame.active_bindings.items()}
        assert keys["N"] == "New box" and "n" not in keys and keys["L"] == "Label"
        await pilot.press("N")
        await wait_for(pilot, lambda: sidebar(app).option_count == 1, what="N made a box")


def test_held_keys_quit_at_once_and_give_the_rest_back_in_order() -> None:
    # config.toml moved quit to x: x quits on the first frame too; q is then a plain key.
    keys = [Binding("x", "quit", "Quit"), Binding("n", "new_box", "New box")]
    held = HeldKeys.for_keys(keys)
    assert all(held.quits(Key(key, None)) for key in ("x", "ctrl+c", "ctrl+q"))
    assert not held.quits(Key("q", "q")) and not held.quits(Key("n", "n"))
    typed = [Key("n", "n"), Key("question_mark", "?"), Key("ctrl+p", None)]
    for key in typed:
        held.keep(key)
    replayed = held.release()
    assert [(key.key, key.character) for key in replayed] == [
        ("n", "n"),
        ("question_mark", "?"),
        ("ctrl+p", None),
    ]
    # Fresh events: the originals have been through the app's dispatch.
    assert all(new is not old for new, old in zip(replayed, typed, strict=True))
    assert held.released and held.release() == []


def held_first_frame(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[TempMailApp, Callable[[], object]]:
    """An app that paints the first frame and stays on it until the returned call is made."""
    plain = make_app(sandbox, tmp_path)
    app = TempMailApp(plain.config, store_path=plain.store_path, first_frame=True)
    original = TempMailApp._after_first_paint
    monkeypatch.setattr(TempMailApp, "_after_first_paint", lambda self: None)
    return app, lambda: app.call_later(original, app)


async def test_keys_typed_on_the_first_frame_reach_the_main_screen(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, go_on = held_first_frame(sandbox, tmp_path, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b", "question_mark")
        assert isinstance(app.screen, FirstFrame)
        go_on()
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        # Both, in order: b hid the sidebar before ? opened the help over the main screen.
        assert app.main.has_class("-no-sidebar")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main, what="help closed")


@pytest.mark.parametrize("key", ["q", "ctrl+c"])
async def test_quit_keys_quit_on_the_first_frame(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    app, _ = held_first_frame(sandbox, tmp_path, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        await wait_for(pilot, lambda: app._exit, what="the app ending")
    assert app._main is None  # it ended at once, without loading the main screen
