"""The Python API: mailboxes for tests and scripts, on the same core as the reader and the CLI.

``TempMail`` (blocking) and ``AsyncTempMail`` (asyncio) open a session; ``new`` makes a box,
``box.wait(subject=...)`` returns the next matching message with its ``code``, ``link``,
``text`` and ``attachments``. Every error raised is a ``TempMailError``.
"""

from __future__ import annotations

from tempmail_tui.api.errors import ApiError, AuthenticationError, NotFoundError
from tempmail_tui.automation.aio import AsyncBox, AsyncTempMail
from tempmail_tui.automation.errors import SessionClosedError, UsageError
from tempmail_tui.automation.records import (
    AsyncAttachment,
    AsyncMessage,
    Attachment,
    MailRecord,
    Message,
)
from tempmail_tui.automation.sync import Box, TempMail
from tempmail_tui.core.config import ConfigError
from tempmail_tui.core.labels import LabelError
from tempmail_tui.core.savefile import SaveFileError
from tempmail_tui.core.session import NoApiKeyError
from tempmail_tui.core.store import StoreError
from tempmail_tui.core.waiting import WaitStopped, WaitTimedOut
from tempmail_tui.errors import LocalError, TempMailError

__all__ = [
    "ApiError",
    "AsyncAttachment",
    "AsyncBox",
    "AsyncMessage",
    "AsyncTempMail",
    "Attachment",
    "AuthenticationError",
    "Box",
    "ConfigError",
    "LabelError",
    "LocalError",
    "MailRecord",
    "Message",
    "NoApiKeyError",
    "NotFoundError",
    "SaveFileError",
    "SessionClosedError",
    "StoreError",
    "TempMail",
    "TempMailError",
    "UsageError",
    "WaitStopped",
    "WaitTimedOut",
]
