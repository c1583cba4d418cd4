"""The first frame: the main screen's panes and footer, painted before the rest is loaded."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static


class FirstFrame(Screen[None]):
    """The panes, empty, and the footer's keys: what a terminal shows while the reader loads.

    It imports only Textual's simplest widgets, so it is on screen before the main screen's
    modules (the lists, the reader, the core's records) are even read; the app then switches
    to the main screen, whose panes have the same ids, so nothing moves.
    """

    AUTO_FOCUS = None

    def __init__(self, keys: Sequence[Binding]) -> None:
        super().__init__()
        # The same keys as the main screen, so the footer does not change when it comes.
        self._bindings = BindingsMap(keys)

    def compose(self) -> ComposeResult:
        """The main screen's layout with placeholders (app.tcss styles both by id)."""
        with Horizontal(id="main"):
            sidebar = Static(id="sidebar")
            sidebar.border_title = "Mailboxes"
            yield sidebar
            with Vertical(id="right"):
                messages = Static(id="messages")
                messages.border_title = "Messages"
                yield messages
                reader = Static(id="reader")
                reader.border_title = "Reader"
                yield reader
        yield Static("Starting…", id="quota")
        yield Footer()
