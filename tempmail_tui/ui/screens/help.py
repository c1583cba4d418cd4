"""The help screen: every key binding in force with what it does."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from tempmail_tui.ui.keys import MOVEMENT_HELP, SCROLL_KEYS, keys_shown
from tempmail_tui.ui.screens.dialogs import _Dialog

#: Width of the key column: wide enough for "R, f5" and "^d ^u pgdn pgup".
KEY_WIDTH = 15


def help_text(bindings: Sequence[Binding]) -> Text:
    """A two-column table of the keys in force and what they do, then the movement keys."""
    text = Text()
    for binding in bindings:
        if not binding.description:
            continue
        text.append(f"{keys_shown(binding):>{KEY_WIDTH}}  ", style="bold")
        text.append(binding.description)
        # The name config.toml's [keys] table uses for it.
        text.append(f"  {binding.action}\n", style="dim")
    text.append("\nIn the lists, the reader and dialogs\n", style="bold underline")
    for key, description in MOVEMENT_HELP:
        text.append(f"{key:>{KEY_WIDTH}}  ", style="bold")
        text.append(description + "\n")
    text.append(
        '\nChange a key in config.toml: [keys] then action = "key" or ["key", ...].',
        style="dim",
    )
    return text


class HelpBody(VerticalScroll):
    """The scrolling list of keys: arrows, PgUp/PgDn and less's j, k, g, G, space."""

    BINDINGS = [*SCROLL_KEYS, Binding("space", "page_down", "Page down", show=False)]


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
            with HelpBody(id="help-body"):
                yield Static(help_text(self._keys))
            yield Static(
                Text("j k ↑ ↓ pgup pgdn scroll · Esc, q or ? closes", style="dim"),
                classes="dialog-text",
            )

    def on_mount(self) -> None:
        """Focus the list, so the scrolling keys work at once."""
        self.query_one(HelpBody).focus()
