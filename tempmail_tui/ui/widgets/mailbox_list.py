"""The mailbox sidebar: every known box with its unread count and time left."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from rich.text import Text
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


def _prompt(row: BoxRow) -> Text:
    """The two-line label of one mailbox; the address is untrusted only in form, so clean it."""
    text = Text(no_wrap=True, overflow="ellipsis")
    address_style = "bold" if row.unread else ""
    if not row.live:
        address_style += " dim strike" if row.status == "expired" else " dim"
    text.append(clean_line(row.email), style=address_style.strip())
    text.append("\n")
    detail = f"{row.unread} unread · {row.status}" if row.unread else row.status
    text.append(detail, style="dim" if row.live else "dim italic")
    return text


class MailboxList(OptionList):
    """An OptionList of mailboxes whose option ids are the addresses."""

    BINDINGS = list(OPTION_KEYS)

    DEFAULT_CSS = """
    MailboxList { width: 1fr; height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[BoxRow] = []
        self.border_title = "Mailboxes"

    @property
    def selected_email(self) -> str | None:
        """The address of the highlighted mailbox, if any."""
        option = self.highlighted_option
        return option.id if option is not None else None

    def show(self, rows: list[BoxRow], *, select: str | None = None) -> None:
        """Show these rows, keeping (or moving to) the selected address."""
        keep = select or self.selected_email
        if rows != self._rows:
            if [r.email for r in rows] == [r.email for r in self._rows]:
                # Same boxes in the same order: update labels in place (no scroll jump).
                for row, old in zip(rows, self._rows, strict=True):
                    if row != old:
                        self.replace_option_prompt(row.email, _prompt(row))
            else:
                self.set_options(Option(_prompt(row), id=row.email) for row in rows)
            self._rows = rows
        if keep is not None:
            index: int | None
            try:
                index = self.get_option_index(keep)
            except OptionDoesNotExist:  # the box went away: fall back to the first
                index = 0 if rows else None
            if index != self.highlighted:
                self.highlighted = index
        elif rows and self.highlighted is None:
            self.highlighted = 0
        subtitle = f"{sum(1 for r in rows if r.live)} live"
        # Setting a border title repaints the whole list, and this runs every second.
        if subtitle != self.border_subtitle:
            self.border_subtitle = subtitle
