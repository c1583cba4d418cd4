"""Messages that workers post to the main screen; handlers own the UI state.

The rule for every worker in the UI: only the UI thread changes the state of the app, a
screen or a widget. A worker in a thread (``@work(thread=True)``) or a callback on the
background I/O loop computes, then hands the result over: it posts a message (``notify``
posts one too) and the message's handler, on the UI thread, assigns. It never assigns
itself, and never waits for the UI (``call_from_thread`` would hold the I/O loop, and every
poll with it, until the screen redrew). Async
workers run on the UI thread's loop, so they may assign. The start-up is the model:
``TempMailApp.bootstrap`` posts ``Bootstrapped`` (ui/startup.py) with the store, the key and
the demo sandbox, and ``on_bootstrapped`` takes them over. tests/test_ui_threads.py checks it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    # The service pulls in httpx: keep it off the path to the first frame.
    from tempmail_tui.core.results import OpenedMessage, PollResult
    from tempmail_tui.core.store import StoreError
    from tempmail_tui.ui.widgets.reader import PreparedBody


@dataclass
class PollDone(Message):
    """A poll of one mailbox succeeded."""

    result: PollResult
    manual: bool
    # Lets the collector go again (see interpreter.PollCollections): once the rows are painted.
    release: Callable[[], None] = field(default=lambda: None, compare=False, repr=False)


@dataclass
class PollStored(Message):
    """A poll's mail, already shown, was written to the local store, or could not be."""

    email: str
    # None: stored. Else why it is held in memory (it stays shown).
    error: StoreError | None


@dataclass
class PollFailed(Message):
    """A poll of one mailbox failed: the server's answer, or something on this machine."""

    email: str
    error: Exception
    manual: bool


@dataclass
class BoxesChanged(Message):
    """The set of known mailboxes changed; select this address if given."""

    select: str | None = None


@dataclass
class MessageOpened(Message):
    """A message was read (and its body converted and made ready to draw)."""

    opened: OpenedMessage
    prepared: PreparedBody | None = None


@dataclass
class ActionFailed(Message):
    """A user action failed with an API or local error."""

    action: str
    error: Exception


@dataclass
class FilterTextsRead(Message):
    """The filter's text of some messages, read off the UI thread, by message id."""

    texts: dict[str, str]


@dataclass
class SaveProgress(Message):
    """How far a save has come, as the line to show under the list."""

    line: str
