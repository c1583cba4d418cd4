"""Messages that workers post to the main screen; handlers own the UI state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    # The service pulls in httpx: keep it off the path to the first frame.
    from tempmail_tui.core.mail import OpenedMessage, PollResult


@dataclass
class PollDone(Message):
    """A poll of one mailbox succeeded."""

    result: PollResult
    manual: bool


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
    """A message was read (and its body converted)."""

    opened: OpenedMessage


@dataclass
class ActionFailed(Message):
    """A user action failed with an API or local error."""

    action: str
    error: Exception
