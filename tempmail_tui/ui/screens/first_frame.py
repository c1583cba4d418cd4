"""The first frame: the main screen's panes and footer, painted before the rest is loaded."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from tempmail_tui.ui.widgets.key_footer import KeyFooter

#: Keys that end the app even before the main screen is up (besides those bound to quit).
ALWAYS_QUIT = frozenset({"ctrl+c", "ctrl+q"})


@dataclass
class HeldKeys:
    """Keys typed while the first frame shows: the quit keys act at once, the rest wait.

    The first frame's footer shows the main screen's keys, so they are typed at once; the
    main screen, once up, gets them in the order they came, as if typed then.
    """

    quit_keys: frozenset[str]
    waiting: list[events.Key] = field(default_factory=list)
    released: bool = False

    @classmethod
    def for_keys(cls, keys: Iterable[Binding]) -> HeldKeys:
        """Held keys for these bindings: those bound to quit, and ctrl+c / ctrl+q, quit."""
        quits = {
            key.strip()
            for binding in keys
            if binding.action in ("quit", "app.quit")
            for key in binding.key.split(",")
        }
        return cls(frozenset(quits | ALWAYS_QUIT))

    def keep(self, event: events.Key) -> None:
        """Keep a key for the main screen (a fresh event: this one has been dispatched)."""
        self.waiting.append(events.Key(event.key, event.character))

    def quits(self, event: events.Key) -> bool:
        """Whether this key ends the app rather than wait for the main screen."""
        return event.key in self.quit_keys

    def release(self) -> list[events.Key]:
        """The waiting keys, oldest first; from now on nothing is held."""
        self.released = True
        waiting, self.waiting = self.waiting, []
        return waiting


class KeysReleased(Message):
    """The main screen is up and focused: the keys typed meanwhile go to it now."""


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
        yield KeyFooter()
