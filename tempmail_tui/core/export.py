"""Exported mail: stored messages as a JSON document or an mbox, and the JSON read back.

The JSON document (``FORMAT``, version 1) is what ``sandbox --replay`` reads::

    {"format": "tempmail-tui export", "version": 1, "exported_at": ISO,
     "messages": [{"id", "mailbox", "labels", "from", "from_email", "to", "subject",
                   "received_at", "is_seen", "is_html", "content",
                   "attachments": [{"name", "extension", "size", "url"}]}, ...]}

The mbox is rebuilt from those stored fields (the API never gives the original source), and
each message says so in an ``X-Tempmail-Reconstructed: yes`` header.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Final

from tempmail_tui.api.models import Attachment
from tempmail_tui.core.sanitize import clean_line
from tempmail_tui.core.store import StoredMessage
from tempmail_tui.errors import LocalError

FORMAT: Final = "tempmail-tui export"
VERSION: Final = 1
FORMATS: Final = ("json", "mbox")

# mboxrd: a body line starting with "From " (after any ">") gains one more ">".
_FROM_LINE: Final = re.compile(r"^(>*From )", re.MULTILINE)
_MAX_LINE: Final = 998
_POLICY: Final = policy.default.clone(linesep="\n", max_line_length=_MAX_LINE)


class ExportFormatError(LocalError):
    """A file that is not a tempmail-tui JSON export, or one this version cannot read."""


@dataclass(frozen=True, slots=True)
class ExportedMessage:
    """A stored message with the labels of its box, as exported."""

    message: StoredMessage
    labels: tuple[str, ...] = ()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def message_entry(exported: ExportedMessage) -> dict[str, object]:
    """One message of the JSON document."""
    m = exported.message
    return {
        "id": m.id,
        "mailbox": m.mailbox,
        "labels": list(exported.labels),
        "from": m.from_name,
        "from_email": m.from_email,
        "to": m.to,
        "subject": m.subject,
        "received_at": _iso(m.received_at),
        "is_seen": m.is_seen,
        "is_html": m.is_html,
        "content": m.content,
        "attachments": [
            {"name": a.name, "extension": a.extension, "size": a.size, "url": a.url}
            for a in m.attachments
        ],
    }


def to_json(messages: Sequence[ExportedMessage], now: datetime | None = None) -> str:
    """The JSON document, every non-ASCII and control character escaped."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _iso(now or datetime.now(UTC)),
        "messages": [message_entry(m) for m in messages],
    }
    # DEL is ASCII and json leaves it raw: escaped too, so the file is safe to cat.
    return json.dumps(document, ensure_ascii=True, indent=2).replace("\x7f", "\\u007f") + "\n"


def _header(text: str) -> str:
    """A header value from untrusted text: one line, no controls."""
    return clean_line(text, max_chars=900)


def _mbox_message(exported: ExportedMessage) -> str:
    """One message of the mbox: its "From " line, rebuilt headers and body."""
    m = exported.message
    mail = EmailMessage(policy=_POLICY)
    sender = _header(m.from_email) or "unknown@unknown.invalid"
    mail["From"] = formataddr((_header(m.from_name), sender))
    mail["To"] = _header(m.to) or _header(m.mailbox)
    mail["Subject"] = _header(m.subject)
    mail["Date"] = format_datetime(m.received_at.astimezone(UTC))
    mail["Message-ID"] = f"<{_header(m.id).replace(' ', '')}@tempmail-tui.invalid>"
    mail["X-Tempmail-Reconstructed"] = "yes"
    mail["X-Tempmail-Mailbox"] = _header(m.mailbox)
    if exported.labels:
        mail["X-Tempmail-Labels"] = ", ".join(_header(label) for label in exported.labels)
    for attachment in m.attachments:
        # The files are not part of the store: only what is known of them.
        mail["X-Tempmail-Attachment"] = f"{_header(attachment.name)}; size={attachment.size}"
    subtype = "html" if m.is_html else "plain"
    # Readable as it was written; lines too long for mail are quoted-printable instead.
    long_lines = any(len(line) > _MAX_LINE for line in m.content.splitlines())
    cte = "quoted-printable" if long_lines else "8bit"
    mail.set_content(m.content, subtype=subtype, cte=cte)
    body = _FROM_LINE.sub(r">\1", mail.as_string()).rstrip("\n")
    envelope = "".join(sender.split()) or "MAILER-DAEMON"
    stamp = m.received_at.astimezone(UTC).strftime("%a %b %d %H:%M:%S %Y")
    return f"From {envelope} {stamp}\n{body}\n\n"


def to_mbox(messages: Sequence[ExportedMessage]) -> str:
    """The messages as an mbox (mboxrd quoting), oldest first as mail programs expect."""
    ordered = sorted(messages, key=lambda e: e.message.received_at)
    return "".join(_mbox_message(m) for m in ordered)


# --- reading the JSON back -------------------------------------------------------------------


def _field(entry: Mapping[str, object], name: str, kind: type, where: str) -> object:
    value = entry.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ExportFormatError(f"{where}: {name!r} must be {kind.__name__}")
    return value


def _text(entry: Mapping[str, object], name: str, where: str) -> str:
    value = _field(entry, name, str, where)
    assert isinstance(value, str)
    return value


def _attachment(entry: object, where: str) -> Attachment:
    if not isinstance(entry, Mapping):
        raise ExportFormatError(f"{where}: an attachment must be an object")
    size = _field(entry, "size", int, where)
    assert isinstance(size, int)
    return Attachment(
        name=_text(entry, "name", where),
        extension=str(entry.get("extension") or ""),
        size=max(0, size),
        url=str(entry.get("url") or ""),
    )


def _message(entry: object, index: int, now: datetime) -> ExportedMessage:
    where = f"message {index + 1}"
    if not isinstance(entry, Mapping):
        raise ExportFormatError(f"{where}: not an object")
    try:
        received = datetime.fromisoformat(_text(entry, "received_at", where))
    except ValueError:
        raise ExportFormatError(f"{where}: 'received_at' is not an ISO date") from None
    if received.tzinfo is None:
        received = received.replace(tzinfo=UTC)
    attachments = entry.get("attachments", [])
    if not isinstance(attachments, list):
        raise ExportFormatError(f"{where}: 'attachments' must be a list")
    labels = entry.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise ExportFormatError(f"{where}: 'labels' must be a list of strings")
    message = StoredMessage(
        id=_text(entry, "id", where),
        subject=_text(entry, "subject", where),
        from_name=_text(entry, "from", where),
        from_email=_text(entry, "from_email", where),
        to=_text(entry, "to", where),
        received_at=received,
        is_seen=bool(entry.get("is_seen", False)),
        is_html=bool(_field(entry, "is_html", bool, where)),
        content=_text(entry, "content", where),
        attachments=tuple(_attachment(a, where) for a in attachments),
        mailbox=_text(entry, "mailbox", where),
        fetched_at=now,
        archived=True,
    )
    return ExportedMessage(message, tuple(labels))


def read_json(text: str) -> list[ExportedMessage]:
    """The messages of a JSON export; ``ExportFormatError`` says what is wrong with it."""
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ExportFormatError(f"not JSON: {error}") from None
    if not isinstance(document, Mapping) or document.get("format") != FORMAT:
        raise ExportFormatError(f"not a {FORMAT} file (see `export --format json`)")
    if document.get("version") != VERSION:
        raise ExportFormatError(f"export version {document.get('version')!r} is not {VERSION}")
    messages = document.get("messages")
    if not isinstance(messages, list):
        raise ExportFormatError("'messages' must be a list")
    now = datetime.now(UTC)
    return [_message(entry, index, now) for index, entry in enumerate(messages)]
