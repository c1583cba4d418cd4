"""The mailbox sidebar on its own: live boxes first, the archive in groups, closed ones unbuilt."""

from __future__ import annotations

import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta

import pytest
from textual.app import App, ComposeResult
from textual.widgets import OptionList

from tempmail_tui.core.store import StoredMailbox
from tempmail_tui.ui.widgets import box_groups
from tempmail_tui.ui.widgets.box_groups import (
    GROUP_PAGE,
    GROUP_PREFIX,
    MORE_PREFIX,
    BoxRow,
    SidebarRows,
    box_prompt,
    box_rows,
    day_title,
)
from tempmail_tui.ui.widgets.mailbox_list import MailboxList

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
TODAY = NOW.date()  # the tests run with TZ=UTC (conftest.py)


def live(email: str, labels: tuple[str, ...] = ()) -> BoxRow:
    return BoxRow(email, 0, "50 min left", True, labels)


def gone(email: str, days_ago: int, labels: tuple[str, ...] = ()) -> BoxRow:
    return BoxRow(email, 0, "archived: expired", False, labels, TODAY - timedelta(days=days_ago))


def year_of_boxes() -> list[BoxRow]:
    """20 live boxes and 2,000 archived over a year (the newest day holds 6)."""
    rows = [live(f"live{i}@mailsink.test") for i in range(20)]
    rows += [gone(f"old{i}@mailsink.test", i * 365 // 2000) for i in range(2000)]
    return rows


class Sidebar(App[None]):
    """Only the sidebar, as the main screen lays it out."""

    def compose(self) -> ComposeResult:
        yield MailboxList(id="sidebar")


def day_key(days_ago: int) -> str:
    """The group of a box that ended so many days ago: its day this week, else its month."""
    return box_groups.day_key(TODAY - timedelta(days=days_ago), TODAY)


async def test_closed_groups_build_no_options_so_2000_boxes_cost_what_20_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[str] = []
    real = box_groups.box_prompt

    def counting(row: BoxRow, width: int) -> object:
        built.append(row.email)
        return real(row, width)

    monkeypatch.setattr("tempmail_tui.ui.widgets.mailbox_list.box_prompt", counting)
    rows = year_of_boxes()
    newest = sum(1 for r in rows if r.day == TODAY)
    days = len({box_groups.day_key(r.day, TODAY) for r in rows if not r.live})
    assert days < 25  # a week of days, then months: a year is not 365 header lines
    async with Sidebar().run_test(size=(40, 30)) as pilot:
        bar = pilot.app.query_one(MailboxList)
        bar.show(rows, today=TODAY)
        await pilot.pause()
        # The live boxes, one header per day, and the boxes of the newest day: no others.
        assert bar.option_count == 20 + days + newest
        # Each once, fitted to the width the scroll bar coming with them leaves.
        assert len(built) == 20 + newest
        assert bar.open_groups == [day_key(0)]
        # A second of ticking (the same rows again) builds nothing.
        built.clear()
        bar.show(rows, today=TODAY)
        assert built == []
        # Opening one more day builds that day's boxes only.
        bar.toggle_group(day_key(1))
        assert bar.option_count == 20 + days + newest + sum(
            1 for r in rows if r.day == TODAY - timedelta(days=1)
        )
        assert "(2000)" not in str(bar.get_option(day_key(0)).prompt)
        assert "2000 archived by day" in str(bar.border_subtitle)


async def test_by_label_a_box_is_under_each_label_and_the_selection_follows() -> None:
    rows = [
        live("now@mailsink.test", ("shop",)),
        gone("both@mailsink.test", 0, ("shop", "Run 42")),
        gone("run@mailsink.test", 5, ("run 42",)),
        gone("plain@mailsink.test", 9),
    ]
    async with Sidebar().run_test(size=(40, 30)) as pilot:
        bar = pilot.app.query_one(MailboxList)
        bar.show(rows, today=TODAY)
        bar.set_grouping("label")
        await pilot.pause()
        run, shop, none = (GROUP_PREFIX + "label:" + k for k in ("run 42", "shop", ""))
        # Labels compare without case; the newest label first, "No label" last; only the
        # newest open.
        headers = [i for i in bar.shown_ids() if i.startswith(GROUP_PREFIX)]
        assert headers == [run, shop, none]
        assert "Run 42 (2)" in str(bar.get_option(run).prompt)
        assert bar.open_groups == [run]
        bar.toggle_group(shop)
        # The box under two labels is listed twice, each its own option, both its address.
        twice = [i for i in bar.shown_ids() if i.startswith("both@")]
        assert len(twice) == 2
        bar.highlighted = bar.get_option_index(twice[1])
        assert bar.selected_email == "both@mailsink.test"
        # A refresh keeps that very option highlighted.
        bar.show(rows, today=TODAY)
        assert bar.highlighted_option is not None and bar.highlighted_option.id == twice[1]
        bar.set_grouping("day")
        assert bar.selected_email == "both@mailsink.test"


async def test_the_selected_box_stays_in_view_and_a_filter_finds_by_label() -> None:
    rows = [live("now@mailsink.test"), gone("a@mailsink.test", 0), gone("b@mailsink.test", 40)]
    rows[2] = BoxRow("b@mailsink.test", 3, "archived: deleted", False, ("checkout",), rows[2].day)
    async with Sidebar().run_test(size=(40, 30)) as pilot:
        bar = pilot.app.query_one(MailboxList)
        # Asked for, the box in a closed group opens it.
        bar.show(rows, select="b@mailsink.test", today=TODAY)
        assert bar.selected_email == "b@mailsink.test"
        assert day_key(40) in bar.open_groups
        bar.show(rows, today=TODAY)
        assert bar.selected_email == "b@mailsink.test"
        # On a header, nothing is selected, and a refresh keeps it so.
        bar.highlighted = bar.get_option_index(day_key(0))
        bar.show(rows, today=TODAY)
        assert bar.on_header and bar.selected_email is None
        # The filter looks in addresses and labels, and opens the groups it leaves.
        bar.set_filter("CHECK")
        assert bar.shown_ids() == [day_key(40), "b@mailsink.test"]
        assert "filtered" in str(bar.border_subtitle)
        bar.set_filter("")
        assert "now@mailsink.test" in bar.shown_ids()


def box(email: str, state: str, expire: timedelta) -> StoredMailbox:
    return StoredMailbox(
        email=email,
        id=None,
        domain="mailsink.test",
        created_at=NOW - timedelta(days=5),
        expire_at=NOW + expire,
        email_token="t",
        added_at=NOW - timedelta(days=5),
        state=state,  # type: ignore[arg-type]
        renamed_to=None,
        manual=False,
        labels=("site",),
    )


def test_box_rows_put_live_first_and_date_the_archive_by_when_it_ended() -> None:
    rows = box_rows(
        [
            box("old@x.test", "expired", -timedelta(days=2)),
            box("early@x.test", "deleted", timedelta(days=3)),  # deleted before its expiry
            box("live@x.test", "live", timedelta(minutes=30)),
            box("renamed@x.test", "renamed", timedelta(minutes=30)),
        ],
        {"old@x.test": 2},
        now=NOW,
    )
    assert [(r.email, r.live, r.day) for r in rows] == [
        ("live@x.test", True, None),
        ("early@x.test", False, TODAY),
        ("old@x.test", False, TODAY - timedelta(days=2)),
    ]
    assert rows[2].unread == 2 and rows[2].labels == ("site",)


def test_day_titles() -> None:
    assert day_title(TODAY, TODAY) == "Today"
    assert day_title(TODAY - timedelta(days=1), TODAY) == "Yesterday"
    assert day_title(TODAY - timedelta(days=3), TODAY) == "Sat 21 Nov"
    assert day_title(date(2026, 3, 2), TODAY) == "March 2026"
    assert day_title(date(2025, 3, 2), TODAY) == "March 2025"
    assert day_key(3) == GROUP_PREFIX + "day:2026-11-21"
    assert day_key(40) == GROUP_PREFIX + "month:2026-10"


def test_labels_are_a_dim_line_of_their_own_cut_to_fit() -> None:
    row = live("box@mailsink.test", ("shop.example.com checkout", "regression run 42"))
    text = box_prompt(row, 24)
    lines = text.plain.split("\n")
    assert lines[0] == "box@mailsink.test"
    assert lines[2].startswith("# shop.example") and lines[2].endswith("…")
    assert len(lines[2]) <= 24
    assert len(box_prompt(live("bare@mailsink.test"), 24).plain.split("\n")) == 2


def test_archived_rows_are_made_once_not_every_tick() -> None:
    old = [box(f"old{i}@x.test", "expired", -timedelta(days=i)) for i in range(300)]
    boxes = [box("live@x.test", "live", timedelta(minutes=30)), *old]
    maker = SidebarRows()
    first = maker.rows(boxes, {}, NOW)
    again = maker.rows(boxes, {}, NOW + timedelta(seconds=1))
    # The live row is new (its time left moved); every archived row is the very same object.
    assert first[0] is not again[0] and first[0].status != again[0].status
    assert all(a is b for a, b in zip(first[1:], again[1:], strict=True))
    # A new unread count, or a new record, makes that row (and only it) again.
    changed = maker.rows(boxes, {"old5@x.test": 2}, NOW)
    remade = [r.email for a, r in zip(again[1:], changed[1:], strict=True) if a is not r]
    assert remade == ["old5@x.test"] and changed[1:] == sorted(
        changed[1:], key=lambda r: -r.day.toordinal()
    )  # type: ignore[union-attr]


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/St_Johns", "Australia/Lord_Howe"])
def test_the_local_day_is_astimezones_across_the_zones_changes(
    zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every 13 minutes over a year, in zones whose offset changes by the hour and the half hour.
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for step in range(0, 366 * 24 * 60, 13):
            moment = start + timedelta(minutes=step)
            assert box_groups._local_day(moment) == moment.astimezone().date(), moment
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()


async def test_addresses_are_fitted_again_when_the_scroll_bar_comes() -> None:
    # Enough boxes to need a scroll bar, with addresses longer than the list is wide: the
    # bar's column is not the addresses', which must fit what is left.
    rows = [live(f"a-rather-long-name-{i:02}@longdomain.example") for i in range(30)]
    async with Sidebar().run_test(size=(40, 30)) as pilot:
        bar = pilot.app.query_one(MailboxList)
        bar.show(rows, today=TODAY)
        await pilot.pause()
        await pilot.pause()
        assert bar.show_vertical_scrollbar
        width = bar.scrollable_content_region.width
        first = str(bar.get_option_at_index(0).prompt).split("\n")[0]
        assert len(first) <= width and first.endswith("@longdomain.example"), (first, width)


def count_archive_walks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the walks over the archived boxes (each returns the archived rows made again)."""
    walks: list[int] = []
    real = SidebarRows._archive

    def counting(self: SidebarRows, *args: object) -> None:
        walks.append(1)
        real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(SidebarRows, "_archive", counting)
    return walks


def test_the_apps_tick_allocates_nothing_that_grows_with_the_archive() -> None:
    # MainView's tick takes the two parts as they are (update): a list of every row, a
    # 2,000-box archive's 16 KB each second, is made only for callers that ask for one.
    def tick_bytes(archived: int) -> int:
        old = [box(f"old{i}@x.test", "expired", -timedelta(hours=i)) for i in range(archived)]
        boxes = [box("live@x.test", "live", timedelta(minutes=30)), *old]
        maker = SidebarRows()
        maker.update(boxes, {}, NOW, 1)
        maker.update(boxes, {}, NOW + timedelta(seconds=1), 1)
        tracemalloc.start()
        try:
            maker.update(boxes, {}, NOW + timedelta(seconds=2), 1)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    assert tick_bytes(2_000) - tick_bytes(20) < 1_000


def test_a_tick_with_the_archive_unchanged_walks_only_the_live_boxes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = [box(f"old{i}@x.test", "expired", -timedelta(days=i)) for i in range(300)]
    soon = box("soon@x.test", "live", timedelta(seconds=30))
    boxes = [box("live@x.test", "live", timedelta(minutes=30)), soon, *old]
    walks = count_archive_walks(monkeypatch)
    maker = SidebarRows()
    maker.rows(boxes, {}, NOW, 1)
    archived = maker.archived
    assert len(walks) == 1 and len(archived) == 300
    for second in range(1, 20):
        rows = maker.rows(boxes, {}, NOW + timedelta(seconds=second), 1)
        assert maker.archived is archived and rows[2:] == archived
    assert len(walks) == 1  # nineteen ticks, no walk over the archive
    # A live box whose time runs out is archived by the clock, not by the store.
    rows = maker.rows(boxes, {}, NOW + timedelta(seconds=31), 1)
    assert len(walks) == 2 and [r.email for r in rows if r.live] == ["live@x.test"]
    assert any(r.email == "soon@x.test" and r.status == "expired" for r in maker.archived)
    # A changed unread count (a new version) shows at once; then the ticks are quiet again.
    rows = maker.rows(boxes, {"old7@x.test": 3}, NOW + timedelta(seconds=32), 2)
    assert len(walks) == 3 and next(r for r in rows if r.email == "old7@x.test").unread == 3
    maker.rows(boxes, {"old7@x.test": 3}, NOW + timedelta(seconds=33), 2)
    assert len(walks) == 3
    # A new box list (read again from the store), or the next day, is walked again.
    maker.rows(list(boxes), {"old7@x.test": 3}, NOW + timedelta(seconds=34), 2)
    maker.rows(list(boxes), {"old7@x.test": 3}, NOW + timedelta(days=1), 2)
    assert len(walks) == 5
    # Without a version the counts may have changed in place: every call walks.
    maker.rows(boxes, {}, NOW, None)
    maker.rows(boxes, {}, NOW, None)
    assert len(walks) == 7


async def test_the_same_archived_rows_are_not_grouped_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    grouped: list[int] = []
    real = box_groups.archive_groups

    def counting(*args: object) -> object:
        grouped.append(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr("tempmail_tui.ui.widgets.mailbox_list.archive_groups", counting)
    rows = year_of_boxes()
    lives, archived = rows[:20], rows[20:]
    async with Sidebar().run_test(size=(40, 30)) as pilot:
        bar = pilot.app.query_one(MailboxList)
        bar.show_parts(lives, archived, today=TODAY)
        await pilot.pause()
        grouped.clear()  # made once (and for the empty list before it); counted from here
        for _ in range(5):
            bar.show_parts([live(r.email) for r in lives], archived, today=TODAY)
        assert grouped == []
        bar.set_filter("old1")
        bar.show_parts(lives, archived, today=TODAY)
        bar.show_parts(lives, archived, today=TODAY)
        assert len(grouped) == 1  # the filter's rows are kept while the rows and words are
        assert bar.border_subtitle == "0 live · 1111 archived by day · filtered"
        bar.set_filter("")
        bar.set_grouping("label")
        assert len(grouped) == 3
        # Another list with other rows is grouped again.
        changed = [*archived[:5], gone("new@mailsink.test", 0), *archived[5:]]
        bar.show_parts(lives, changed, today=TODAY)
        assert len(grouped) == 4


async def test_a_new_list_of_the_same_archived_rows_is_compared_once_then_known(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # show() splits its rows into a list of its own; the app's ticks then pass SidebarRows'
    # list, the same rows in another object: every tick walked the archive to tell so.
    compared: list[int] = []
    real = box_groups.same_rows

    def counting(a: list[BoxRow], b: list[BoxRow]) -> bool:
        compared.append(len(a))
        return real(a, b)

    monkeypatch.setattr("tempmail_tui.ui.widgets.mailbox_list.same_rows", counting)
    rows = year_of_boxes()
    lives, archived = rows[:20], rows[20:]
    async with Sidebar().run_test(size=(40, 30)) as pilot:
        bar = pilot.app.query_one(MailboxList)
        bar.show(rows, today=TODAY)
        await pilot.pause()
        compared.clear()
        for _ in range(5):
            bar.show_parts([live(r.email) for r in lives], list(archived), today=TODAY)
        assert len(compared) == 5  # each tick's list is a new object: compared, not regrouped
        kept = list(archived)
        compared.clear()
        for _ in range(5):
            bar.show_parts(lives, kept, today=TODAY)
        assert compared == [len(archived)]  # once, then known by identity


def rendered(bar: MailboxList) -> set[str | None]:
    """The ids of the options whose rendering the list keeps."""
    keys = bar._option_render_cache.keys()  # an LRUCache: no iteration of its own
    return {key[0].id for key in keys}


async def test_an_unread_count_changing_draws_that_box_again_not_the_sidebar() -> None:
    rows = [live(f"box{i}@mailsink.test") for i in range(12)]
    async with Sidebar().run_test(size=(40, 30)) as pilot:
        bar = pilot.app.query_one(MailboxList)
        bar.show(rows, today=TODAY)
        await pilot.pause()
        before = rendered(bar)
        assert len(before) == 12
        read = BoxRow("box3@mailsink.test", 1, "50 min left", True)
        bar.show([*rows[:3], read, *rows[4:]], today=TODAY)
        after = rendered(bar)
        assert after == before - {"box3@mailsink.test"}  # the others' renderings are kept
        await pilot.pause()
        shown = [line.text for line in bar.render_lines(bar.region.reset_offset)]
        at = next(n for n, line in enumerate(shown) if "box3@mailsink.test" in line)
        assert "1 unread" in shown[at + 1]
        assert sum("unread" in line for line in shown) == 1
        assert rendered(bar) == before


def month_of_boxes(count: int) -> list[BoxRow]:
    """One live box and ``count`` archived ones, all in the month before this week's days."""
    rows = [live("now@mailsink.test")]
    rows += [gone(f"m{i:03}@mailsink.test", 10, ("site",)) for i in range(count)]
    return rows


class Listening(Sidebar):
    """The sidebar alone, hearing what the main screen would: highlighted and chosen options."""

    def __init__(self) -> None:
        super().__init__()
        self.heard: list[str | None] = []

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.heard.append(event.option.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.heard.append(event.option.id)


async def test_an_open_group_lists_a_page_and_enter_on_more_lists_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[str] = []
    real = box_groups.box_prompt

    def counting(row: BoxRow, width: int) -> object:
        built.append(row.email)
        return real(row, width)

    monkeypatch.setattr("tempmail_tui.ui.widgets.mailbox_list.box_prompt", counting)
    rows = month_of_boxes(60)
    month, more = day_key(10), MORE_PREFIX + day_key(10)
    app = Listening()
    async with app.run_test(size=(40, 30)) as pilot:
        bar = app.query_one(MailboxList)
        bar.show(rows, today=TODAY)
        bar.focus()
        await pilot.pause()
        # The only group is the newest: open, a page of its boxes built, then "35 more…".
        assert bar.open_groups == [month]
        assert bar.shown_ids()[2 : 2 + GROUP_PAGE] == [r.email for r in rows[1 : 1 + GROUP_PAGE]]
        assert bar.shown_ids()[-1] == more and len(built) == 1 + GROUP_PAGE
        assert "35 more…" in str(bar.get_option(more).prompt)
        assert "(60)" in str(bar.get_option(month).prompt)  # the header counts them all
        # On "more…" no box is selected; Enter lists the next page and goes to its first box.
        bar.highlighted = bar.get_option_index(more)
        assert bar.on_header and bar.selected_email is None
        built.clear()
        await pilot.press("enter")
        # The boxes listed are built, not the ten still behind "more…".
        assert len(built) == 1 + 2 * GROUP_PAGE
        assert bar.selected_email == rows[1 + GROUP_PAGE].email
        assert "10 more…" in str(bar.get_option(more).prompt)
        # Space on the last "more…" lists the rest; the row goes, the highlight stays put.
        bar.highlighted = bar.get_option_index(more)
        await pilot.press("space")
        assert more not in bar.shown_ids() and bar.option_count == 2 + 60
        assert bar.selected_email == rows[1 + 2 * GROUP_PAGE].email
        # "more…" is no mailbox: the screen never hears of it, only of the boxes it lists.
        await pilot.pause()
        assert more not in app.heard and rows[1 + GROUP_PAGE].email in app.heard
        # Closed and opened again (Enter on its header), the group lists its first page.
        bar.highlighted = bar.get_option_index(month)
        await pilot.press("enter", "enter")
        assert bar.shown_ids()[-1] == more and bar.option_count == 2 + GROUP_PAGE + 1
        # ← on "more…" goes to the group's header.
        bar.highlighted = bar.get_option_index(more)
        await pilot.press("left")
        assert bar.highlighted == bar.get_option_index(month)


async def test_the_box_asked_for_past_the_first_page_is_listed() -> None:
    rows = month_of_boxes(80)
    wanted = rows[60].email  # on the third page
    async with Sidebar().run_test(size=(40, 30)) as pilot:
        bar = pilot.app.query_one(MailboxList)
        bar.show(rows, select=wanted, today=TODAY)
        await pilot.pause()
        assert bar.selected_email == wanted
        assert bar.option_count == 2 + 3 * GROUP_PAGE + 1  # three pages and "5 more…"
        # The ticks after keep it so.
        bar.show(rows, today=TODAY)
        assert bar.selected_email == wanted
