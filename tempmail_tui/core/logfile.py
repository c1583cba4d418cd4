"""The app's own log: where it goes, how much it says, and the API key kept out of it."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from tempmail_tui.core import paths
from tempmail_tui.errors import LocalError

#: The environment variable that turns on the detailed log (like ``--log FILE``).
LOG_ENV_VAR = "TEMPMAIL_LOG"
#: The logger every module of the package logs under.
ROOT_LOGGER = "tempmail_tui"


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


class _OnFirstRecord(logging.Handler):
    """The errors-only log until its first record, which makes the file's handler.

    Most runs log nothing: they load neither the handler nor logging.handlers (before the
    reader's first frame, tests/bench cold_start), and leave no file.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(logging.WARNING)
        self.path = path
        self._file: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        # Called under this handler's lock: one file handler, whichever thread logs first.
        if self._file is None:
            from tempmail_tui.core.log_handler import file_handler

            try:
                self._file = file_handler(self.path, detailed=False)
            except OSError:
                return
        self._file.handle(record)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()

    def handleError(self, record: logging.LogRecord) -> None:
        # As the file's own handler: logging never stops the app nor writes on its screen.
        return


#: The handlers configure added to the package's logger (stop removes them).
_handlers: list[logging.Handler] = []
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
    handler: logging.Handler
    if detailed:
        from tempmail_tui.core.log_handler import file_handler

        try:
            # Opened now, so a wrong path is a clear error before the app starts.
            handler = file_handler(path, detailed=True)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise LogFileError(f"cannot write the log file {path}: {reason}") from None
    else:
        # Created only when there is something to say.
        handler = _OnFirstRecord(path)
    logger.addHandler(handler)
    _handlers.append(handler)
    if detailed:
        logger.setLevel(logging.DEBUG)
        from tempmail_tui import __version__

        logger.info("tempmail-tui %s started (pid %d)", __version__, os.getpid())
    return _remember(LogSetup(path, detailed=detailed))


def stop() -> None:
    """Close the log file this process writes, if any (configure calls it first)."""
    global _current
    logger = logging.getLogger(ROOT_LOGGER)
    while _handlers:
        handler = _handlers.pop()
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.NOTSET)
    _current = None


def _remember(setup: LogSetup) -> LogSetup:
    global _current
    _current = setup
    return setup
