"""A reference Textual app of the reader's shape, to compare start-up against: run it as a module.

Header, a sidebar list, a table over a reader pane, and a footer with the same key bindings;
nothing else (no store, no network, no services). Its first frame is the least a Textual
app of this shape costs on this machine.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Header, OptionList, Static

from .app_shape import BINDINGS, CSS


class ReferenceApp(App[None]):
    """Header, sidebar, message table, reader pane and footer; no behaviour."""

    CSS = CSS
    BINDINGS = BINDINGS
    TITLE = "reference"

    def compose(self) -> ComposeResult:
        """The same panes as the reader's main screen."""
        yield Header()
        with Horizontal(id="main"):
            yield OptionList(id="sidebar")
            with Vertical(id="right"):
                yield DataTable(id="messages", cursor_type="row")
                with VerticalScroll(id="reader"):
                    yield Static("Select a message and press Enter to read it.", id="body")
        yield Footer()

    def on_mount(self) -> None:
        """Columns as the reader has them, and the focus on the table."""
        table = self.query_one(DataTable)
        for label, width in ((" ", 2), ("From", 24), ("Subject", 40), ("Received", 12)):
            table.add_column(label, width=width)
        table.focus()

    def action_noop(self, key: str) -> None:
        """Bindings exist only so the footer looks the same."""


if __name__ == "__main__":
    ReferenceApp().run()
