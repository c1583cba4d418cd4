"""The footer's keys in one widget look and act as Textual's Footer with a widget a key."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.segment import Segment
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static

import tempmail_tui.ui
from tempmail_tui.ui.widgets.key_footer import KeyFooter, KeyRow

APP_TCSS = Path(tempmail_tui.ui.__file__).parent / "app.tcss"


class KeysApp(App[None]):
    """Some keys shown, one hidden, one disabled, and the palette's, above a footer."""

    CSS_PATH = APP_TCSS
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("n", "press('n')", "New box", tooltip="Make a new box"),
        Binding("ctrl+r", "press('r')", "Refresh"),
        Binding("x", "off", "Disabled"),
        Binding("h", "press('h')", "Hidden", show=False),
        Binding("d", "press('d')", "Delete mail"),
        Binding("question_mark", "press('?')", "Help"),
    ]

    def __init__(self, footer: type[Footer], *, compact: bool) -> None:
        super().__init__()
        self.footer, self.compact = footer, compact
        self.pressed: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("body")
        yield self.footer(compact=self.compact)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "off" else True

    def action_press(self, key: str) -> None:
        self.pressed.append(key)


async def footer_line(
    footer: type[Footer],
    size: tuple[int, int],
    compact: bool,
    *,
    switch: bool = False,
    hover: int | None = None,
) -> list[Segment]:
    """The footer's line as the terminal gets it (text and style of every cell run).

    The styles' meta (where a cell is within its widget, for the mouse) is left out.
    """
    app = KeysApp(footer, compact=compact != switch)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        if hover is not None:
            await pilot.hover(Footer, offset=(hover, 0))
            await pilot.pause()
        if switch:  # made the other way, then switched
            app.query_one(Footer).compact = compact
            await pilot.pause()
        line = app.screen._compositor.render_strips()[-1]
        plain = (Segment(s.text, s.style.clear_meta_and_links() if s.style else None) for s in line)
        return list(Segment.simplify(plain))


@pytest.mark.parametrize("compact", [False, True])
@pytest.mark.parametrize("size", [(100, 4), (44, 4)])
async def test_the_footer_looks_as_textuals(size: tuple[int, int], compact: bool) -> None:
    # 44 columns cut the keys off under the palette's key, as Textual's footer does.
    ours = await footer_line(KeyFooter, size, compact)
    assert ours == await footer_line(Footer, size, compact)
    assert "New box" in "".join(segment.text for segment in ours)


async def test_switching_compact_mode_looks_as_textuals() -> None:
    for compact in (True, False):
        ours = await footer_line(KeyFooter, (100, 4), compact, switch=True)
        assert ours == await footer_line(Footer, (100, 4), compact)


async def test_a_hovered_key_looks_as_textuals_and_shows_its_tooltip() -> None:
    # Column 10 is on " n New box ".
    ours = await footer_line(KeyFooter, (100, 4), False, hover=10)
    assert ours == await footer_line(Footer, (100, 4), False, hover=10)
    assert ours != await footer_line(KeyFooter, (100, 4), False)
    app = KeysApp(KeyFooter, compact=False)
    async with app.run_test(size=(100, 4)) as pilot:
        await pilot.hover(Footer, offset=(10, 0))
        row = app.query_one(KeyRow)
        assert (row.hovered, row.tooltip) == (1, "Make a new box")
        await pilot.hover(Static)
        assert (row.hovered, row.tooltip) == (None, None)


async def test_one_widget_draws_the_keys_and_a_click_presses_one() -> None:
    app = KeysApp(KeyFooter, compact=False)
    async with app.run_test(size=(100, 4)) as pilot:
        await pilot.pause()
        row = app.query_one(KeyRow)
        assert [item.key for item in row.items] == ["q", "n", "ctrl+r", "x", "d", "question_mark"]
        assert len(app.screen.query("FooterKey")) == 1  # the palette's only
        # " q Quit " then " n New box ": the click lands on the second key.
        await pilot.click(KeyRow, offset=(10, 0))
        await pilot.click(KeyRow, offset=(len(" q Quit  n New box  ^r Refresh  x "), 0))
        assert app.pressed == ["n"]  # the disabled key rang the bell instead
