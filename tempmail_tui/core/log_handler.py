"""The log file's handler: rotating, owner-only, every known secret masked (loaded on use)."""

from __future__ import annotations

import logging
import logging.handlers
import os
from io import TextIOWrapper
from pathlib import Path

from tempmail_tui.api.secrets import scrub

# Large enough for a day of detailed logging, small enough to attach to a bug report.
_MAX_BYTES = 2 * 1024 * 1024
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class _ScrubbingFormatter(logging.Formatter):
    """A formatter whose whole output, tracebacks included, has every known secret masked."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class _PrivateFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file created readable by its owner only (it names mailboxes)."""

    def _open(self) -> TextIOWrapper:
        # Created first with owner-only permissions; the base class then appends to it. The
        # directory too is made only now, so a run with nothing to log leaves no trace.
        os.makedirs(os.path.dirname(self.baseFilename), exist_ok=True)
        os.close(os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
        return super()._open()

    def handleError(self, record: logging.LogRecord) -> None:
        # Logging is a help, never a reason to fail: a full disk must not stop the app, and
        # stderr belongs to the terminal UI. The crash message checks whether the log exists.
        return


def file_handler(path: Path, *, detailed: bool) -> logging.Handler:
    """The handler writing ``path``: opened at once if detailed, else on its first record.

    Raises OSError if a detailed log cannot be opened.
    """
    handler = _PrivateFileHandler(
        path, maxBytes=_MAX_BYTES, backupCount=1, encoding="utf-8", delay=not detailed
    )
    handler.setFormatter(_ScrubbingFormatter(_FORMAT))
    handler.setLevel(logging.DEBUG if detailed else logging.WARNING)
    return handler
