"""The mailbox sidebar: live boxes, then the archive in groups that open and close."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from rich.text import Text
from textual import on
from textual.actions import SkipAction
from textual.binding import Binding
from textual.visual import VisualType
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from tempmail_tui.ui.keys import OPTION_KEYS
from tempmail_tui.ui.widgets.box_groups import (
    GROUP_PAGE,
    GROUP_PREFIX,
    MORE_PREFIX,
    BoxRow,
    Group,
    Grouping,
    Header,
    More,
    archive_groups,
    box_prompt,
    header_prompt,
    matches,
    more_prompt,
    same_rows,
)

Shown = tuple[str, BoxRow | Header | More]
#: A group's key and how many of its boxes are listed.
_Page = tuple[str, int]


class MailboxList(OptionList):
    """An OptionList of mailboxes: live ones first, then the archive grouped by day or label.

    Each group is a header line with its count; only the newest starts open. The boxes of a
    closed group are not options at all, so a year of archived boxes costs what a few do; an
    open group lists a page of its boxes and a "N more…" row that lists the next page.
    A box's option id is its address (a box under several labels: address, tab, group).
    """

    BINDINGS = [
        *OPTION_KEYS,
        Binding("space", "toggle_group", "Open or close the group", show=False),
        Binding("right", "open_group", "Open the group", show=False),
        Binding(
            "left", "close_group", "Close the group (from a box: go to its header)", show=False
        ),
    ]

    # The scroll bar's column is always there, one cell wide, in place of the right padding
    # and in the list's own colour: nothing shows until the list is longer than the pane (then
    # its thumb does), the addresses keep their width as the archive grows, and a long list
    # costs no second layout.
    DEFAULT_CSS = """
    MailboxList {
        width: 1fr;
        height: 1fr;
        padding: 0 0 0 1;
        overflow-y: scroll;
        scrollbar-size-vertical: 1;
        scrollbar-background: $surface;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # The live rows and the archived ones (newest first) shown.
        self._live: list[BoxRow] = []
        self._archived: list[BoxRow] = []
        # The archived rows the filter kept, and from which rows and words (see _filtered).
        self._kept: tuple[list[BoxRow], tuple[str, ...], list[BoxRow]] | None = None
        self._today: date | None = None
        # What is shown: (option id, prompt source) per option, and the width it was fitted to.
        self._shown: list[Shown] = []
        self._width = 0
        # The address of each box option, and the header of the group each one is under.
        self._email_of: dict[str, str] = {}
        self._group_of: dict[str, str] = {}
        #: How the archive is grouped now.
        self.grouping: Grouping = "day"
        # Groups opened or closed by hand, against the default (only the newest open).
        self._toggled: set[str] = set()
        # How many boxes an open group lists, where more than GROUP_PAGE (its "more…" row).
        self._pages: dict[str, int] = {}
        self._words: tuple[str, ...] = ()
        # The groups last made, from which rows, grouping and day (see _groups_of).
        self._groups: list[Group] = []
        self._grouped: list[BoxRow] = []
        self._groups_key: tuple[Grouping, date] | None = None
        # The archive's options last made, and from what (see _archive_part).
        self._part: (
            tuple[
                tuple[list[Group], frozenset[str], bool, frozenset[str], frozenset[_Page]],
                tuple[list[Shown], dict[str, str], dict[str, str]],
            ]
            | None
        ) = None
        self.border_title = "Mailboxes"

    # What is highlighted ---------------------------------------------------------------

    def email_of(self, option_id: str | None) -> str | None:
        """The address an option stands for (None for a group's header)."""
        return self._email_of.get(option_id) if option_id is not None else None

    @property
    def selected_email(self) -> str | None:
        """The address of the highlighted mailbox, if any (None on a group's header)."""
        option = self.highlighted_option
        return self.email_of(option.id) if option is not None else None

    @property
    def on_header(self) -> bool:
        """Whether a group's header or "more…" row is highlighted (then no box is selected)."""
        option = self.highlighted_option
        return option is not None and (_is_header(option.id) or _is_more(option.id))

    @property
    def open_groups(self) -> list[str]:
        """The option ids of the groups listed open, top to bottom."""
        return [
            key
            for key, source in self._shown
            if isinstance(source, Header) and not source.collapsed
        ]

    @property
    def archive_open(self) -> bool:
        """Whether any archived box is listed (a group is open)."""
        return bool(self.open_groups)

    # Opening, closing, grouping, filtering ---------------------------------------------

    def toggle_group(self, key: str) -> None:
        """Open or close one group, the highlight staying where it is."""
        self._toggled ^= {key}
        # Opened again, a group lists its first page (what opening costs stays the same).
        self._pages.pop(key, None)
        self._redraw_rows()

    def show_more(self, key: str) -> None:
        """List the next page of an open group's boxes; the first of them takes the highlight."""
        more = MORE_PREFIX + key
        try:
            index: int | None = self.get_option_index(more)
        except OptionDoesNotExist:
            index = None
        self._pages[key] = self._pages.get(key, GROUP_PAGE) + GROUP_PAGE
        self._redraw_rows()
        if index is not None:
            # The new boxes start where the "more…" row was.
            self.highlighted = index

    def toggle_group_here(self) -> bool:
        """Open or close the group highlighted, or the one of the box highlighted; False: none."""
        option = self.highlighted_option
        key = option.id if option is not None else None
        if key is not None and _is_more(key):
            key = self._group_of.get(key)
            if key is not None:
                self.highlighted = self.get_option_index(key)
        elif key is not None and not _is_header(key):
            key = self._group_of.get(key)
            if key is not None:
                # Closed from a box: the header takes the highlight, or the box would open it.
                self.highlighted = self.get_option_index(key)
        if key is None:
            return False
        self.toggle_group(key)
        return True

    def set_grouping(self, grouping: Grouping) -> None:
        """Group the archive by day or by label; each starts as the default (newest open)."""
        if grouping != self.grouping:
            self.grouping = grouping
            self._toggled.clear()
            self._pages.clear()
            self._redraw_rows()

    def set_filter(self, text: str) -> None:
        """List only boxes whose address or a label holds every word (groups open)."""
        words = tuple(text.casefold().split())
        if words != self._words:
            self._words = words
            self._redraw_rows()

    def action_toggle_group(self) -> None:
        """Space on a header opens or closes it, on "more…" lists more; on a box it is the
        screen's key."""
        option = self.highlighted_option
        if option is not None and self._more_here(option.id):
            return
        if option is None or not _is_header(option.id):
            raise SkipAction()
        self.toggle_group(option.id or "")

    def action_open_group(self) -> None:
        """→ on a closed header opens it; on an open one it steps to its first box; on
        "more…" it lists more."""
        option = self.highlighted_option
        if option is not None and self._more_here(option.id):
            return
        if option is None or not _is_header(option.id):
            raise SkipAction()
        if option.id in self.open_groups:
            self.action_cursor_down()
        else:
            self.toggle_group(option.id or "")

    def action_close_group(self) -> None:
        """← on an open header closes it; on a box of a group it steps up to the header."""
        option = self.highlighted_option
        if option is None:
            raise SkipAction()
        if _is_header(option.id):
            if option.id in self.open_groups:
                self.toggle_group(option.id or "")
            return
        group = self._group_of.get(option.id or "")
        if group is None:
            raise SkipAction()
        self.highlighted = self.get_option_index(group)

    def _more_here(self, option_id: str | None) -> bool:
        """On a "more…" row, list the next page of its group; False: not on one."""
        if not _is_more(option_id):
            return False
        self.show_more(self._group_of.get(option_id or "", ""))
        return True

    @on(OptionList.OptionSelected)
    def _header_selected(self, event: OptionList.OptionSelected) -> None:
        if _is_header(event.option.id) or _is_more(event.option.id):
            # A header or "more…" is no mailbox: the screen never hears of it.
            event.stop()
            if not self._more_here(event.option.id):
                self.toggle_group(event.option.id or "")

    @on(OptionList.OptionHighlighted)
    def _header_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if _is_header(event.option.id) or _is_more(event.option.id):
            event.stop()

    def on_resize(self) -> None:
        """Fit the addresses to the new width."""
        if self._width_for(self._shown) != self._width:
            self._redraw_rows()

    def watch_show_vertical_scrollbar(self) -> None:
        """The scroll bar takes columns without a resize: fit the addresses to what is left."""
        # Only if _width_for guessed wrong (after the layout that placed the bar).
        self.call_after_refresh(self._check_width)

    def _check_width(self) -> None:
        if self.scrollable_content_region.width != self._width:
            self._redraw_rows()

    # Showing ---------------------------------------------------------------------------

    def show(
        self, rows: list[BoxRow], *, select: str | None = None, today: date | None = None
    ) -> None:
        """Show these rows (live ones first, as box_rows gives them), keeping the selection."""
        split = next((i for i, r in enumerate(rows) if not r.live), len(rows))
        self.show_parts(rows[:split], rows[split:], select=select, today=today)

    def show_parts(
        self,
        live: list[BoxRow],
        archived: list[BoxRow],
        *,
        select: str | None = None,
        today: date | None = None,
    ) -> None:
        """Show the live rows, then the archived ones (newest first), keeping the selection.

        Passing the very same ``archived`` list as the last time tells that the archive did
        not change: its groups are not made again (a tick walks the live boxes only).
        """
        self._live, self._archived = live, archived
        self._today = today
        self._redraw_rows(select)

    def _redraw_rows(self, select: str | None = None) -> None:
        """Work out the options from the rows and put in the ones that changed."""
        option, was = self.highlighted_option, self.highlighted
        keep = select or (option.id if option is not None else None)
        keep_email = self._email_of.get(keep, keep) if keep is not None else None
        words = self._words
        live, archived = self._live, self._archived
        any_rows = bool(live or archived)
        if words:
            live = [r for r in live if matches(r, words)]
            archived = self._filtered(archived, words)
        today = self._today or datetime.now().astimezone().date()
        groups = self._groups_of(archived, today)
        opened = {g.key for i, g in enumerate(groups) if (i == 0) != (g.key in self._toggled)}
        if keep_email is not None and not words and all(r.email != keep_email for r in live):
            self._keep_in_view(keep_email, groups, opened)
        wanted: list[Shown] = [(r.email, r) for r in live]
        email_of = {r.email: r.email for r in live}
        shown, archived_of, group_of = self._archive_part(groups, opened, bool(words), email_of)
        wanted += shown
        email_of.update(archived_of)
        self._email_of, self._group_of = email_of, group_of
        width = self._width_for(wanted)
        if wanted != self._shown or width != self._width:
            self._redraw(wanted, width)
        self._keep(keep, keep_email, any_rows, was)
        subtitle = f"{len(live)} live"
        if archived:
            subtitle += f" · {len(archived)} archived by {self.grouping}"
        if words:
            subtitle += " · filtered"
        # Setting a border title repaints the whole list, and this runs every second.
        if subtitle != self.border_subtitle:
            self.border_subtitle = subtitle

    def _keep_in_view(self, email: str, groups: list[Group], opened: set[str]) -> None:
        """The box asked for (or highlighted) is archived: open its group, list its page."""
        homes = [(g.key, i) for g in groups for i, r in enumerate(g.rows) if r.email == email]
        if not homes:
            return
        shown = [(key, i) for key, i in homes if key in opened]
        if not shown:
            self._toggled ^= {homes[0][0]}
            opened.add(homes[0][0])
            shown = homes[:1]
        if all(i >= self._pages.get(key, GROUP_PAGE) for key, i in shown):
            key, i = shown[0]
            self._pages[key] = (i // GROUP_PAGE + 1) * GROUP_PAGE

    def _archive_part(
        self, groups: list[Group], opened: set[str], filtered: bool, live: dict[str, str]
    ) -> tuple[list[Shown], dict[str, str], dict[str, str]]:
        """The archive's options (headers, a page of each open group's boxes, its "more…"
        row), the same while its groups, the open ones, their pages and the live addresses
        are: a tick compares them by identity."""
        pages = frozenset(self._pages.items())
        key = (groups, frozenset(opened), filtered, frozenset(live), pages)
        if self._part is not None and self._part[0][0] is groups and self._part[0] == key:
            return self._part[1]
        shown: list[Shown] = []
        email_of: dict[str, str] = {}
        group_of: dict[str, str] = {}
        for group in groups:
            # A filter opens every group it leaves: what it found is in view.
            collapsed = group.key not in opened and not filtered
            shown.append((group.key, Header(group.title, len(group.rows), collapsed)))
            if collapsed:
                continue  # its boxes are not built at all
            page = self._pages.get(group.key, GROUP_PAGE)
            for row in group.rows[:page]:
                taken = row.email in live or row.email in email_of
                option_id = f"{row.email}\t{group.key}" if taken else row.email
                email_of[option_id] = row.email
                group_of[option_id] = group.key
                shown.append((option_id, row))
            if len(group.rows) > page:
                # The rest are not built until asked for.
                group_of[MORE_PREFIX + group.key] = group.key
                shown.append((MORE_PREFIX + group.key, More(len(group.rows) - page)))
        self._part = (key, (shown, email_of, group_of))
        return self._part[1]

    def _width_for(self, wanted: list[Shown]) -> int:
        """The width the options will have: less the scroll bar's if they will overflow."""
        # Fitted once for the bar that is coming, not once before it and again after.
        region = self.scrollable_content_region
        bar = self.styles.scrollbar_size_vertical
        if self.styles.overflow_y != "auto":
            return region.width
        width = region.width + (bar if self.show_vertical_scrollbar else 0)
        lines = sum(_height(source) for _, source in wanted)
        return width - bar if lines > region.height else width

    def _filtered(self, archived: list[BoxRow], words: tuple[str, ...]) -> list[BoxRow]:
        """The archived rows the filter keeps: the same list while the rows and words are."""
        kept = self._kept
        if kept is None or kept[0] is not archived or kept[1] != words:
            kept = (archived, words, [r for r in archived if matches(r, words)])
            self._kept = kept
        return kept[2]

    def _groups_of(self, archived: list[BoxRow], today: date) -> list[Group]:
        """The archive's groups, made again only when its rows, the grouping or the day change."""
        key = (self.grouping, today)
        # The same list object is the same rows (the usual tick); only another one is compared.
        same = archived is self._grouped or same_rows(archived, self._grouped)
        if key != self._groups_key or not same:
            self._groups = archive_groups(archived, self.grouping, today)
            self._groups_key = key
        # Kept even when its rows were the same: the next tick then knows it by identity,
        # not by walking every archived row again.
        self._grouped = archived
        return self._groups

    def _replace_option_prompt(self, index: int, prompt: VisualType) -> None:
        """Replace one option's prompt, dropping only that option's rendering.

        OptionList drops every option's: an unread count going down (a mail read) drew the
        whole sidebar again, beside the reader drawing the mail.
        """
        option = self.get_option_at_index(index)
        option._set_prompt(prompt)
        cache = self._option_render_cache
        cached = cache.keys()  # an LRUCache is no mapping: it has no iteration of its own
        for key in [key for key in cached if key[0] is option]:
            cache.discard(key)
        # Where each option's lines fall is worked out again from the (cached) renderings.
        self._line_cache.clear()
        self.refresh()

    def _redraw(self, wanted: list[Shown], width: int) -> None:
        """Put the wanted options in, in place when the same ones are shown (no scroll jump)."""

        def prompt(source: BoxRow | Header | More) -> Text:
            if isinstance(source, BoxRow):
                return box_prompt(source, width)
            if isinstance(source, More):
                return more_prompt(source, width)
            return header_prompt(source, width)

        if [i for i, _ in wanted] == [i for i, _ in self._shown]:
            for new, (_, old) in zip(wanted, self._shown, strict=True):
                option_id, source = new
                if width != self._width or (source is not old and source != old):
                    self.replace_option_prompt(option_id, prompt(source))
        else:
            self.set_options(Option(prompt(source), id=option_id) for option_id, source in wanted)
        self._shown, self._width = wanted, width

    def _keep(
        self, keep: str | None, keep_email: str | None, any_rows: bool, was: int | None
    ) -> None:
        """Highlight ``keep`` again (or its box elsewhere), or the first box when it went away
        (a "more…" row that went away: the box now in its place, the first it listed)."""
        if keep is not None:
            index: int | None = None
            for option_id in (keep, keep_email):
                if option_id is None:
                    continue
                try:
                    index = self.get_option_index(option_id)
                    break
                except OptionDoesNotExist:
                    continue
            if index is None and _is_more(keep) and was is not None and was < len(self._shown):
                index = was
            if index is None and any_rows and self._shown:
                index = self._first_box()  # the box went away: fall back to the first
            if index != self.highlighted:
                self.highlighted = index
        elif any_rows and self.highlighted is None and self._shown:
            self.highlighted = self._first_box()

    def _first_box(self) -> int:
        """The index of the first mailbox shown (the first header's when none is)."""
        return next((i for i, (_, row) in enumerate(self._shown) if isinstance(row, BoxRow)), 0)

    def shown_ids(self) -> Sequence[str]:
        """The option ids listed now, top to bottom."""
        return [key for key, _ in self._shown]


def _is_header(option_id: str | None) -> bool:
    """Whether an option id is a group's header (an address never starts so)."""
    return option_id is not None and option_id.startswith(GROUP_PREFIX)


def _height(source: BoxRow | Header | More) -> int:
    """The lines an option takes: a box two (three with labels), a header or "more…" one."""
    if isinstance(source, BoxRow):
        return 3 if source.labels else 2
    return 1


def _is_more(option_id: str | None) -> bool:
    """Whether an option id is a group's "more…" row (an address never starts so)."""
    return option_id is not None and option_id.startswith(MORE_PREFIX)
