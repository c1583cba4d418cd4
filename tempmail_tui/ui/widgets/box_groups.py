"""What the mailbox sidebar shows: one row per box, the archive in groups, and their lines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from rich.text import Text

from tempmail_tui.core.format import time_left
from tempmail_tui.core.sanitize import clean_line
from tempmail_tui.core.store import StoredMailbox

#: How the archived boxes are grouped: by the day they went out of use, or by label.
Grouping = Literal["day", "label"]

#: Every group header's option id starts so; an address never does (it has no "@" after it).
GROUP_PREFIX = "group:"
#: The option id of a group's "N more…" row is this and the group's key.
MORE_PREFIX = "more:"
#: An open group lists this many boxes, then a "N more…" row that lists as many more: opening
#: a month of 200 boxes costs what opening one of 20 does.
GROUP_PAGE = 25
ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class BoxRow:
    """What the sidebar shows for one mailbox."""

    email: str
    unread: int
    status: str
    live: bool
    labels: tuple[str, ...] = ()
    #: For an archived box, the local day it went out of use (its group by day).
    day: date | None = None


@dataclass(frozen=True, slots=True)
class Group:
    """One group of archived boxes under a header line."""

    key: str
    title: str
    rows: tuple[BoxRow, ...]


@dataclass(frozen=True, slots=True)
class Header:
    """What a group's header line shows: its title, its count and whether it is open."""

    title: str
    count: int
    collapsed: bool


@dataclass(frozen=True, slots=True)
class More:
    """The last line of an open group whose boxes are not all listed: how many are not."""

    hidden: int


def box_rows(
    boxes: Sequence[StoredMailbox], unread: Mapping[str, int], now: datetime | None = None
) -> list[BoxRow]:
    """The sidebar rows for the known mailboxes: live ones first, then the newest archived."""
    return SidebarRows().rows(boxes, unread, now or datetime.now(UTC))


class SidebarRows:
    """Makes the sidebar's rows each tick, remembering those of archived boxes.

    A live box's row changes every second (its time left); an archived one's only when its
    record, its unread count or the day does, so a year of them is not rebuilt every second.
    Given an unread ``version`` (bumped on every change of the counts), a tick on the same
    box list does not even look at the archived boxes: it walks the live ones only.
    """

    def __init__(self) -> None:
        # Per address: the record and unread count a row was made from, the day, the row.
        self._made: dict[str, tuple[StoredMailbox, int, date, BoxRow]] = {}
        # The archived rows in the order made and sorted the last time.
        self._unsorted: list[BoxRow] = []
        self._sorted: list[BoxRow] = []
        #: The live rows and the archived ones (newest first) of the last call.
        self.live: list[BoxRow] = []
        self.archived: list[BoxRow] = []
        # The box list last split, and its boxes in state "live" (the rest never come back).
        self._boxes: Sequence[StoredMailbox] | None = None
        self._live_state: list[StoredMailbox] = []
        # What the archived rows were made from: version of the counts, day, boxes expired.
        self._basis: tuple[int, date, tuple[int, ...]] | None = None

    def rows(
        self,
        boxes: Sequence[StoredMailbox],
        unread: Mapping[str, int],
        now: datetime,
        version: int | None = None,
    ) -> list[BoxRow]:
        """The rows for these boxes now: live ones first, then the newest archived."""
        self.update(boxes, unread, now, version)
        return self.live + self.archived

    def update(
        self,
        boxes: Sequence[StoredMailbox],
        unread: Mapping[str, int],
        now: datetime,
        version: int | None = None,
    ) -> None:
        """Work out ``live`` and ``archived`` for now, with no list of every row (the tick's)."""
        today = now.astimezone().date()
        if version is None or boxes is not self._boxes:
            # Without a version the list may have changed in place: split it again.
            self._boxes, self._basis = boxes, None
            self._live_state = [b for b in boxes if b.state == "live"]
        live: list[BoxRow] = []
        expired: list[int] = []
        for box in self._live_state:
            if box.expire_at is not None and box.is_expired(now):
                # Gone out of use by time: an archived row from now on.
                expired.append(id(box))
                continue
            status = time_left(box.expire_at, now=now)
            live.append(BoxRow(box.email, unread.get(box.email, 0), status, True, box.labels))
        basis = (version, today, tuple(expired)) if version is not None else None
        if basis is None or basis != self._basis:
            self._archive(boxes, unread, now, today)
            self._basis = basis
        self.live = live

    def _archive(
        self, boxes: Sequence[StoredMailbox], unread: Mapping[str, int], now: datetime, today: date
    ) -> None:
        """Make the archived rows again, reusing each one whose box, count and day are the same."""
        archived: list[BoxRow] = []
        made: dict[str, tuple[StoredMailbox, int, date, BoxRow]] = {}
        for box in boxes:
            if box.state == "renamed":
                continue
            if box.state == "live" and not (box.expire_at is not None and box.is_expired(now)):
                continue
            count = unread.get(box.email, 0)
            seen = self._made.get(box.email)
            if seen is not None and seen[0] is box and seen[1] == count and seen[2] == today:
                row = seen[3]
            else:
                row = _archived_row(box, count, now)
            made[box.email] = (box, count, today, row)
            archived.append(row)
        self._made = made
        if not same_rows(archived, self._unsorted):
            # Stable: within a day the store's order (newest first) stays.
            self._unsorted = archived
            self._sorted = sorted(archived, key=lambda row: -(row.day or date.min).toordinal())
        # The same list object while nothing changed: the sidebar keeps its groups by it.
        self.archived = self._sorted


def _archived_row(box: StoredMailbox, unread: int, now: datetime) -> BoxRow:
    """The row of a box that is no longer live: its state and the local day it ended."""
    status = "expired" if box.state == "live" else "archived: " + box.state
    # When it stopped: its expiry if that has passed, else now (deleted early).
    ended = min(box.expire_at, now) if box.expire_at else (box.created_at or box.added_at)
    return BoxRow(box.email, unread, status, False, box.labels, _local_day(ended))


def same_rows(a: Sequence[BoxRow], b: Sequence[BoxRow]) -> bool:
    """Whether two lists hold the very same row objects, in order (cheaper than equality)."""
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def _local_day(moment: datetime) -> date:
    """The local day of a moment, straight from its timestamp (no local datetime is made).

    A third of the cost of ``astimezone().date()``, which was a third of reading a year of
    boxes into rows.
    """
    return date.fromtimestamp(moment.timestamp())


#: Archived boxes of the last this many days are grouped by day; older ones by month, so a
#: year of boxes is about twenty header lines, not 365.
DAYS_BY_DAY = 7


def day_title(day: date | None, today: date) -> str:
    """A group's title: Today, Yesterday, a date this week, else the month."""
    if day is None:
        return "Undated"
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    if day > today - timedelta(days=DAYS_BY_DAY):
        return day.strftime("%a %d %b")
    return day.strftime("%B %Y")


def day_key(day: date | None, today: date) -> str:
    """The option id of the group a day falls in: the day this week, else its month."""
    if day is None:
        return GROUP_PREFIX + "day:"
    if day > today - timedelta(days=DAYS_BY_DAY):
        return GROUP_PREFIX + "day:" + day.isoformat()
    return GROUP_PREFIX + "month:" + day.strftime("%Y-%m")


def archive_groups(rows: Sequence[BoxRow], by: Grouping, today: date) -> list[Group]:
    """The archived rows in groups, newest group first; by label, a box is in each of its."""
    if by == "day":
        # Runs when the rows change: a key and title per day, not per box.
        days: dict[date | None, list[BoxRow]] = {}
        for row in rows:
            if not row.live:
                days.setdefault(row.day, []).append(row)
        # Then the days into their groups: one per day this week, one per month before.
        recent = today - timedelta(days=DAYS_BY_DAY)
        grouped_by_day: dict[object, tuple[date | None, list[BoxRow]]] = {}
        for day, members in days.items():
            bucket = day if day is None or day > recent else (day.year, day.month)
            grouped_by_day.setdefault(bucket, (day, []))[1].extend(members)
        return [
            Group(day_key(first, today), day_title(first, today), tuple(members))
            for first, members in grouped_by_day.values()
        ]
    grouped: dict[str, tuple[str, list[BoxRow]]] = {}
    unlabelled: list[BoxRow] = []
    for row in rows:
        if row.live:
            continue
        if not row.labels:
            unlabelled.append(row)
        for label in row.labels:
            # The label is the user's, typed in this app: still cleaned, as any shown text.
            key = GROUP_PREFIX + "label:" + label.casefold()
            grouped.setdefault(key, (clean_line(label, max_chars=64), []))[1].append(row)
    groups = [Group(key, title, tuple(members)) for key, (title, members) in grouped.items()]
    # The label used last first (its newest box), then by name.
    groups.sort(key=lambda g: (-_newest(g).toordinal(), g.title.casefold()))
    if unlabelled:
        groups.append(Group(GROUP_PREFIX + "label:", "No label", tuple(unlabelled)))
    return groups


def _newest(group: Group) -> date:
    """The newest day among a group's boxes."""
    return max((row.day or date.min) for row in group.rows)


def matches(row: BoxRow, words: Sequence[str]) -> bool:
    """Whether every (case-folded) word is in the box's address or one of its labels."""
    haystack = " ".join((row.email, *row.labels)).casefold()
    return all(word in haystack for word in words)


def fit_address(email: str, width: int) -> str:
    """The address within ``width`` cells, cut in the middle of its local part, domain whole.

    ``eagermaple…7371@mailsink.test``: the start and the end of the name (often a number)
    stay readable; only when the domain alone leaves no room is the whole address cut.
    """
    if width <= 0 or len(email) <= width:
        return email
    local, at, domain = email.rpartition("@")
    room = width - len(domain) - len(at)
    if at and local and room >= 3:
        return _cut_middle(local, room) + at + domain
    return _cut_middle(email, width)


def _cut_middle(text: str, width: int) -> str:
    """The text in ``width`` characters: its start, an ellipsis, its end."""
    if width <= 1:
        return ELLIPSIS[:width]
    keep = width - 1
    tail = keep // 3
    return text[: keep - tail] + ELLIPSIS + (text[-tail:] if tail else "")


def fit_line(text: str, width: int) -> str:
    """A line of details within ``width``, cut at the end of a word where one fits."""
    if width <= 0 or len(text) <= width:
        return text
    cut = text[: max(0, width - 1)]
    space = cut.rfind(" ")
    # At a word's end, but not so early that most of the line is lost.
    if space > width // 2:
        cut = cut[:space]
    return cut.rstrip(" ·,") + ELLIPSIS


def box_prompt(row: BoxRow, width: int) -> Text:
    """The lines of one mailbox: address, details, and its labels if it has any."""
    text = Text(no_wrap=True, overflow="ellipsis")
    address_style = "bold" if row.unread else ""
    if not row.live:
        address_style += " dim strike" if row.status == "expired" else " dim"
    # The address is the server's: cleaned like any untrusted text.
    text.append(fit_address(clean_line(row.email), width), style=address_style.strip())
    text.append("\n")
    detail = f"{row.unread} unread · {row.status}" if row.unread else row.status
    text.append(fit_line(detail, width), style="dim" if row.live else "dim italic")
    if row.labels:
        labels = "# " + ", ".join(clean_line(label, max_chars=64) for label in row.labels)
        text.append("\n")
        text.append(fit_line(labels, width), style="dim cyan")
    return text


def header_prompt(header: Header, width: int) -> Text:
    """A group's header line: its title, how many boxes it holds and whether it is open."""
    mark = "▸" if header.collapsed else "▾"
    line = f"{mark} {header.title} ({header.count})"
    return Text(fit_line(line, width), style="bold dim", no_wrap=True)


def more_prompt(more: More, width: int) -> Text:
    """A group's "N more…" line, under its last box listed."""
    line = f"  {more.hidden:,} more… (Enter)"
    return Text(fit_line(line, width), style="dim italic", no_wrap=True)
