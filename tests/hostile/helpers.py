"""Shared tools of the hostile suite: payloads, a scriptable HTTP server, app and pty drivers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.content import Content
from textual.coordinate import Coordinate
from textual.pilot import Pilot
from textual.widgets import Static

from tempmail_tui.api.models import Mailbox
from tempmail_tui.core.config import Config
from tempmail_tui.core.store import Store
from tempmail_tui.ui.app import TempMailApp
from tempmail_tui.ui.widgets.mailbox_list import MailboxList
from tempmail_tui.ui.widgets.message_table import MessageTable
from tempmail_tui.ui.widgets.reader import ReaderPane

from ..app_helpers import wait_for

REPO_ROOT = Path(__file__).resolve().parents[2]
SIZE = (120, 36)

# -- payloads -------------------------------------------------------------------------------

#: Strings that Rich/Textual markup would interpret; each must be shown exactly as written.
MARKUP_CASES: tuple[str, ...] = (
    "[/]",
    "[bold]x",
    "[@click=app.quit]Win[/]",
    "[link=file:///etc/passwd]x[/]",
    "Price [50% off]",
)

#: The brief's headline escape-sequence mail, and friends of every family.
TERMINAL_HEADLINE = "Hi \x1b]52;c;cHduZWQ=\x1b\\\x1b]0;T\x1b\\\x1b[2J\x9b31m\u202etxt.exe"
OSC8_LINK = "\x1b]8;;http://evil\x1b\\x\x1b]8;;\x1b\\"
DCS_STRING = "\x1bPq#EVILDCS\x1b\\"
C1_CONTROLS = "\x85\x90\x9d"
BIDI_CONTROLS = "".join(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
TERMINAL_PAYLOAD = (
    TERMINAL_HEADLINE
    + " link:"
    + OSC8_LINK
    + " dcs:"
    + DCS_STRING
    + " c1:"
    + C1_CONTROLS
    + " bidi:"
    + BIDI_CONTROLS
    + " zw:"
    + ZERO_WIDTH
    + " end"
)

#: Bytes that must never reach a terminal: each is the wire form of one hostile payload.
FORBIDDEN_TERMINAL_BYTES: dict[str, bytes] = {
    "OSC 52 clipboard write": b"\x1b]52",
    "OSC 52 payload": b"cHduZWQ=",
    "OSC 0 title from the mail": b"]0;T",
    "OSC 8 hyperlink to evil": b"]8;;http://evil",
    "DCS payload": b"EVILDCS",
    "C1 CSI U+009B": "\x9b".encode(),
    "C1 NEL U+0085": "\x85".encode(),
    "C1 DCS U+0090": "\x90".encode(),
    "C1 OSC U+009D": "\x9d".encode(),
    **{f"bidi U+{ord(c):04X}": c.encode() for c in BIDI_CONTROLS},
    **{f"zero-width U+{ord(c):04X}": c.encode() for c in ZERO_WIDTH},
}

#: Characters that cleaned text must never contain (a widget would pass them to the terminal).
FORBIDDEN_CHARS = frozenset("\x1b\x07" + C1_CONTROLS + "\x9b\x9c" + BIDI_CONTROLS + ZERO_WIDTH)


def has_forbidden(text: str) -> bool:
    """Whether shown text still carries an escape, a C1 control or an invisible character."""
    return any(ch in FORBIDDEN_CHARS for ch in text)


# -- reading widgets ---------------------------------------------------------------------------


def plain(widget: Static) -> str:
    """The plain text a Static shows."""
    content = widget.content
    if isinstance(content, Text | Content):
        return content.plain
    return str(content)


def table(app: TempMailApp) -> MessageTable:
    """The message list."""
    return app.main.query_one(MessageTable)


def sidebar(app: TempMailApp) -> MailboxList:
    """The mailbox sidebar."""
    return app.main.query_one(MailboxList)


def reader(app: TempMailApp) -> ReaderPane:
    """The reader pane."""
    return app.main.query_one(ReaderPane)


def reader_part(app: TempMailApp, part: str) -> str:
    """What one block of the reader (``headers``, ``attachments`` or ``body``) shows."""
    return plain(reader(app).query_one(f"#{part}", Static))


def row_cells(app: TempMailApp, index: int) -> list[str]:
    """The plain text of every cell of one row of the message list."""
    return [cell.plain for cell in table(app).get_row_at(index)]


def all_rows(app: TempMailApp) -> list[list[str]]:
    """The plain text of every row of the message list."""
    return [row_cells(app, index) for index in range(table(app).row_count)]


def quota_line(app: TempMailApp) -> str:
    """The quota bar's text (it carries the last problem)."""
    from tempmail_tui.ui.widgets.quota_bar import QuotaBar

    return plain(app.main.query_one(QuotaBar))


def record_toasts(app: TempMailApp) -> list[str]:
    """Record the text of every notification the app raises from now on."""
    seen: list[str] = []
    original = app.notify

    def notify(message: str, *args: Any, **kwargs: Any) -> None:
        seen.append(message)
        original(message, *args, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    return seen


# -- driving the app ----------------------------------------------------------------------------


async def wait(
    pilot: Pilot[Any], predicate: Callable[[], object], *, timeout: float = 15.0, what: str = ""
) -> None:
    """``app_helpers.wait_for`` with a longer default for a loaded 2-core machine."""
    await wait_for(pilot, predicate, timeout=timeout, what=what)


async def create_box(app: TempMailApp, pilot: Pilot[Any]) -> str:
    """Create a mailbox with `n` and return its address once it is selected."""
    await wait(pilot, lambda: app.service is not None, what="service")
    await pilot.press("n")
    await wait(pilot, lambda: sidebar(app).selected_email is not None, what="new box")
    email = sidebar(app).selected_email
    assert email is not None
    return email


async def open_row(app: TempMailApp, pilot: Pilot[Any], index: int = 0) -> None:
    """Put the cursor on a row, press Enter and wait until the reader has the converted body."""
    message_table = table(app)
    message_table.focus()
    message_table.move_cursor(row=index, animate=False)
    await pilot.pause()
    wanted = message_table.coordinate_to_cell_key(Coordinate(index, 0)).row_key.value
    assert message_table.current_id == wanted, "the cursor is not on the row asked for"
    await pilot.press("enter")
    pane = reader(app)
    await wait(
        pilot,
        lambda: (
            pane.message is not None and pane.message.id == wanted and pane.rendered is not None
        ),
        what=f"message {wanted} opened",
        timeout=30,
    )


def row_of(app: TempMailApp, subject: str) -> int:
    """The index of the row showing this subject right now (rows move as mail comes and goes)."""
    subjects = [cells[2] for cells in all_rows(app)]
    assert subjects.count(subject) == 1, subjects
    return subjects.index(subject)


async def open_subject(app: TempMailApp, pilot: Pilot[Any], subject: str) -> None:
    """Open the message showing this subject in the list."""
    await open_row(app, pilot, row_of(app, subject))


def make_config(
    base_url: str,
    api_key: str,
    tmp_path: Path,
    *,
    poll_interval: float = 60.0,
    background_interval: float = 600.0,
    timeout: float = 5.0,
) -> Config:
    """A Config for the real app against any loopback server, polling only when asked."""
    return Config(
        base_url=base_url,
        api_key=api_key,
        api_key_source="flag",
        download_dir=tmp_path / "downloads",
        poll_interval=poll_interval,
        background_interval=background_interval,
        timeout=timeout,
    )


def seed_store(path: Path, emails: Sequence[str], *, lifetime: float = 3600.0) -> None:
    """Remember mailboxes in a store file, as if the app had created them earlier."""
    now = datetime.now(UTC).replace(microsecond=0)
    store = Store.open(path)
    try:
        for index, email in enumerate(emails):
            store.add_mailbox(
                Mailbox(
                    id=9000 + index,
                    email=email,
                    domain=email.rpartition("@")[2],
                    created_at=now,
                    expire_at=now + timedelta(seconds=lifetime),
                    expires_in_seconds=int(lifetime),
                    email_token="opaque-token",
                )
            )
    finally:
        store.close()


def app_for_server(
    base_url: str,
    api_key: str,
    tmp_path: Path,
    *,
    mailboxes: Sequence[str] = (),
    timeout: float = 5.0,
) -> TempMailApp:
    """The real app against a scripted server, with mailboxes it already knows of."""
    store_path = tmp_path / "store.sqlite3"
    if mailboxes:
        seed_store(store_path, mailboxes)
    config = make_config(base_url, api_key, tmp_path, timeout=timeout)
    return TempMailApp(config, store_path=store_path)


# -- the API's JSON shapes, for scripted servers ------------------------------------------------

DOMAIN = "inbox.test"


def mailbox_json(email: str, *, lifetime: int = 3600) -> dict[str, Any]:
    """The ``data`` of ``POST /emails``."""
    now = datetime.now(UTC).replace(microsecond=0)
    return {
        "id": 4242,
        "email": email,
        "domain": email.rpartition("@")[2],
        "expire_at": (now + timedelta(seconds=lifetime)).isoformat(),
        "expires_in_seconds": lifetime,
        "created_at": now.isoformat(),
        "email_token": "opaque-token",
    }


def message_json(
    message_id: str,
    *,
    to: str,
    subject: object = "Hello",
    sender: object = "Sender",
    content: object = "Body",
    html: object = False,
    attachments: object = (),
    received_at: object = "2026-06-28 10:57:25",
    **extra: object,
) -> dict[str, Any]:
    """One message object; every field can be given a hostile value."""
    body: dict[str, Any] = {
        "is_seen": False,
        "subject": subject,
        "from": sender,
        "from_email": "sender@example.org",
        "to": to,
        "receivedAt": received_at,
        "id": message_id,
        "html": html,
        "content": content,
        "attachments": list(attachments) if isinstance(attachments, tuple) else attachments,
    }
    body.update(extra)
    return body


def attachment_json(base_url: str, message_id: str, name: str, size: int) -> dict[str, Any]:
    """One attachment entry, its URL on the server's own origin."""
    from urllib.parse import quote

    return {
        "name": name,
        "extension": name.rpartition(".")[2],
        "size": size,
        "url": f"{base_url}/messages/{message_id}/attachments/{quote(name, safe='')}",
    }


def quota_headers(limit: int = 50_000, used: int = 100) -> dict[str, str]:
    """A consistent set of ``X-RateLimit-*`` headers."""
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Used": str(used),
        "X-RateLimit-Remaining": str(limit - used),
        "X-RateLimit-Reset": "2099-01-01T00:00:00+00:00",
    }


# -- a scriptable raw HTTP server ---------------------------------------------------------------


@dataclass
class RawRequest:
    """One request as the raw server read it (header names lower-cased)."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        """The target without its query."""
        return self.target.partition("?")[0]


def http_response(
    status: int,
    body: bytes | str | object = b"",
    headers: Mapping[str, str] | None = None,
    *,
    content_length: int | None = None,
) -> bytes:
    """A whole HTTP/1.1 response; non-bytes bodies are JSON; ``content_length`` may lie."""
    if isinstance(body, bytes):
        payload = body
    elif isinstance(body, str):
        payload = body.encode()
    else:
        payload = json.dumps(body).encode()
    length = len(payload) if content_length is None else content_length
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {length}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


class RawConnection:
    """The server side of one connection, as a handler sees it."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    async def send(self, data: bytes) -> None:
        """Write bytes and wait until the transport took them."""
        self._writer.write(data)
        await self._writer.drain()

    async def reset(self) -> None:
        """Abort the connection with a TCP RST instead of a clean close."""
        sock = self._writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._writer.transport.abort()

    async def wait_for(self, event: threading.Event, timeout: float = 15.0) -> bool:
        """Block this handler (not the server) until a test thread sets ``event``."""
        return await asyncio.to_thread(event.wait, timeout)


RawHandler = Callable[[RawRequest, RawConnection], Awaitable[None]]


class RawHttpServer:
    """An HTTP/1.1 server on 127.0.0.1 in its own thread; a handler scripts every byte."""

    def __init__(self, handler: RawHandler, *, max_body: int = 1 << 20) -> None:
        self.handler = handler
        self.max_body = max_body
        self.requests: list[RawRequest] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def base_url(self) -> str:
        """The API root on this server."""
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> RawHttpServer:
        """Listen and serve; returns once the port is bound."""
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        future.result(5)
        return self

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            request = await asyncio.wait_for(self._read(reader), 10)
            if request is None:
                return
            self.requests.append(request)
            await self.handler(request, RawConnection(writer))
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _read(self, reader: asyncio.StreamReader) -> RawRequest | None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) < 2:
            return None
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        body = await reader.readexactly(min(length, self.max_body)) if length else b""
        return RawRequest(parts[0], parts[1], headers, body)

    def stop(self) -> None:
        """Close the listener, cancel running handlers and stop the thread."""

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.sleep(0)

        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(5)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
            if not self._thread.is_alive():
                self._loop.close()

    def __enter__(self) -> RawHttpServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# -- child processes ---------------------------------------------------------------------------

# Run before the real program: the kernel kills the child (SIGKILL) when the test process
# dies, so no app outlives a test run that was itself killed.
_DIE_WITH_PARENT = (
    "import ctypes, os, sys\n"
    "ctypes.CDLL(None).prctl(1, 9)\n"  # PR_SET_PDEATHSIG, SIGKILL
    "os.execv(sys.argv[1], sys.argv[1:])\n"
)


def dies_with_us(argv: Sequence[str]) -> list[str]:
    """The command line that runs ``argv`` but is killed if this process dies (Linux)."""
    if not sys.platform.startswith("linux"):
        return list(argv)
    return [sys.executable, "-c", _DIE_WITH_PARENT, *argv]


# -- an app on a real pseudo-terminal -----------------------------------------------------------


@dataclass
class PtyApp:
    """A child process whose stdin, stdout and stderr are the slave side of a pty."""

    process: subprocess.Popen[bytes]
    master: int
    output: bytearray = field(default_factory=bytearray)

    @classmethod
    def spawn(
        cls, argv: Sequence[str], env: Mapping[str, str], *, columns: int = 120, lines: int = 36
    ) -> PtyApp:
        """Start ``argv`` on a new pty of the given size, in its own process group."""
        import fcntl
        import termios

        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        try:
            process = subprocess.Popen(
                dies_with_us(argv),
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=dict(env),
                cwd=REPO_ROOT,
                start_new_session=True,
                close_fds=True,
            )
        finally:
            os.close(slave)
        return cls(process, master)

    def pump(self, seconds: float) -> None:
        """Read whatever the child writes for this long."""
        self.read_until(lambda: False, timeout=seconds)

    def read_until(self, predicate: Callable[[], bool], *, timeout: float) -> bool:
        """Read the child's output until the predicate holds or the time is up."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate():
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select([self.master], [], [], min(left, 0.05))
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    chunk = b""
                if not chunk:
                    if self.process.poll() is not None:
                        return predicate()
                    continue
                self.output += chunk

    def saw(self, needle: bytes) -> bool:
        """Whether the output so far contains these bytes."""
        return needle in self.output

    def send(self, data: bytes) -> None:
        """Type bytes into the terminal."""
        os.write(self.master, data)

    def close(self, timeout: float = 10.0) -> int | None:
        """Let the child exit (reading its last output), else kill its whole process group."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self.pump(0.1)
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        with contextlib.suppress(OSError):
            os.close(self.master)
        return self.process.returncode


def child_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a child app: isolated dirs, no keyring, a real terminal type."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "PYTHONPATH": str(REPO_ROOT),
        "TZ": "UTC",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }
    env.update(extra)
    return env


def python() -> str:
    """The interpreter running the tests (the project's virtualenv)."""
    return sys.executable


@contextlib.contextmanager
def collected_logs() -> Iterator[list[str]]:
    """Every log record of every logger at DEBUG, formatted with tracebacks, while inside."""
    import logging

    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


# -- a tiny Temp Mail API whose answers a test can swap for hostile bytes -----------------------


class FakeApi:
    """The documented endpoints over the raw server, from an in-memory model or raw overrides."""

    def __init__(self, email: str) -> None:
        self.email = email
        self.messages: list[dict[str, Any]] = []
        #: Raw bytes answered to ``GET /messages`` instead of the model, when set.
        self.listing_body: bytes | None = None
        #: Raw bytes answered to ``GET /messages/{id}`` instead of the model, when set.
        self.read_body: bytes | None = None
        #: Raw bytes answered to ``POST /emails`` instead of the model, when set.
        self.create_body: bytes | None = None
        #: Attachment bytes by name, served from the documented download path.
        self.files: dict[str, bytes] = {}
        #: A scripted answer for downloads, used instead of ``files`` when set.
        self.download: RawHandler | None = None
        self.used = 0
        self.polls = 0
        self.server = RawHttpServer(self.handle)

    @property
    def base_url(self) -> str:
        """The API root."""
        return self.server.base_url

    def __enter__(self) -> FakeApi:
        self.server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.stop()

    def attachment(self, message_id: str, name: str, data: bytes) -> dict[str, Any]:
        """Serve ``data`` as an attachment and return its entry for a message."""
        self.files[name] = data
        return attachment_json(self.base_url, message_id, name, len(data))

    async def handle(self, request: RawRequest, conn: RawConnection) -> None:
        """Answer one request from the model (or an override)."""
        from urllib.parse import unquote

        path = request.path
        body: bytes
        status = 200
        if request.method == "GET" and path == "/api/messages":
            self.polls += 1
            body = (
                self.listing_body
                or json.dumps(
                    {"status": True, "mailbox": self.email, "messages": self.messages}
                ).encode()
            )
        elif request.method == "GET" and "/attachments/" in path:
            if self.download is not None:
                await self.download(request, conn)
                return
            name = unquote(path.rpartition("/")[2])
            if name in self.files:
                body = self.files[name]
            else:
                status, body = 404, b'{"status": false, "message": "Attachment not found."}'
        elif request.method == "GET" and path.startswith("/api/messages/"):
            wanted = unquote(path.rpartition("/")[2])
            found = next((m for m in self.messages if m.get("id") == wanted), None)
            if self.read_body is not None:
                body = self.read_body
            elif found is None:
                status, body = 404, b'{"status": false, "message": "Message not found."}'
            else:
                body = json.dumps({"status": True, "data": {**found, "is_seen": True}}).encode()
        elif request.method == "POST" and path == "/api/emails":
            body = (
                self.create_body
                or json.dumps({"status": True, "data": mailbox_json(self.email)}).encode()
            )
        elif request.method == "DELETE":
            body = b'{"status": true, "message": "Deleted."}'
        else:
            status, body = 404, b'{"status": false, "message": "Not found."}'
        if status == 200:
            self.used += 1
        await conn.send(http_response(status, body, quota_headers(used=self.used)))
