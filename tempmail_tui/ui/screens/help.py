"""The help screen: every key binding with what it does."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from tempmail_tui.ui.screens.dialogs import _Dialog

EXTRA_KEYS = (
    ("tab / shift+tab", "Move between sidebar, list and reader"),
    ("↑ ↓ pgup pgdn", "Move in the focused list or scroll the reader"),
    ("enter", "Open the highlighted message"),
    ("ctrl+p", "Command palette: every action by name"),
)


def help_text(bindings: Sequence[Binding]) -> Text:
    """A two-column table of keys and descriptions."""
    text = Text()
    for binding in bindings:
        if not binding.description:
            continue
        key = binding.key_display or binding.key
        text.append(f"{key:>16}  ", style="bold")
        text.append(binding.description + "\n")
    for key, description in EXTRA_KEYS:
        text.append(f"{key:>16}  ", style="bold")
        text.append(description + "\n")
    text.rstrip()
    return text


class HelpScreen(_Dialog):
    """A modal list of key bindings."""

    BINDINGS = [*_Dialog.BINDINGS, Binding("question_mark,q", "cancel", "Close", show=False)]

    def __init__(self, bindings: Sequence[Binding]) -> None:
        super().__init__()
        self._keys = list(bindings)

    def compose(self) -> ComposeResult:
        """The keys in a scrollable box."""
        with Vertical(classes="dialog"):
            yield Label("Keys", classes="dialog-title")
            with VerticalScroll(id="help-body"):
                yield Static(help_text(self._keys))
            yield Static(Text("Esc or ? closes", style="dim"), classes="dialog-text")
