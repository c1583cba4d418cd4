"""The runnable sandbox: HTTP (uvicorn in its own thread) plus SMTP (aiosmtpd) on loopback."""

from __future__ import annotations

import secrets
import shlex
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, TextIO

import uvicorn

from tempmail_tui.sandbox.app import create_app
from tempmail_tui.sandbox.samples import SAMPLE_KINDS
from tempmail_tui.sandbox.smtp import DeliveryHandler, LoopbackController
from tempmail_tui.sandbox.state import SandboxState

# Exports are read with the core's store records: loaded only when a file is replayed.
if TYPE_CHECKING:
    from tempmail_tui.core.export import ExportedMessage

START_TIMEOUT_SECONDS = 5.0

SignalHandler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


def mask_key(key: str) -> str:
    """A key shortened for display: its ``sbx_`` prefix (if any) and last four characters."""
    prefix = "sbx_" if key.startswith("sbx_") else ""
    if len(key) - len(prefix) < 12:
        return f"{prefix}…"
    return f"{prefix}…{key[-4:]}"


def listen_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: a free one)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )[0]
    # An explicit IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto is TCP, and without it every keep-alive answer waits ~40 ms on delayed ACKs.
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    return sock


class SandboxServer:
    """A local Temp Mail API (and SMTP inbox) on loopback, for the demo and the tests."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        smtp_port: int | None = 0,
        api_key: str | None = None,
        quota_limit: int = 50_000,
        mailbox_ttl: int = 600,
        plan: str = "free",
    ) -> None:
        self.host = host
        self.api_key = api_key or "sbx_" + secrets.token_urlsafe(24)
        self._requested_port = port
        self._requested_smtp_port = smtp_port
        #: The bound HTTP port (the requested one until ``start`` binds it).
        self.port = port
        self.smtp_host = host
        #: The bound SMTP port, or None when SMTP is disabled.
        self.smtp_port = smtp_port
        self.state = SandboxState(
            default_key=self.api_key, plan=plan, quota_limit=quota_limit, mailbox_ttl=mailbox_ttl
        )
        self._uvicorn: uvicorn.Server | None = None
        self._http_thread: threading.Thread | None = None
        self._smtp: LoopbackController | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        where = self.base_url if self.running else "not running"
        return f"SandboxServer({where}, api_key={mask_key(self.api_key)!r})"

    @property
    def base_url(self) -> str:
        """The API base URL, ``http://HOST:PORT/api``."""
        return f"http://{self.host}:{self.port}/api"

    @property
    def control_url(self) -> str:
        """The base URL of the ``/_sandbox`` control endpoints."""
        return f"http://{self.host}:{self.port}/_sandbox"

    @property
    def running(self) -> bool:
        """Whether the HTTP side is serving."""
        return self._http_thread is not None and self._http_thread.is_alive()

    def start(self) -> None:
        """Start HTTP and SMTP; returns once both accept connections."""
        with self._lock:
            if self._http_thread is not None:
                raise RuntimeError("the sandbox server is already running")
            # Binding here (not in uvicorn) makes port 0 usable and the port known at once.
            http_sock = listen_socket(self.host, self._requested_port)
            try:
                self.port = http_sock.getsockname()[1]
                self.state.base_url = self.base_url
                self._start_http(http_sock)
                if self._requested_smtp_port is not None:
                    self._start_smtp(self._requested_smtp_port)
            except BaseException:
                http_sock.close()
                self._stop_locked()
                raise

    def _start_http(self, sock: socket.socket) -> None:
        config = uvicorn.Config(
            create_app(self.state),
            log_level="warning",
            access_log=False,
            lifespan="off",
            # None keeps uvicorn from reconfiguring the host program's logging.
            log_config=None,
            loop="asyncio",
            http="h11",
            ws="none",
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="sandbox-http", daemon=True
        )
        self._uvicorn, self._http_thread = server, thread
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the sandbox HTTP server failed to start")
            if time.monotonic() > deadline:
                raise TimeoutError("the sandbox HTTP server did not start in time")
            time.sleep(0.002)

    def _start_smtp(self, port: int) -> None:
        sock = listen_socket(self.host, port)
        try:
            controller = LoopbackController(DeliveryHandler(self.state), sock)
            self.smtp_port = sock.getsockname()[1]
            controller.start()
        except BaseException:
            sock.close()
            raise
        self._smtp = controller

    def stop(self) -> None:
        """Stop both servers and wait for their threads; safe to call twice."""
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        if self._smtp is not None:
            self._smtp.stop(no_assert=True)
            self._smtp = None
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
        if self._http_thread is not None:
            self._http_thread.join(timeout=10)
        self._uvicorn = None
        self._http_thread = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def populate_demo(server: SandboxServer) -> str:
    """Create a mailbox for the default key holding one sample of each kind; return its address."""
    mailbox = server.state.create_mailbox()
    for kind in SAMPLE_KINDS:
        server.state.add_sample(mailbox.email, kind)
    return mailbox.email


def run_foreground(
    *,
    port: int,
    smtp_port: int | None,
    api_key: str | None,
    samples: bool = True,
    out: TextIO | None = None,
    replayed: Sequence[ExportedMessage] = (),
) -> int:
    """Serve the sandbox until Ctrl-C (or SIGTERM), printing how to reach it; the exit code."""
    out = out or sys.stdout
    server = SandboxServer(port=port, smtp_port=smtp_port, api_key=api_key)
    try:
        server.start()
    except OSError as err:
        print(f"tempmail-tui sandbox: cannot listen: {err.strerror or err}", file=sys.stderr)
        return 1
    stop = threading.Event()
    previous = _on_sigterm(stop)
    try:
        smtp = f"{server.smtp_host}:{server.smtp_port}" if server.smtp_port else "disabled"
        auth = shlex.quote(f"Authorization: Bearer {server.api_key}")
        # The key is printed in full on purpose: it is a local sandbox key the user must paste.
        lines = [
            "Temp Mail sandbox running.",
            f"  base URL : {server.base_url}",
            f"  API key  : {server.api_key}",
            f"  SMTP     : {smtp}",
        ]
        if samples:
            lines.append(f"  mailbox  : {populate_demo(server)} (with sample mail)")
        if replayed:
            from tempmail_tui.sandbox.replay import replay

            box = replay(server.state, replayed)
            count = f"{len(replayed)} exported message{'s' * (len(replayed) != 1)}"
            lines.append(f"  replayed : {box.email} ({count})")
        lines += [
            f"  try      : curl -H {auth} '{server.base_url}/domains?type=free'",
            "Press Ctrl-C to stop.",
        ]
        print("\n".join(lines), file=out, flush=True)
        while not stop.wait(0.5):
            if not server.running:
                print("tempmail-tui sandbox: the HTTP server stopped", file=sys.stderr)
                return 1
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0


def _on_sigterm(stop: threading.Event) -> SignalHandler:
    # Signal handlers can only be set from the main thread.
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    return signal.signal(signal.SIGTERM, handler)
