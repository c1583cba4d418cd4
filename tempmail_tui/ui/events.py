"""Messages that workers post to the main screen; handlers own the UI state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from tempmail_tui.api.errors import ApiError

if TYPE_CHECKING:
    # The service pulls in httpx: keep it off the path to the first frame.
    from tempmail_tui.core.service import OpenedMessage, PollResult


@dataclass
class PollDone(Message):
    """A poll of one mailbox succeeded."""

    result: PollResult
    manual: bool


@dataclass
class PollFailed(Message):
    """A poll of one mailbox failed."""

    email: str
    error: ApiError
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
