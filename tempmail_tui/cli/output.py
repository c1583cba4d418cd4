"""What the command line prints: lines and JSON records on stdout, one-line notes on stderr."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tempmail_tui.core import logfile

if TYPE_CHECKING:
    from tempmail_tui.api.models import Mailbox, Message, UnreadableMessage
    from tempmail_tui.core.results import Fetched
    from tempmail_tui.core.store import OpeningNotice, StoredMailbox

# The formatters and the sanitizer load in the functions that print records: the reader
# starts through this module (say, log_pointer) and its first frame does without them.

PROG = "tempmail-tui"

#: At most this many unreadable messages are named in one warning.
_UNREADABLE_NAMED = 5
# The key in Notes for "the store could not keep the fetched mail".
_STORE_WARNING = "\x00store"


def say(message: str) -> None:
    """One line on stderr, after the program's name."""
    # Messages may quote environment values or paths; escapes in them must not reach the terminal.
    clean = "".join(ch if ch.isprintable() else "?" for ch in message)
    print(f"{PROG}: {clean}", file=sys.stderr)


def say_opening(notice: OpeningNotice) -> None:
    """Say what holds up the opening of the store (a long upgrade, or waiting for one)."""
    # Its end is not said: the command's own output follows at once.
    if notice.kind in ("upgrading", "waiting"):
        say(notice.text)


def log_pointer() -> str:
    """Where the traceback of a failure was written, as a clause to end a message with."""
    setup = logfile.current()
    if setup is None or not setup.written():
        return ""
    return f"; the details are in {setup.path}"


def out(text: str) -> None:
    """One line on stdout."""
    # A terminal that cannot show a character gets "?" rather than a crash.
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    print(text.encode(encoding, "replace").decode(encoding))


def out_json(value: object) -> None:
    """A value as indented JSON on stdout, every non-ASCII and control character escaped."""
    import json

    # ensure_ascii escapes C0, C1, bidi and every other non-ASCII character; DEL is ASCII and
    # left raw by json, and can only occur inside a string, so it is escaped here.
    out(json.dumps(value, ensure_ascii=True, indent=2).replace("\x7f", "\\u007f"))


class Notes:
    """Warnings on stderr, each said once per run however often its cause comes back."""

    def __init__(self) -> None:
        self._said: set[str] = set()

    def fetched(self, fetched: Fetched) -> None:
        """Say which messages of a listing could not be read, and if its mail was not kept."""
        self.unreadable(fetched.unreadable)
        if fetched.store_error is not None and _STORE_WARNING not in self._said:
            # A read-only or full store must not cost the user the mail: it is printed anyway.
            self._said.add(_STORE_WARNING)
            say(f"warning: {fetched.store_error}; the messages are printed but not kept")

    def unreadable(self, unreadable: Sequence[UnreadableMessage]) -> None:
        """Say which messages could not be read, each once per run."""
        from tempmail_tui.core.sanitize import clean_line

        fresh = [entry for entry in unreadable if entry.label not in self._said]
        if not fresh:
            return
        self._said.update(entry.label for entry in fresh)
        count = len(fresh)
        named = "; ".join(
            f"{clean_line(entry.label, max_chars=80) or f'#{entry.index + 1}'}: {entry.reason}"
            for entry in fresh[:_UNREADABLE_NAMED]
        )
        more = f"; and {count - _UNREADABLE_NAMED} more" if count > _UNREADABLE_NAMED else ""
        say(f"warning: {count} message{'s' * (count != 1)} could not be read: {named}{more}")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def mailbox_record(mailbox: Mailbox) -> dict[str, object]:
    """The JSON form of a mailbox the API returned, without its email_token."""
    return {
        "id": mailbox.id,
        "email": mailbox.email,
        "domain": mailbox.domain,
        "created_at": _iso(mailbox.created_at),
        "expire_at": _iso(mailbox.expire_at),
        "expires_in_seconds": mailbox.expires_in_seconds,
    }


def _state(box: StoredMailbox, now: datetime) -> str:
    return "expired" if box.state == "live" and box.is_expired(now) else box.state


def stored_mailbox_record(
    box: StoredMailbox, unread: int, now: datetime | None = None
) -> dict[str, object]:
    """The JSON form of a mailbox the store knows, with its state as of ``now``."""
    now = now or datetime.now(UTC)
    left = None if box.expire_at is None else max(0, int((box.expire_at - now).total_seconds()))
    return {
        "email": box.email,
        "id": box.id,
        "domain": box.domain,
        "state": _state(box, now),
        "created_at": _iso(box.created_at),
        "expire_at": _iso(box.expire_at),
        "seconds_left": left,
        "added_at": _iso(box.added_at),
        "renamed_to": box.renamed_to,
        "manual": box.manual,
        "unread": unread,
        "labels": list(box.labels),
    }


def box_row(box: StoredMailbox, unread: int, now: datetime) -> str:
    """One tab-separated line: address, state, expiry, unread count, labels (all cleaned)."""
    from tempmail_tui.core.format import human_duration, local_minute
    from tempmail_tui.core.sanitize import clean_line

    if box.state == "renamed" and box.renamed_to:
        expiry = f"renamed to {clean_line(box.renamed_to)}"
    elif not box.is_live:
        expiry = "-"
    elif box.expire_at is None:
        expiry = "expiry unknown"
    elif box.expire_at <= now:
        expiry = f"expired {local_minute(box.expire_at)}"
    else:
        left = human_duration((box.expire_at - now).total_seconds())
        expiry = f"expires {local_minute(box.expire_at)} ({left} left)"
    return "\t".join(
        (clean_line(box.email), _state(box, now), expiry, f"{unread} unread", label_list(box))
    )


def label_list(box: StoredMailbox) -> str:
    """A box's labels as one cleaned field, separated by commas ("-" for none)."""
    from tempmail_tui.core.sanitize import clean_line

    # A label never holds a comma (core/labels.py), so the list reads back unambiguously.
    return ", ".join(clean_line(label) for label in box.labels) or "-"


def message_record(message: Message, mailbox: str | None) -> dict[str, object]:
    """The JSON form of a message, content included."""
    return {
        "id": message.id,
        "mailbox": mailbox,
        "from": message.from_name,
        "from_email": message.from_email,
        "to": message.to,
        "subject": message.subject,
        "received_at": _iso(message.received_at),
        "is_seen": message.is_seen,
        "is_html": message.is_html,
        "attachments": [
            {"name": a.name, "extension": a.extension, "size": a.size, "url": a.url}
            for a in message.attachments
        ],
        "content": message.content,
    }


def message_row(message: Message) -> str:
    """One tab-separated line: id, local receive time, sender, subject (all cleaned)."""
    from tempmail_tui.core.format import local_minute
    from tempmail_tui.core.sanitize import clean_line

    # clean_line turns tabs into spaces, so the tabs here stay the only separators.
    return "\t".join(
        (
            clean_line(message.id),
            local_minute(message.received_at),
            clean_line(message.sender) or "(no sender)",
            clean_line(message.subject) or "(no subject)",
        )
    )


def headers(message: Message) -> str:
    """The header lines ``read`` prints above the body (all cleaned)."""
    from tempmail_tui.core.format import full_local_time, human_size
    from tempmail_tui.core.sanitize import clean_line

    lines = [
        f"From: {clean_line(message.sender)}",
        f"To: {clean_line(message.to)}",
        f"Date: {full_local_time(message.received_at)}",
        f"Subject: {clean_line(message.subject)}",
        f"Id: {clean_line(message.id)}",
    ]
    if message.attachments:
        files = ", ".join(
            f"{clean_line(a.name)} ({human_size(a.size)})" for a in message.attachments
        )
        lines.append(f"Attachments: {files}")
    return "\n".join(lines)
