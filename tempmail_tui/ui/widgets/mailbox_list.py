"""The mailbox sidebar: every known box with its unread count and time left."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from rich.text import Text
from textual import on
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from tempmail_tui.core.format import time_left
from tempmail_tui.core.sanitize import clean_line
from tempmail_tui.core.store import StoredMailbox
from tempmail_tui.ui.keys import OPTION_KEYS


@dataclass(frozen=True, slots=True)
class BoxRow:
    """What the sidebar shows for one mailbox."""

    email: str
    unread: int
    status: str
    live: bool


def box_rows(
    boxes: Sequence[StoredMailbox], unread: Mapping[str, int], now: datetime | None = None
) -> list[BoxRow]:
    """The sidebar rows for the known mailboxes, live ones first."""
    now = now or datetime.now(UTC)
    rows: list[BoxRow] = []
    for box in boxes:
        if box.state == "renamed":
            continue
        if box.state != "live":
            status, live = ("archived: " + box.state), False
        elif box.expire_at is not None and box.is_expired(now):
            status, live = "expired", False
        else:
            status, live = time_left(box.expire_at, now=now), True
        rows.append(BoxRow(box.email, unread.get(box.email, 0), status, live))
    rows.sort(key=lambda row: not row.live)
    return rows


#: The option id of the archive group's header: it has no "@", so it is never an address.
ARCHIVE_ID = "archive-group"
ELLIPSIS = "…"


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


def _fit(text: str, width: int) -> str:
    """A line of details within ``width``, cut at the end of a word where one fits."""
    if width <= 0 or len(text) <= width:
        return text
    cut = text[: max(0, width - 1)]
    space = cut.rfind(" ")
    # At a word's end, but not so early that most of the line is lost.
    if space > width // 2:
        cut = cut[:space]
    return cut.rstrip(" ·") + ELLIPSIS


def _prompt(row: BoxRow, width: int) -> Text:
    """The two-line label of one mailbox; the address is untrusted only in form, so clean it."""
    text = Text(no_wrap=True, overflow="ellipsis")
    address_style = "bold" if row.unread else ""
    if not row.live:
        address_style += " dim strike" if row.status == "expired" else " dim"
    text.append(fit_address(clean_line(row.email), width), style=address_style.strip())
    text.append("\n")
    detail = f"{row.unread} unread · {row.status}" if row.unread else row.status
    text.append(_fit(detail, width), style="dim" if row.live else "dim italic")
    return text


def _header(archived: int, collapsed: bool, width: int) -> Text:
    """The archive group's header line: how many boxes it holds and whether it is open."""
    mark = "▸" if collapsed else "▾"
    return Text(_fit(f"{mark} Archive ({archived})", width), style="bold dim", no_wrap=True)


class MailboxList(OptionList):
    """An OptionList of mailboxes whose option ids are the addresses.

    Archived boxes (expired, deleted) are grouped below the live ones under a header that
    opens and closes on Enter or a click; it starts closed when there are live boxes, so a
    long history does not bury the box in use.
    """

    BINDINGS = list(OPTION_KEYS)

    DEFAULT_CSS = """
    MailboxList { width: 1fr; height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[BoxRow] = []
        # What is shown: (option id, prompt source) per option, and the width it was fitted to.
        self._shown: list[tuple[str, BoxRow | tuple[int, bool]]] = []
        self._width = 0
        # None until the first boxes arrive: then closed if any box is live.
        self._collapsed: bool | None = None
        self.border_title = "Mailboxes"

    @property
    def selected_email(self) -> str | None:
        """The address of the highlighted mailbox, if any (None on the archive header)."""
        option = self.highlighted_option
        if option is None or option.id == ARCHIVE_ID:
            return None
        return option.id

    @property
    def on_header(self) -> bool:
        """Whether the archive group's header is highlighted."""
        option = self.highlighted_option
        return option is not None and option.id == ARCHIVE_ID

    @property
    def archive_open(self) -> bool:
        """Whether the archived boxes are listed (the group is open)."""
        return self._collapsed is False

    def toggle_archive(self) -> None:
        """Open or close the archive group, the highlight staying where it is."""
        self._collapsed = not self._collapsed
        self.show(self._rows)

    @on(OptionList.OptionSelected)
    def _header_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == ARCHIVE_ID:
            # The header is no mailbox: the screen never hears of it.
            event.stop()
            self.toggle_archive()

    @on(OptionList.OptionHighlighted)
    def _header_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id == ARCHIVE_ID:
            event.stop()

    def on_resize(self) -> None:
        """Fit the addresses to the new width."""
        if self.scrollable_content_region.width != self._width:
            self.show(self._rows)

    def show(self, rows: list[BoxRow], *, select: str | None = None) -> None:
        """Show these rows, keeping (or moving to) the selected address."""
        option = self.highlighted_option
        keep = select or (option.id if option is not None else None)
        live = [r for r in rows if r.live]
        archived = [r for r in rows if not r.live]
        if self._collapsed is None and rows:
            self._collapsed = bool(live)
        if self._collapsed and any(r.email == keep for r in archived):
            # The box asked for (or highlighted) is archived: it must stay in view.
            self._collapsed = False
        width = self.scrollable_content_region.width
        wanted: list[tuple[str, BoxRow | tuple[int, bool]]] = [(r.email, r) for r in live]
        if archived:
            wanted.append((ARCHIVE_ID, (len(archived), bool(self._collapsed))))
            if not self._collapsed:
                wanted.extend((r.email, r) for r in archived)
        self._rows = rows
        if wanted != self._shown or width != self._width:
            self._redraw(wanted, width)
        self._keep(keep, bool(rows))
        subtitle = f"{len(live)} live"
        # Setting a border title repaints the whole list, and this runs every second.
        if subtitle != self.border_subtitle:
            self.border_subtitle = subtitle

    def _redraw(self, wanted: list[tuple[str, BoxRow | tuple[int, bool]]], width: int) -> None:
        """Put the wanted options in, in place when the same ones are shown (no scroll jump)."""

        def prompt(source: BoxRow | tuple[int, bool]) -> Text:
            if isinstance(source, BoxRow):
                return _prompt(source, width)
            return _header(*source, width)

        if [i for i, _ in wanted] == [i for i, _ in self._shown]:
            for (option_id, source), (_, old) in zip(wanted, self._shown, strict=True):
                if source != old or width != self._width:
                    self.replace_option_prompt(option_id, prompt(source))
        else:
            self.set_options(Option(prompt(source), id=option_id) for option_id, source in wanted)
        self._shown, self._width = wanted, width

    def _keep(self, keep: str | None, any_rows: bool) -> None:
        """Highlight ``keep`` again, or the first option when it went away."""
        if keep is not None:
            index: int | None
            try:
                index = self.get_option_index(keep)
            except OptionDoesNotExist:  # the box went away: fall back to the first
                index = self._first_box() if any_rows else None
            if index != self.highlighted:
                self.highlighted = index
        elif any_rows and self.highlighted is None:
            self.highlighted = self._first_box()

    def _first_box(self) -> int:
        """The index of the first mailbox shown (the header's when none is)."""
        ids = [option_id for option_id, _ in self._shown]
        return next((i for i, option_id in enumerate(ids) if option_id != ARCHIVE_ID), 0)
