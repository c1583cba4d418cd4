"""Replaying exported mail: messages of a ``tempmail-tui export`` file into a sandbox box."""

from __future__ import annotations

from collections.abc import Sequence

from tempmail_tui.core.export import ExportedMessage
from tempmail_tui.sandbox.records import MailDraft, SandboxAttachment, SandboxMailbox
from tempmail_tui.sandbox.state import SandboxState

#: Replayed attachments are this big at most: their bytes were never exported.
PLACEHOLDER_MAX_BYTES = 1_000_000


def _placeholder(name: str, size: int) -> SandboxAttachment:
    """A stand-in for an exported attachment: its name, and zeros of its size (capped)."""
    return SandboxAttachment.from_bytes(name, bytes(min(size, PLACEHOLDER_MAX_BYTES)))


def replay(state: SandboxState, messages: Sequence[ExportedMessage]) -> SandboxMailbox:
    """A new mailbox of the default account holding the messages, with their times and fields."""
    box = state.create_mailbox()
    # Oldest first (an export lists newest first): the box lists the last delivered first,
    # so the export's order comes back, ties included.
    for exported in sorted(reversed(messages), key=lambda e: e.message.received_at):
        m = exported.message
        draft = MailDraft(
            subject=m.subject,
            from_name=m.from_name,
            from_email=m.from_email,
            content=m.content,
            html=m.is_html,
            attachments=tuple(_placeholder(a.name, a.size) for a in m.attachments),
        )
        state.deliver_draft(box.email, draft, received_at=m.received_at)
    return box
