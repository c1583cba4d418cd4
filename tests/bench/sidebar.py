"""The mailbox sidebar with a year of archived boxes beside a few: its first draw and a tick."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from textual.app import App, ComposeResult

from tempmail_tui.core.store import StoredMailbox
from tempmail_tui.ui.widgets.box_groups import SidebarRows
from tempmail_tui.ui.widgets.mailbox_list import MailboxList

from .figures import Figure, median

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
FEW, MANY = 20, 2000
LIVE = 5
#: Issue 14: 2,000 boxes cost no more to draw than 20 (a little room for this machine's noise).
DRAW_RATIO_TARGET = 1.25


def boxes(archived: int) -> list[StoredMailbox]:
    """Five live boxes and ``archived`` others, spread over a year (newest first)."""

    def box(email: str, state: str, expire: datetime) -> StoredMailbox:
        return StoredMailbox(
            email,
            None,
            "mailsink.test",
            expire - timedelta(hours=1),
            expire,
            "t",
            NOW,
            state,
            None,
            False,
            ("site",),  # type: ignore[arg-type]
        )

    made = [box(f"live{i}@mailsink.test", "live", NOW + timedelta(minutes=30)) for i in range(LIVE)]
    step = timedelta(days=365) / archived
    made += [box(f"old{i}@mailsink.test", "expired", NOW - step * i) for i in range(archived)]
    return made


class Sidebar(App[None]):
    """The sidebar alone, as wide as the reader's."""

    CSS = "MailboxList { width: 34; }"

    def compose(self) -> ComposeResult:
        yield MailboxList(id="sidebar")


async def _measure(archived: int, ticks: int) -> tuple[float, float, int, float]:
    """CPU seconds of the first draw and of a tick, the options built, the rows' making."""
    records = boxes(archived)
    async with Sidebar().run_test(size=(120, 36)) as pilot:
        bar = pilot.app.query_one(MailboxList)
        maker = SidebarRows()
        # Reading the records into rows is not drawing: done first, timed apart.
        began = time.process_time()
        rows = maker.rows(records, {}, NOW)
        made = time.process_time() - began
        began = time.process_time()
        bar.show(rows, today=NOW.date())
        await pilot.pause()  # the frame that shows them (CPU only: waiting does not count)
        draw = time.process_time() - began
        samples = []
        for second in range(ticks):
            now = NOW + timedelta(seconds=second + 1)
            began = time.process_time()
            # As the app ticks (MainView.refresh_sidebar): the unread counts' version tells
            # the archive's rows unchanged, and the sidebar gets the two parts as they are.
            maker.update(records, {}, now, 1)
            bar.show_parts(maker.live, maker.archived, today=NOW.date())
            samples.append(time.process_time() - began)
        return draw, median(samples), bar.option_count, made


def run(*, repeats: int = 5, ticks: int = 60) -> list[Figure]:
    """Draw and tick the sidebar with a few and with a year of archived boxes, in turn."""
    few: list[tuple[float, float, int, float]] = []
    many: list[tuple[float, float, int, float]] = []
    for _ in range(repeats):
        few.append(asyncio.run(_measure(FEW, ticks)))
        many.append(asyncio.run(_measure(MANY, ticks)))
    draw_few, draw_many = median([f[0] for f in few]), median([m[0] for m in many])
    tick_few, tick_many = median([f[1] for f in few]), median([m[1] for m in many])
    return [
        Figure(
            "sidebar_draw_ratio",
            f"Sidebar: first draw, {MANY:,} archived boxes / {FEW}",
            round(draw_many / draw_few, 2),
            "×",
            DRAW_RATIO_TARGET,
            detail=(
                f"process_time of show() and the frame after it, median of {repeats}; {FEW}: "
                f"{draw_few * 1000:.1f} ms ({few[0][2]} options), {MANY:,}: "
                f"{draw_many * 1000:.1f} ms ({many[0][2]} options: a header per day this week, "
                "then per month, the newest open); 5 live boxes in both"
            ),
        ),
        Figure(
            "sidebar_rows_ms",
            f"Sidebar: reading {MANY:,} archived boxes into rows, once",
            round(median([m[3] for m in many]) * 1000, 1),
            "ms",
            detail=(
                f"SidebarRows.rows the first time (state, local day, sort), median of {repeats}; "
                f"with {FEW}: {median([f[3] for f in few]) * 1000:.2f} ms; later ticks reuse them"
            ),
        ),
        Figure(
            "sidebar_tick_ms",
            f"Sidebar: a second's refresh with {MANY:,} archived boxes",
            round(tick_many * 1000, 2),
            "ms",
            5.0,
            detail=(
                f"median of {ticks} ticks x {repeats} runs, as the app ticks (live rows made, "
                "archived ones reused while the unread counts are unchanged, groups and options "
                f"compared); with {FEW}: {tick_few * 1000:.2f} ms"
            ),
        ),
    ]
