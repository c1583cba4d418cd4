"""A cursor key runs at the message list only when Textual would run it there anyway."""

from __future__ import annotations

from textual import events
from textual.app import App, ComposeResult
from textual.containers import Vertical

from tempmail_tui.ui import early_keys
from tempmail_tui.ui.widgets.message_table import CURSOR_ACTIONS, MessageTable

from .test_message_table_cache import filled_list


class Listening(Vertical):
    """A container that sees the keys that bubble through it."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[str] = []

    def compose(self) -> ComposeResult:
        yield MessageTable()

    def on_key(self, event: events.Key) -> None:
        self.keys.append(event.key)


class ListApp(App[None]):
    """The list in a plain container, or in one that listens to keys."""

    def __init__(self, *, listening: bool = False, counting: bool = True) -> None:
        super().__init__()
        self.listening = listening
        if counting:
            early_keys.count_keys(self)
        self.keys_back: list[str] = []

    def compose(self) -> ComposeResult:
        if self.listening:
            yield Listening()
        else:
            with Vertical():
                yield MessageTable()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and event.is_forwarded:
            self.keys_back.append(event.key)
        await early_keys.bubbled(self, event, super().on_event)


async def run(app: ListApp, *keys: str) -> tuple[int, list[str]]:
    """Press ``keys`` on a list of 20 messages: the cursor's row, the keys a listener saw."""
    async with app.run_test(size=(90, 12)) as pilot:
        table = await filled_list(app, pilot, 20)
        # The filled list's scroll bar update may still be queued at the screen, ahead of a
        # first key (which then bubbles): a key to start with, not counted.
        await pilot.press("home")
        app.keys_back.clear()
        for listener in app.query(Listening):
            listener.keys.clear()
        await pilot.press(*keys)
        listeners = app.query(Listening)
        return table.cursor_row, listeners.first().keys if listeners else []


async def test_the_lists_moves_run_at_the_list_and_other_keys_bubble() -> None:
    app = ListApp()
    assert await run(app, "down", "j", "end", "k", "x") == (18, [])
    assert app.keys_back == ["x"]


async def test_an_ancestor_with_a_key_handler_gets_the_key_first() -> None:
    app = ListApp(listening=True)
    assert await run(app, "down", "j") == (2, ["down", "j"])
    assert app.keys_back == ["down", "j"]


async def test_an_app_that_does_not_count_its_keys_keeps_textuals_dispatch() -> None:
    app = ListApp(counting=False)
    assert await run(app, "down") == (1, [])
    assert app.keys_back == ["down"]


async def test_no_key_runs_at_the_list_while_the_app_runs_a_bubbled_key() -> None:
    app = ListApp()
    async with app.run_test(size=(90, 12)) as pilot:
        table = await filled_list(app, pilot, 20)
        earlier = events.Key("x", None)
        earlier._set_forwarded()
        ran: list[bool] = []

        async def binding_of_earlier_key(_: events.Event) -> None:
            ran.append(await early_keys.run_here(table, events.Key("down", None), CURSOR_ACTIONS))

        await early_keys.bubbled(app, earlier, binding_of_earlier_key)
        assert ran == [False]
        assert await early_keys.run_here(table, events.Key("down", None), CURSOR_ACTIONS)
        assert table.cursor_row == 1
