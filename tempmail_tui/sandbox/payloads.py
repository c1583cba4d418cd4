"""The JSON shapes of the API's answers, built field for field from the sandbox's records."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from tempmail_tui.sandbox.records import SandboxDomain, SandboxMailbox, SandboxMessage


def iso(moment: datetime) -> str:
    """An ISO-8601 timestamp in UTC with its ``+00:00`` offset, to the second."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def received_at(moment: datetime) -> str:
    """The ``receivedAt`` form: ``YYYY-MM-DD HH:MM:SS`` in UTC, no offset."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def error_body(message: str) -> dict[str, Any]:
    """The error envelope."""
    return {"status": False, "message": message}


def domains_body(
    requested: str, allowed: tuple[str, ...], domains: tuple[SandboxDomain, ...]
) -> dict[str, Any]:
    """The answer of ``GET /domains``."""
    return {
        "status": True,
        "data": {
            "requested_type": requested,
            "allowed_types": list(allowed),
            "domains": [{"domain": d.domain, "type": d.type, "custom": d.custom} for d in domains],
        },
    }


def mailbox_body(mailbox: SandboxMailbox, now: datetime) -> dict[str, Any]:
    """The answer of ``POST /emails`` and of a rename."""
    left = max(0, math.ceil((mailbox.expire_at - now).total_seconds()))
    return {
        "status": True,
        "data": {
            "id": mailbox.id,
            "email": mailbox.email,
            "domain": mailbox.domain,
            "expire_at": iso(mailbox.expire_at),
            "expires_in_seconds": left,
            "created_at": iso(mailbox.created_at),
            "email_token": mailbox.email_token,
        },
    }


def attachment_url(base_url: str, message_id: str, name: str) -> str:
    """Where an attachment downloads from (its name percent-encoded as one path segment)."""
    segment = quote(name, safe="")
    if segment in (".", ".."):
        # A bare dot segment would be resolved away by URL normalisation; %2E is kept.
        segment = segment.replace(".", "%2E")
    return f"{base_url}/messages/{quote(message_id, safe='')}/attachments/{segment}"


def message_json(message: SandboxMessage, base_url: str) -> dict[str, Any]:
    """One message as the list and the read endpoint show it."""
    return {
        "is_seen": message.is_seen,
        "subject": message.subject,
        "from": message.from_name,
        "from_email": message.from_email,
        "to": message.to,
        "receivedAt": received_at(message.received_at),
        "id": message.id,
        "html": message.html,
        "content": message.content,
        "attachments": [
            {
                "name": a.name,
                "extension": a.extension,
                "size": a.size,
                "url": attachment_url(base_url, message.id, a.name),
            }
            for a in message.attachments
        ],
    }


def messages_body(
    mailbox: SandboxMailbox, messages: list[SandboxMessage], base_url: str
) -> dict[str, Any]:
    """The answer of ``GET /messages``."""
    return {
        "status": True,
        "mailbox": mailbox.email,
        "messages": [message_json(m, base_url) for m in messages],
    }


def message_body(message: SandboxMessage, base_url: str) -> dict[str, Any]:
    """The answer of ``GET /messages/{id}``."""
    return {"status": True, "data": message_json(message, base_url)}


def done_body(message: str) -> dict[str, Any]:
    """The answer of a successful delete."""
    return {"status": True, "message": message}
