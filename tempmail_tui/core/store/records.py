"""What the store gives back (mailboxes, messages, sync results), and rows to and from them."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Final, Literal, cast

from tempmail_tui.api.models import Attachment, Message, display_sender

#: ``live`` until the server says otherwise; the others are "gone": mail kept, archived.
MailboxState = Literal["live", "expired", "deleted", "renamed"]
_MAILBOX_STATES: Final = ("live", "expired", "deleted", "renamed")
#: The states of a box the server no longer has.
GONE_STATES: Final = ("expired", "deleted", "renamed")


@dataclass(frozen=True, slots=True)
class StoredMailbox:
    """A mailbox the app knows about, with its local state."""

    email: str
    id: int | None
    domain: str
    created_at: datetime | None
    expire_at: datetime | None
    # Not the API key, but still never displayed or logged.
    email_token: str = field(repr=False)
    added_at: datetime
    state: MailboxState
    renamed_to: str | None
    manual: bool
    #: What the box was for, as the user labelled it (see core/labels.py).
    labels: tuple[str, ...] = ()

    @property
    def is_live(self) -> bool:
        """Whether the mailbox has not been deleted or renamed (it may still have expired)."""
        return self.state == "live"

    def is_expired(self, now: datetime | None = None) -> bool:
        """Whether the known expiry has passed; an unknown expiry never counts as expired."""
        if self.expire_at is None:
            return False
        return self.expire_at <= (now or datetime.now(UTC))


@dataclass(frozen=True, slots=True)
class MessageSummary:
    """A stored message as a list shows it: everything but the body, read when it is opened.

    A box of 5,000 newsletters holds megabytes of bodies: the list keeps none of them.
    """

    id: str
    subject: str
    from_name: str
    from_email: str
    to: str
    received_at: datetime
    is_seen: bool
    is_html: bool
    attachments: tuple[Attachment, ...]
    mailbox: str
    fetched_at: datetime
    archived: bool

    @property
    def sender(self) -> str:
        """The display form of the sender: name and address."""
        return display_sender(self.from_name, self.from_email)


@dataclass(frozen=True, slots=True)
class StoredMessage(MessageSummary):
    """A message as kept locally: the API fields plus where it lives and its local state."""

    content: str

    @classmethod
    def from_message(
        cls, msg: Message, mailbox: str, *, fetched_at: datetime, seen: bool | None = None
    ) -> StoredMessage:
        """A message from the server as the store would give it back (not stored)."""
        return cls(
            id=msg.id,
            subject=msg.subject,
            from_name=msg.from_name,
            from_email=msg.from_email,
            to=msg.to,
            received_at=msg.received_at,
            is_seen=msg.is_seen if seen is None else seen,
            is_html=msg.is_html,
            content=msg.content,
            attachments=msg.attachments,
            mailbox=mailbox,
            fetched_at=fetched_at,
            archived=False,
        )

    @classmethod
    def of(cls, summary: MessageSummary, content: str) -> StoredMessage:
        """A summary with its body (as the store holds it for that row)."""
        return cls(**_summary_fields(summary), content=content)

    def summary(self) -> MessageSummary:
        """The same message without its body, as the list holds it."""
        return MessageSummary(**_summary_fields(self))

    def to_message(self) -> Message:
        """The same message as an API ``Message`` record."""
        return Message(
            id=self.id,
            subject=self.subject,
            from_name=self.from_name,
            from_email=self.from_email,
            to=self.to,
            received_at=self.received_at,
            is_seen=self.is_seen,
            is_html=self.is_html,
            content=self.content,
            attachments=self.attachments,
        )


_SUMMARY_FIELDS: Final = tuple(f.name for f in fields(MessageSummary))


def _summary_fields(message: MessageSummary) -> dict[str, Any]:
    """A message's fields but the body, by name."""
    return {name: getattr(message, name) for name in _SUMMARY_FIELDS}


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What a sync changed: ids that are new, changed, or no longer on the server."""

    new: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    archived: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        """Whether anything changed at all."""
        return bool(self.new or self.changed or self.archived)


def to_db(dt: datetime) -> str:
    """A datetime as a fixed-width ISO UTC string, so text order is time order."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def from_db(text: str) -> datetime:
    """A datetime written by ``to_db`` back as an aware UTC datetime."""
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is UTC:
        return dt  # as ``to_db`` writes it: thousands of rows are read at start-up
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _opt_from_db(text: str | None) -> datetime | None:
    return None if text is None else from_db(text)


def encode_attachments(attachments: Sequence[Attachment]) -> str:
    """Attachments as the JSON text of a message row."""
    return json.dumps(
        [
            {"name": a.name, "extension": a.extension, "size": a.size, "url": a.url}
            for a in attachments
        ],
        ensure_ascii=False,
    )


def _decode_attachments(raw: str) -> tuple[Attachment, ...]:
    """Attachments back from JSON, skipping anything malformed rather than failing the read."""
    try:
        items = json.loads(raw)
    except ValueError:
        return ()
    if not isinstance(items, list):
        return ()
    out: list[Attachment] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        try:
            out.append(
                Attachment(
                    name=str(item["name"]),
                    extension=str(item["extension"]),
                    size=int(item["size"]),
                    url=str(item["url"]),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return tuple(out)


# A JSON escape such as \ud800 decodes to a surrogate half, which SQLite cannot store.
_SURROGATE_RE: Final = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """Text SQLite can store: a pair written as halves is joined, a lone half becomes U+FFFD."""
    if _SURROGATE_RE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


#: The columns ``message_from_row`` reads, in its order.
MESSAGE_COLUMNS: Final = (
    "id, mailbox, subject, from_name, from_email, to_addr, received_at, is_seen, is_html, "
    "content, attachments, fetched_at, archived"
)
#: The columns ``summary_from_row`` reads, in its order: those of ``MESSAGE_COLUMNS`` but the body.
SUMMARY_COLUMNS: Final = (
    "id, mailbox, subject, from_name, from_email, to_addr, received_at, is_seen, is_html, "
    "attachments, fetched_at, archived"
)
#: The columns ``mailbox_from_row`` reads, in its order.
MAILBOX_COLUMNS: Final = (
    "email, id, domain, created_at, expire_at, email_token, added_at, state, renamed_to, manual, "
    "labels"
)


def mailbox_from_row(row: sqlite3.Row | tuple[Any, ...]) -> StoredMailbox:
    """A mailbox from a row of ``MAILBOX_COLUMNS``; an unknown state reads as deleted."""
    state = str(row[7])
    return StoredMailbox(
        email=row[0],
        id=row[1],
        domain=row[2],
        created_at=_opt_from_db(row[3]),
        expire_at=_opt_from_db(row[4]),
        email_token=row[5],
        added_at=from_db(row[6]),
        state=cast(MailboxState, state if state in _MAILBOX_STATES else "deleted"),
        renamed_to=row[8],
        manual=bool(row[9]),
        labels=decode_labels(row[10]),
    )


def decode_labels(raw: object) -> tuple[str, ...]:
    """The labels column (a JSON list of strings); anything else reads as no labels."""
    if raw == "[]":
        return ()  # most boxes: no parsing
    try:
        value = json.loads(str(raw))
    except ValueError:
        return ()
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, str))


def encode_labels(labels: Sequence[str]) -> str:
    """Labels as the labels column holds them."""
    return json.dumps(list(labels), ensure_ascii=False)


def message_from_row(row: sqlite3.Row | tuple[Any, ...]) -> StoredMessage:
    """A message from a row of ``MESSAGE_COLUMNS``."""
    return StoredMessage(
        id=row[0],
        mailbox=row[1],
        subject=row[2],
        from_name=row[3],
        from_email=row[4],
        to=row[5],
        received_at=from_db(row[6]),
        is_seen=bool(row[7]),
        is_html=bool(row[8]),
        content=row[9],
        attachments=_decode_attachments(row[10]),
        fetched_at=from_db(row[11]),
        archived=bool(row[12]),
    )


class SharedValues:
    """Values the rows of a box repeat (its address, senders, fetch times), one object each.

    SQLite gives a new string for every column of every row: a list of 5,000 mails would
    otherwise hold 5,000 copies of its own address.
    """

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self._moments: dict[str, datetime] = {}

    def text(self, value: str) -> str:
        """The one copy of this text."""
        return self._texts.setdefault(value, value)

    def moment(self, text: str) -> datetime:
        """The one datetime of this ``to_db`` text."""
        found = self._moments.get(text)
        if found is None:
            found = self._moments[text] = from_db(text)
        return found


def summary_from_row(
    row: sqlite3.Row | tuple[Any, ...], shared: SharedValues | None = None
) -> MessageSummary:
    """A message without its body from a row of ``SUMMARY_COLUMNS``."""
    values = shared if shared is not None else SharedValues()
    return MessageSummary(
        id=row[0],
        mailbox=values.text(row[1]),
        subject=row[2],
        from_name=values.text(row[3]),
        from_email=values.text(row[4]),
        to=values.text(row[5]),
        received_at=from_db(row[6]),
        is_seen=bool(row[7]),
        is_html=bool(row[8]),
        attachments=_decode_attachments(row[9]),
        fetched_at=values.moment(row[10]),
        archived=bool(row[11]),
    )
