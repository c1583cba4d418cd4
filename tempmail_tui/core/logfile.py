"""The app's own log: where it goes, how much it says, and the API key kept out of it."""

from __future__ import annotations

import logging
import logging.handlers
import os
from dataclasses import dataclass
from io import TextIOWrapper
from pathlib import Path

from tempmail_tui.api.secrets import scrub
from tempmail_tui.core import paths
from tempmail_tui.errors import LocalError

#: The environment variable that turns on the detailed log (like ``--log FILE``).
LOG_ENV_VAR = "TEMPMAIL_LOG"
#: The logger every module of the package logs under.
ROOT_LOGGER = "tempmail_tui"

# Large enough for a day of detailed logging, small enough to attach to a bug report.
_MAX_BYTES = 2 * 1024 * 1024
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class LogFileError(LocalError):
    """The log file asked for cannot be written; the message names it and says why."""


@dataclass(frozen=True)
class LogSetup:
    """Where this run logs to, and whether it logs requests and decisions or errors only."""

    path: Path
    detailed: bool

    def written(self) -> bool:
        """Whether anything was written to the log file (so pointing to it makes sense)."""
        try:
            return self.path.stat().st_size > 0
        except OSError:
            return False


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


_current: LogSetup | None = None


def current() -> LogSetup | None:
    """The log this process was configured with, if any."""
    return _current


def chosen_log_path(flag: str | None, environ: dict[str, str] | os._Environ[str]) -> Path | None:
    """The detailed log asked for with ``--log`` or ``TEMPMAIL_LOG`` (the flag wins), if any."""
    text = (flag or environ.get(LOG_ENV_VAR, "")).strip()
    return Path(text).expanduser() if text else None


def configure(detailed_path: Path | None) -> LogSetup:
    """Send the package's log to a file: everything if asked for, else warnings and errors."""
    detailed = detailed_path is not None
    path = detailed_path if detailed_path is not None else paths.log_path()
    stop()
    logger = logging.getLogger(ROOT_LOGGER)
    try:
        # Opened now when asked for, so a wrong path is a clear error before the app starts;
        # the default log is created only when there is something to say.
        handler = _PrivateFileHandler(
            path, maxBytes=_MAX_BYTES, backupCount=1, encoding="utf-8", delay=not detailed
        )
    except OSError as exc:
        if detailed:
            reason = exc.strerror or type(exc).__name__
            raise LogFileError(f"cannot write the log file {path}: {reason}") from None
        return _remember(LogSetup(path, detailed=False))
    handler.setFormatter(_ScrubbingFormatter(_FORMAT))
    handler.setLevel(logging.DEBUG if detailed else logging.WARNING)
    logger.addHandler(handler)
    if detailed:
        logger.setLevel(logging.DEBUG)
        from tempmail_tui import __version__

        logger.info("tempmail-tui %s started (pid %d)", __version__, os.getpid())
    return _remember(LogSetup(path, detailed=detailed))


def stop() -> None:
    """Close the log file this process writes, if any (configure calls it first)."""
    global _current
    logger = logging.getLogger(ROOT_LOGGER)
    for handler in [h for h in logger.handlers if isinstance(h, _PrivateFileHandler)]:
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.NOTSET)
    _current = None


def _remember(setup: LogSetup) -> LogSetup:
    global _current
    _current = setup
    return setup
