"""Mail bodies as readable, bounded, safe text, HTML converted in a killable worker process.

HTML goes to html2text in a separate worker process (``core.render_worker``) that is
killed and replaced when a conversion takes too long, because html2text can loop forever
or grow quadratically on hostile input and a thread cannot be stopped.  Anything that
fails, times out or is too deeply nested is shown through ``fallback.strip_html``
instead, which is linear.  Whatever the path, the result goes through
``sanitize.clean_text`` last.  Importing this module is cheap: neither html2text nor
multiprocessing is imported until needed.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from tempmail_tui.core.html.links import web_links
from tempmail_tui.core.html.tokenizer import Kind, closes_itself, tokens
from tempmail_tui.core.render.fallback import strip_html
from tempmail_tui.core.render_worker import ENCODING, ENCODING_ERRORS
from tempmail_tui.core.sanitize import ELLIPSIS, clean_line, clean_text, coerce_text

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

__all__ = ["HtmlRenderer", "Rendered", "Source"]

Source = Literal["html2text", "fallback", "plain"]

# How long a freshly spawned worker may take to import html2text and report ready.
# Generous: it is paid once, in the background, and a loaded CI machine is slow.
STARTUP_TIMEOUT = 20.0
# After this many workers in a row fail to start, stop trying and always fall back.
MAX_START_FAILURES = 3
# Elements whose nesting makes html2text's output grow with depth times length.
_NESTING_TAGS = frozenset({"blockquote", "ul", "ol", "dl", "div", "table"})


@dataclass(frozen=True, slots=True)
class Rendered:
    """A mail body ready for display: clean text, its web links and how it was made."""

    text: str
    # Absolute http(s) links, in document order, without duplicates.
    links: tuple[str, ...]
    # One line for the reader when the text is simplified or shortened, else None.
    notice: str | None
    source: Source


def _nesting_exceeds(html: str, limit: int) -> bool:
    """Whether container elements nest deeper than ``limit`` (one linear pass over tags)."""
    depth = 0
    for token in tokens(html, only=_NESTING_TAGS):
        if token.kind is Kind.END:
            depth = max(depth - 1, 0)
        elif token.kind is Kind.START and not closes_itself(token.data):
            depth += 1
            if depth > limit:
                return True
    return False


class _WorkerGone(Exception):
    """The worker process could not be started or stopped answering."""


class _Worker:
    """One worker process and the parent's end of its socket."""

    def __init__(self) -> None:
        # Imported here, not at module level: they cost start-up time and are needed only
        # once the first HTML mail is opened.
        from multiprocessing.connection import Connection

        # A plain child process over a socket pair, not multiprocessing's spawn: spawn
        # starts a resource tracker that passes sys.stderr's descriptor on, and inside a
        # running Textual app sys.stderr is a capture object with no usable descriptor.
        # Not fork either: the UI process runs threads, and forking one can deadlock.
        parent_sock, child_sock = socket.socketpair()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "tempmail_tui.core.render_worker", str(child_sock.fileno())],
                pass_fds=(child_sock.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl+C in the terminal is the UI's, not the worker's
                env=_worker_environment(),
            )
        except BaseException:
            parent_sock.close()
            raise
        finally:
            child_sock.close()
        self.conn: Connection = Connection(parent_sock.detach())
        self.process: subprocess.Popen[bytes] = process
        self.ready = False
        self._disposed = False

    def is_alive(self) -> bool:
        """Whether the process is still running."""
        return self.process.poll() is None

    def kill(self) -> None:
        """Kill the process; safe from any thread and more than once."""
        if self._disposed:
            return
        # OSError: already reaped by someone else.
        with contextlib.suppress(OSError):
            self.process.kill()

    def dispose(self) -> None:
        """Kill the process, reap it and close the socket."""
        if self._disposed:
            return
        self.kill()
        self._disposed = True
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        self.conn.close()


def _worker_environment() -> dict[str, str]:
    """The worker's environment: the parent's, with this package importable."""
    env = dict(os.environ)
    # This file is tempmail_tui/core/render/renderer.py: four levels below the root.
    package_root = os.path.abspath(__file__)
    for _ in range(4):
        package_root = os.path.dirname(package_root)
    existing = env.get("PYTHONPATH")
    env["PYTHONPATH"] = package_root + (os.pathsep + existing if existing else "")
    return env


class _WorkerSlot:
    """Holds the current worker so that a finalizer can stop it without the renderer."""

    def __init__(self) -> None:
        self.worker: _Worker | None = None

    def shutdown(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.dispose()


def _describe_size(characters: int) -> str:
    if characters >= 1_000_000:
        return f"{characters / 1_000_000:g} MB"
    if characters >= 1_000:
        return f"{characters / 1_000:g} KB"
    return f"{characters} characters"


class HtmlRenderer:
    """Turns mail bodies into display text, converting HTML in a killable worker process.

    Thread-safe: conversions are serialised over the one worker.  The worker is spawned
    on the first HTML body (or by ``start``), reused, and replaced when it is killed
    for going over ``timeout`` seconds on a job.  Use as a context manager or call
    ``close``; it is also stopped at interpreter exit.
    """

    def __init__(
        self,
        *,
        timeout: float = 3.0,
        max_input: int = 5_000_000,
        max_output: int = 2_000_000,
        max_depth: int = 200,
    ) -> None:
        if timeout <= 0 or max_input < 1 or max_output < 1 or max_depth < 1:
            raise ValueError("renderer bounds must be positive")
        self.timeout = timeout
        self.max_input = max_input
        self.max_output = max_output
        self.max_depth = max_depth
        self._lock = threading.Lock()
        self._slot = _WorkerSlot()
        self._closed = False
        self._start_failures = 0
        self._finalizer = weakref.finalize(self, self._slot.shutdown)

    # -- life cycle

    def start(self) -> None:
        """Spawn the worker now, without waiting for it, so the first render is quick."""
        with self._lock:
            if not self._closed and self._slot.worker is None:
                self._spawn()

    def close(self) -> None:
        """Stop the worker; later HTML renders use the fallback.  Idempotent."""
        self._closed = True
        worker = self._slot.worker
        if worker is not None:
            # Killing first unblocks a render waiting on the pipe in another thread.
            worker.kill()
        with self._lock:
            self._finalizer()

    def __enter__(self) -> HtmlRenderer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def worker_pid(self) -> int | None:
        """The process id of the current worker, if one is running (for diagnostics)."""
        worker = self._slot.worker
        return None if worker is None else worker.process.pid

    # -- rendering

    def render(self, content: object, *, is_html: bool) -> Rendered:
        """Return ``content`` as clean display text; HTML is converted, plain text cleaned."""
        text = coerce_text(content)
        notices: list[str] = []
        if len(text) > self.max_input:
            text = text[: self.max_input]
            notices.append(
                f"The message is over {_describe_size(self.max_input)}; "
                "only its beginning is shown."
            )
        source: Source
        if not is_html:
            body, source = clean_text(text), "plain"
            links = web_links(body, is_html=False)
        elif not text.strip():
            # Nothing to convert: not worth waking (or spawning) the worker.
            body, source, links = "", "plain", ()
        else:
            links = web_links(text, is_html=True)
            body, source = self._render_html(text, notices)
        if len(body) > self.max_output:
            body = body[: self.max_output - 1] + ELLIPSIS
            notices.append(self._output_notice())
        notice = " ".join(dict.fromkeys(notices)) or None
        return Rendered(text=body, links=links, notice=notice, source=source)

    def _output_notice(self) -> str:
        return f"The text is over {_describe_size(self.max_output)}; only its beginning is shown."

    def _render_html(self, html: str, notices: list[str]) -> tuple[str, Source]:
        if _nesting_exceeds(html, self.max_depth):
            notices.append(
                f"The HTML is nested more than {self.max_depth} levels deep; "
                "showing a simplified version."
            )
            return strip_html(html), "fallback"
        try:
            converted, truncated = self._convert(html)
        except _WorkerGone as failure:
            notices.append(f"{failure}; showing a simplified version.")
            return strip_html(html), "fallback"
        text = clean_text(converted)
        if truncated:
            notices.append(self._output_notice())
            text = text[: self.max_output - 1] + ELLIPSIS
        return text, "html2text"

    def _convert(self, html: str) -> tuple[str, bool]:
        request = b"job\0%d\0" % self.max_output + html.encode(ENCODING, ENCODING_ERRORS)
        with self._lock:
            # A second attempt only if the worker vanished: it may have died between
            # jobs (killed from outside) in a way is_alive() did not see yet.
            for attempt in range(2):
                worker = self._ready_worker()
                try:
                    worker.conn.send_bytes(request)
                    if not worker.conn.poll(self.timeout):
                        self._replace_worker()
                        raise _WorkerGone(f"The HTML took over {self.timeout:g} s to convert")
                    # Four bytes a character at most, plus the header: anything longer
                    # is not an answer this worker can give.
                    reply = worker.conn.recv_bytes(4 * self.max_output + 64)
                    break
                except (EOFError, OSError):
                    self._replace_worker()
                    if attempt or self._closed:
                        raise _WorkerGone("The HTML converter stopped unexpectedly") from None
            else:  # pragma: no cover - the loop always breaks or raises
                raise _WorkerGone("The HTML converter stopped unexpectedly")
        status, _, rest = reply.partition(b"\0")
        if status == b"ok":
            flag, _, payload = rest.partition(b"\0")
            return payload.decode(ENCODING, ENCODING_ERRORS), flag == b"1"
        kind = clean_line(rest.decode(ENCODING, "replace").partition(":")[0], max_chars=60)
        raise _WorkerGone(f"The HTML could not be converted ({kind or 'unknown error'})")

    # The methods below run with self._lock held.

    def _spawn(self) -> _Worker:
        try:
            worker = _Worker()
        except Exception as exc:  # OSError, or RuntimeError when spawning is impossible
            self._start_failures += 1
            raise _WorkerGone("The HTML converter could not be started") from exc
        self._slot.worker = worker
        return worker

    def _ready_worker(self) -> _Worker:
        if self._closed:
            raise _WorkerGone("The HTML converter is closed")
        if self._start_failures >= MAX_START_FAILURES:
            raise _WorkerGone("The HTML converter is unavailable")
        worker = self._slot.worker
        if worker is not None and not worker.is_alive():
            # It died between jobs (killed from outside, out of memory): start afresh.
            self._slot.shutdown()
            worker = None
        if worker is None:
            worker = self._spawn()
        if not worker.ready:
            try:
                ok = worker.conn.poll(STARTUP_TIMEOUT) and worker.conn.recv_bytes(64) == b"ready"
            except (EOFError, OSError):
                ok = False
            if not ok:
                self._start_failures += 1
                self._slot.shutdown()
                raise _WorkerGone("The HTML converter did not start")
            worker.ready = True
            self._start_failures = 0
        return worker

    def _replace_worker(self) -> None:
        self._slot.shutdown()
        if not self._closed:
            # Spawned now so that it starts up while the fallback text is being made; if
            # that fails, the next render tries again.
            with contextlib.suppress(_WorkerGone):
                self._spawn()
