"""A real pseudo-terminal for a child process, read through pyte as a terminal would draw it."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pyte

#: Key names ``send`` understands, as the bytes an xterm sends for them.
KEYS: dict[str, bytes] = {
    "enter": b"\r",
    "escape": b"\x1b",
    "tab": b"\t",
    "shift+tab": b"\x1b[Z",
    "backspace": b"\x7f",
    "up": b"\x1b[A",
    "down": b"\x1b[B",
    "right": b"\x1b[C",
    "left": b"\x1b[D",
    "home": b"\x1b[H",
    "end": b"\x1b[F",
    "pageup": b"\x1b[5~",
    "pagedown": b"\x1b[6~",
    "ctrl+p": b"\x10",
    "ctrl+u": b"\x15",
    "ctrl+c": b"\x03",
}

#: After a lone Escape, Textual waits this long for more bytes before it takes it as the key.
ESCAPE_PAUSE = 0.2

# Text a crash leaves behind: Python's traceback header, Rich's boxed one, an exception's
# "SomeError: message", the app's "Unexpected error" toast (ui/failures.py) and the command
# line's catch-all message (cli/__init__.py). None of it is ever drawn by a session that works.
CRASH_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r"╭─+ Traceback"),
    re.compile(r"\b(?:[A-Z]\w*)?(?:Error|Exception): "),
    re.compile(r"(?i)\bunexpected error\b"),
    re.compile(r"\(details in the log\)"),
)

# Escape sequences (CSI, OSC, DCS and two-byte ones), removed before searching raw output.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1bP[^\x1b]*\x1b\\|\x1b[@-_]"
)

Expected = str | re.Pattern[str] | Callable[[str], bool]


def strip_escapes(data: bytes) -> str:
    """Raw terminal output as text with its escape sequences removed."""
    return _ESCAPES.sub("", data.decode("utf-8", "replace"))


def _crash_in(text: str) -> str | None:
    """The first crash text in ``text`` with some context, or None."""
    for pattern in CRASH_PATTERNS:
        found = pattern.search(text)
        if found is not None:
            return text[max(0, found.start() - 200) : found.end() + 600]
    return None


def _matches(expected: Expected, text: str) -> bool:
    """Whether the screen text satisfies a substring, a regular expression or a predicate."""
    if isinstance(expected, str):
        return expected in text
    if isinstance(expected, re.Pattern):
        return expected.search(text) is not None
    return expected(text)


def _describe(expected: Expected) -> str:
    """A readable name for what was waited for."""
    if isinstance(expected, str):
        return repr(expected)
    if isinstance(expected, re.Pattern):
        return f"/{expected.pattern}/"
    return getattr(expected, "__name__", "a condition")


class Terminal:
    """A child process on a pty of a fixed size; its output is drawn on a ``pyte.Screen``."""

    def __init__(
        self, process: subprocess.Popen[bytes], master: int, columns: int, lines: int
    ) -> None:
        """Take a started child and its pty's master side, and start reading what it draws."""
        self.process = process
        self.columns, self.lines = columns, lines
        self._master = master
        self._screen = pyte.Screen(columns, lines)
        self._stream = pyte.ByteStream(self._screen)
        self._lock = threading.Lock()
        self._raw = bytearray()
        self._closed = threading.Event()
        # A reader thread drains the pty all the time: a child blocked on a full pty buffer
        # would stop redrawing while the test sleeps.
        self._reader = threading.Thread(target=self._read_loop, name="pty-reader", daemon=True)
        self._reader.start()

    @classmethod
    def spawn(
        cls,
        argv: Sequence[str],
        env: Mapping[str, str],
        cwd: Path | str,
        columns: int = 120,
        lines: int = 36,
    ) -> Terminal:
        """Start ``argv`` on a new pty of ``columns`` x ``lines``, in a session of its own."""
        master, slave = os.openpty()
        # The size is set before the child starts so its first frame has the right layout.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        try:
            process = subprocess.Popen(
                list(argv),
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=dict(env),
                cwd=str(cwd),
                # A session of its own makes the pty its controlling terminal and lets the
                # teardown kill every process it started.
                start_new_session=True,
                close_fds=True,
            )
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        return cls(process, master, columns, lines)

    # Output -------------------------------------------------------------------------------

    def _read_loop(self) -> None:
        """Feed every byte the child writes to the screen until the pty closes."""
        while not self._closed.is_set():
            try:
                ready, _, _ = select.select([self._master], [], [], 0.05)
            except (OSError, ValueError):  # the descriptor was closed by ``close``
                return
            if not ready:
                continue
            try:
                chunk = os.read(self._master, 65536)
            except OSError:  # EIO: every process holding the slave side is gone
                chunk = b""
            if not chunk:
                self._closed.set()
                return
            with self._lock:
                self._raw += chunk
                self._stream.feed(chunk)

    @property
    def raw(self) -> bytes:
        """Every byte the child has written so far."""
        with self._lock:
            return bytes(self._raw)

    def screen_text(self) -> str:
        """What the terminal shows now, one line per row, trailing spaces removed."""
        with self._lock:
            return "\n".join(line.rstrip() for line in self._screen.display)

    def dump(self) -> str:
        """The screen framed for an assertion message."""
        rule = "-" * self.columns
        return f"{rule}\n{self.screen_text()}\n{rule}"

    # Input --------------------------------------------------------------------------------

    def send(self, data: bytes | str) -> None:
        """Type bytes, or a key from ``KEYS`` by name, or any other string as UTF-8 text."""
        if isinstance(data, str):
            data = KEYS.get(data, data.encode("utf-8"))
        os.write(self._master, data)
        if data == KEYS["escape"]:
            time.sleep(ESCAPE_PAUSE)

    def type(self, text: str, delay: float = 0.01) -> None:
        """Type text a character at a time, as a person (not a paste) would."""
        for char in text:
            os.write(self._master, char.encode("utf-8"))
            time.sleep(delay)

    # Waiting ------------------------------------------------------------------------------

    def wait_for(self, expected: Expected, timeout: float = 20.0, *, what: str = "") -> str:
        """Wait until the screen shows ``expected``; the screen text, or AssertionError.

        Crash text on the screen ends the wait at once: nothing good comes after it.
        """
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen_text()
            if _matches(expected, text):
                return text
            crash = _crash_in(text)
            if crash is not None:
                raise AssertionError(
                    f"crash text on screen while waiting for {what or _describe(expected)}:\n"
                    f"{crash}\nscreen:\n{self.dump()}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{what or 'the screen'} never showed {_describe(expected)} "
                    f"within {timeout:g} s (child exit status {self.process.poll()}); "
                    f"screen:\n{self.dump()}"
                )
            if self._closed.is_set() and self.process.poll() is not None:
                # Nothing more can arrive: fail now, with the last screen.
                timeout = 0
            time.sleep(0.05)

    def wait_gone(
        self, unexpected: Expected, timeout: float = 20.0, *, what: str = "", settle: float = 0.3
    ) -> str:
        """Wait until the screen no longer shows ``unexpected`` for ``settle`` s; the screen."""

        def gone(text: str) -> bool:
            """Whether the screen no longer shows it."""
            return not _matches(unexpected, text)

        gone.__name__ = f"no {_describe(unexpected)}"
        deadline = time.monotonic() + timeout
        while True:
            text = self.wait_for(gone, max(0.1, deadline - time.monotonic()), what=what)
            # A redraw underneath a dialog can blank one of its lines for a moment: it is
            # gone only if it stays gone (else the next key goes to a screen still open).
            settled = time.monotonic() + settle
            while gone(text) and time.monotonic() < settled:
                time.sleep(0.05)
                text = self.screen_text()
            if gone(text):
                return text

    def wait_exit(self, timeout: float = 15.0) -> int:
        """Wait for the child to exit and return its status (AssertionError on timeout)."""
        try:
            status = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"the child did not exit within {timeout:g} s; screen:\n{self.dump()}"
            ) from None
        # Its last frames are still in the pty: let the reader take them.
        self._closed.wait(2.0)
        return status

    # Checks -------------------------------------------------------------------------------

    def crash_text(self) -> str | None:
        """The first crash text on screen or anywhere in the output so far, or None."""
        return _crash_in(self.screen_text()) or _crash_in(strip_escapes(self.raw))

    def assert_no_traceback(self) -> None:
        """Fail if a traceback or an exception line was drawn or written at any point."""
        crash = self.crash_text()
        assert crash is None, f"crash text in the terminal:\n{crash}\nscreen:\n{self.dump()}"

    # Teardown -----------------------------------------------------------------------------

    def close(self) -> None:
        """Kill the child's whole session if it is still running and release the pty."""
        # The whole group, even after a clean exit: a helper the child started (the HTML
        # renderer's worker process) must not outlive the test.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        self._closed.set()
        self._reader.join(2.0)
        with contextlib.suppress(OSError):
            os.close(self._master)


def spawn(
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: Path | str,
    columns: int = 120,
    lines: int = 36,
) -> Terminal:
    """Start ``argv`` on a pty of the given size (see ``Terminal.spawn``)."""
    return Terminal.spawn(argv, env, cwd, columns, lines)
