"""The least a Textual app of the reader's first-frame shape costs: run it as a module.

Three bordered Static panes, a status line and a footer with the reference's key bindings:
no table, no list, no header, no store, nothing of the app. Its first frame bounds from
below what any first frame drawn through Textual costs on this machine, so the bench can
show how far under the reference's time a Textual app can get at all.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Static

from .app_shape import BINDINGS, CSS


class FloorApp(App[None]):
    """Bordered panes and the footer; nothing else."""

    CSS = CSS
    BINDINGS = BINDINGS
    TITLE = "floor"

    def compose(self) -> ComposeResult:
        """The panes the reference has, each an empty Static."""
        with Horizontal(id="main"):
            yield Static(id="sidebar")
            with Vertical(id="right"):
                yield Static(id="messages")
                yield Static(id="reader")
        yield Static("Starting…", id="quota")
        yield Footer()

    def action_noop(self, key: str) -> None:
        """Bindings exist only so the footer looks the same."""


if __name__ == "__main__":
    FloorApp().run()
