"""What a row of the message list shows, made from a message alone (no widget)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from rich.cells import cell_len
from rich.text import Text

from tempmail_tui.api.models import UnreadableMessage
from tempmail_tui.core.format import local_time
from tempmail_tui.core.sanitize import clean_line
from tempmail_tui.core.store import MessageSummary

#: The Received column of an empty list: as wide as its header.
EMPTY_DATE_WIDTH = len("Received")
#: The widest form ``local_time`` gives ("24 Nov 12:47"), which the layout is planned around.
WIDEST_DATE = 12


COLUMNS = (
    ("flags", " ", 2),
    ("from", "From", 24),
    ("subject", "Subject", 40),
    ("date", "Received", WIDEST_DATE),
)

# What a row is made from: when these are unchanged, so is the row.
RowInputs = tuple[bool, bool, bool, str, str, str, datetime]

# Rows of unreadable messages are keyed apart from message ids: a NUL cannot be typed and no
# real id is expected to start with one (a hostile one that does just fails to be shown).
_MARK_PREFIX = "\x00unreadable\x00"
_WARNING = "yellow"


@dataclass(frozen=True, slots=True)
class RowView:
    """The cleaned, display-ready cells of one message row."""

    flags: Text
    sender: Text
    subject: Text
    date: Text

    def cells(self) -> tuple[Text, Text, Text, Text]:
        """The cells in column order."""
        return (self.flags, self.sender, self.subject, self.date)


def row_view(message: MessageSummary, now: datetime | None = None) -> RowView:
    """Build the row for a message; everything from the server is cleaned and kept as Text."""
    style = "" if message.is_seen else "bold"
    if message.archived:
        style = "dim"
    flag = ("●" if not message.is_seen else " ") + ("+" if message.attachments else " ")
    sender = clean_line(message.from_name or message.from_email, max_chars=120) or "(unknown)"
    subject = clean_line(message.subject, max_chars=300) or "(no subject)"
    return RowView(
        flags=Text(flag, style="bold" if not message.is_seen else "dim"),
        sender=Text(sender, style=style, no_wrap=True, overflow="ellipsis"),
        subject=Text(subject, style=style, no_wrap=True, overflow="ellipsis"),
        date=Text(
            local_time(message.received_at, now=now), style="dim" if message.is_seen else style
        ),
    )


def unreadable_view(entry: UnreadableMessage) -> RowView:
    """The warning row of a message the server sent but that could not be read."""
    # The id is the server's: cleaned, and kept as Text so it is never parsed as markup.
    label = clean_line(entry.id, max_chars=120) if entry.id is not None else ""
    return RowView(
        flags=Text("! ", style=f"bold {_WARNING}"),
        sender=Text(label or f"message #{entry.index + 1}", style=_WARNING, no_wrap=True),
        subject=Text(
            f"could not read this message: {entry.reason}",
            style=f"italic {_WARNING}",
            no_wrap=True,
            overflow="ellipsis",
        ),
        date=Text(""),
    )


def mark_key(entry: UnreadableMessage) -> str:
    """The row key of an unreadable message: by id when it has one, else by its place."""
    return _MARK_PREFIX + (f"id:{entry.id}" if entry.id is not None else f"#{entry.index}")


def row_inputs(message: MessageSummary) -> RowInputs:
    """The fields ``row_view`` reads, to tell whether a cached row is still right."""
    return (
        message.is_seen,
        message.archived,
        bool(message.attachments),
        message.from_name,
        message.from_email,
        message.subject,
        message.received_at,
    )


def date_width(messages: Sequence[MessageSummary], now: datetime | None = None) -> int:
    """The width of the widest Received cell these messages show (``local_time``'s forms).

    One message of each form (today, this year, earlier) is formatted; the rest are only
    compared with the local day's and year's bounds, so a large box costs a millisecond.
    """
    if not messages:
        return EMPTY_DATE_WIDTH
    local_now = (now or datetime.now(UTC)).astimezone()
    today = local_now.date()
    day_start = _local_midnight(today)
    day_end = _local_midnight(today + timedelta(days=1))
    year_start = _local_midnight(date(today.year, 1, 1))
    year_end = _local_midnight(date(today.year + 1, 1, 1))
    samples: dict[str, datetime] = {}
    for message in messages:
        moment = message.received_at
        if day_start <= moment < day_end:
            form = "today"
        elif year_start <= moment < year_end:
            form = "this year"
        else:
            form = "earlier"
        if form not in samples:
            samples[form] = moment
            if len(samples) == 3:
                break
    return max(cell_len(local_time(moment, now=now)) for moment in samples.values())


def _local_midnight(day: date) -> datetime:
    """The start of a local day, in UTC (as arrival times are)."""
    # A naive local midnight made aware by astimezone() gets its own date's UTC offset. In
    # UTC, aware times of one tzinfo compare without asking it for offsets: five times
    # faster (a 5,000-mail box took 6 ms in date_width, on every poll).
    return datetime(day.year, day.month, day.day).astimezone().astimezone(UTC)


def local_day(now: datetime | None) -> date:
    """The local date that relative times in the list are shown against."""
    return (now or datetime.now(UTC)).astimezone().date()
