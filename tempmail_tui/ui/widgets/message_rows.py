"""What a row of the message list shows, made from a message alone (no widget)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions
from rich.measure import Measurement
from rich.style import StyleType
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


class Cell:
    """One cell of the list: its cleaned text and style, made into a ``Text`` only when drawn.

    A 20,000-mail box keeps 80,000 cells; as ``Text`` each held its own copy of the string,
    a list of it and a list of spans (about 1 KB a row, a third of the list's memory). Only
    the rows on screen are drawn, and DataTable keeps what it drew. It is never markup.
    """

    __slots__ = ("cut", "plain", "style")

    def __init__(self, plain: str, style: StyleType = "", *, cut: bool = False) -> None:
        self.plain = plain
        self.style = style
        # Cut with an ellipsis at the column's edge rather than wrapped (sender, subject).
        self.cut = cut

    def __repr__(self) -> str:
        return f"Cell({self.plain!r}, {self.style!r})"

    def __rich__(self) -> Text:
        """The cell as Rich draws it (DataTable hands a renderable on as it is)."""
        if self.cut:
            return Text(self.plain, style=self.style, no_wrap=True, overflow="ellipsis")
        return Text(self.plain, style=self.style)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        """The width the cell's text needs, as its ``Text`` would say."""
        return self.__rich__().__rich_measure__(console, options)


#: The flags column's cells: unread or not, with attachments or not (one of each, shared).
_FLAGS = {
    (seen, attached): Cell(
        ("●" if not seen else " ") + ("+" if attached else " "), "dim" if seen else "bold"
    )
    for seen in (False, True)
    for attached in (False, True)
}
_UNREADABLE_FLAGS = Cell("! ", f"bold {_WARNING}")
_NO_DATE = Cell("")


@dataclass(frozen=True, slots=True)
class RowView:
    """The cleaned, display-ready cells of one message row."""

    flags: Cell
    sender: Cell
    subject: Cell
    date: Cell

    def cells(self) -> tuple[Cell, Cell, Cell, Cell]:
        """The cells in column order."""
        return (self.flags, self.sender, self.subject, self.date)


def row_view(message: MessageSummary, now: datetime | None = None) -> RowView:
    """Build the row for a message; everything from the server is cleaned and never markup."""
    style = "" if message.is_seen else "bold"
    if message.archived:
        style = "dim"
    sender = clean_line(message.from_name or message.from_email, max_chars=120) or "(unknown)"
    subject = clean_line(message.subject, max_chars=300) or "(no subject)"
    return RowView(
        flags=_FLAGS[message.is_seen, bool(message.attachments)],
        sender=Cell(sender, style, cut=True),
        subject=Cell(subject, style, cut=True),
        date=Cell(local_time(message.received_at, now=now), "dim" if message.is_seen else style),
    )


def unreadable_view(entry: UnreadableMessage) -> RowView:
    """The warning row of a message the server sent but that could not be read."""
    # The id is the server's: cleaned, and shown as plain text, never parsed as markup.
    label = clean_line(entry.id, max_chars=120) if entry.id is not None else ""
    return RowView(
        flags=_UNREADABLE_FLAGS,
        sender=Cell(label or f"message #{entry.index + 1}", _WARNING),
        subject=Cell(
            f"could not read this message: {entry.reason}", f"italic {_WARNING}", cut=True
        ),
        date=_NO_DATE,
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
