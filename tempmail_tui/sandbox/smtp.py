"""The sandbox's SMTP side: an aiosmtpd handler and controller that deliver into live mailboxes."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

from aiosmtpd.controller import Controller

from tempmail_tui.sandbox.errors import SandboxError
from tempmail_tui.sandbox.mime import parse_mime
from tempmail_tui.sandbox.state import SandboxState

log = logging.getLogger(__name__)

#: Mails bigger than this are refused (552) at DATA.
MAX_MAIL_BYTES = 10 * 1024 * 1024


class DeliveryHandler:
    """aiosmtpd hooks: accept recipients that are live mailboxes, store what arrives."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    # The hook names are aiosmtpd's.
    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        """Refuse an address that is not a live sandbox mailbox."""
        if not self.state.is_live_address(address):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Parse the mail once and deliver it to every accepted recipient."""
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            draft = parse_mime(raw, envelope_from=envelope.mail_from or "")
        except Exception:
            # A mail the stdlib parser cannot handle is refused, not silently dropped.
            log.warning("sandbox SMTP: could not parse a %d-byte mail", len(raw), exc_info=True)
            return "554 5.6.0 Could not parse the message"
        delivered = 0
        for rcpt in envelope.rcpt_tos:
            try:
                self.state.deliver_draft(rcpt, draft)
                delivered += 1
            except SandboxError:
                # The mailbox expired or was deleted between RCPT and DATA.
                continue
        if not delivered:
            return "550 5.1.1 No such mailbox here"
        return "250 Message accepted for delivery"


class LoopbackController(Controller):
    """An aiosmtpd Controller serving on an already-bound socket (so port 0 works)."""

    def __init__(self, handler: DeliveryHandler, sock: socket.socket) -> None:
        host, port = sock.getsockname()[:2]
        self._sock = sock
        super().__init__(
            handler,
            hostname=host,
            port=port,
            # A fixed name: the default asks DNS for the host's FQDN, which can hang offline.
            server_hostname="sandbox.localhost",
            data_size_limit=MAX_MAIL_BYTES,
            ready_timeout=5.0,
        )

    def _create_server(self) -> Any:
        loop: asyncio.AbstractEventLoop = self.loop
        return loop.create_server(self._factory_invoker, sock=self._sock)
