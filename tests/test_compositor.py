"""The main screen's compositor paints what Textual's paints, asking only the widgets it touches."""

from __future__ import annotations

from collections import Counter

import pytest
from textual._compositor import Compositor
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable, Footer, OptionList, Static

from tempmail_tui.ui.compositor import CroppedCompositor


class PanesScreen(Screen[None]):
    """A sidebar, a table over a text block, a footer: the main screen's shape."""

    BINDINGS = [("x", "app.bell", "Ring")]

    def __init__(self) -> None:
        super().__init__()
        self._compositor = CroppedCompositor()

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield OptionList(*[f"box {n}" for n in range(30)], id="sidebar")
            with Vertical():
                yield DataTable(id="table")
                yield Static("\n".join(f"line {n} of the body" for n in range(20)), id="body")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("from", "subject")
        for n in range(60):
            table.add_row(f"sender {n}", f"subject {n}")


class PanesApp(App[None]):
    """Just that screen."""

    CSS = "#sidebar { width: 24; } #table { height: 12; }"

    def get_default_screen(self) -> Screen[None]:
        return PanesScreen()


def painted(app: App[None], regions: list[Region], kind: type[Compositor]) -> str:
    """What the terminal is sent for these dirty regions, composed by ``kind``."""
    compositor = app.screen._compositor
    mine = compositor.__class__
    compositor.__class__ = kind
    screen = app.screen.region
    try:
        # As Textual marks them: within the screen.
        compositor._dirty_regions = {region.intersection(screen) for region in regions}
        update = compositor.render_partial_update()
    finally:
        compositor.__class__ = mine
    assert update is not None
    return update.render_segments(app.console)


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many lines each widget was asked for (by id, or class name)."""
    counts: Counter[str] = Counter()
    render_lines = Widget.render_lines

    def counted(self: Widget, crop: Region) -> list[Strip]:
        counts[self.id or type(self).__name__] += crop.height
        return render_lines(self, crop)

    monkeypatch.setattr(Widget, "render_lines", counted)
    return counts


async def test_a_partial_update_sends_what_textuals_compositor_sends(
    asked: Counter[str],
) -> None:
    app = PanesApp()
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.press(*["down"] * 15)  # the table scrolled, the cursor on a row
        table = app.screen.query_one(DataTable)
        body = app.screen.query_one("#body")
        for regions in (
            [table.region],  # a cursor key in the list
            [Region(30, 4, 20, 1)],  # one cell
            [body.region, Region(0, 29, 80, 1)],  # the reader and the footer
            [Region(10, 2, 40, 8)],  # across the sidebar and the list
            [app.screen.region],  # everything
        ):
            asked.clear()
            mine = painted(app, regions, CroppedCompositor)
            cropped = Counter(asked)
            assert mine == painted(app, regions, Compositor)
            assert sum(cropped.values()) <= sum(asked.values())
        asked.clear()
        painted(app, [table.region], CroppedCompositor)
        # The list's lines and the containers' lines behind them; nothing of the sidebar,
        # the body below or the footer.
        assert asked["table"] == table.region.height
        assert not {"sidebar", "body", "Footer"} & set(asked)
