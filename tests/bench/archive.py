"""A year of archive: search as you type, start-up and the sidebar with 2,000 archived boxes."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tempmail_tui.core.store import Store
from tempmail_tui.sandbox.records import SandboxMailbox
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.app import TempMailApp
from tempmail_tui.ui.widgets.box_groups import GROUP_PREFIX
from tempmail_tui.ui.widgets.mailbox_list import MailboxList

from . import scenario
from .archive_store import ArchiveSpec, BuiltStore, build
from .cold_start import APP, TIMEOUT
from .figures import Figure, median, ms
from .probes import FrameClock, until
from .terminal import Tmux, cpu_seconds

#: Live boxes beside the archive: the reader lists them first and polls them.
LIVE = 3
#: Archived boxes in the small store the sidebar is compared with.
FEW = 20
SIZE = (120, 36)
QUIET = 24 * 3600.0
#: Whole words searched for: common (in most mail), of one trade, and rare.
WORDS = ("the", "your", "account", "invoice", "shipping delivery", "verify code")
#: Words typed letter by letter: each prefix is one query, as the search screen sends them.
TYPED = ("invoice", "password", "kubernetes")


def typed_queries(word: str) -> list[str]:
    """The queries the search screen sends while ``word`` is typed (the last word a prefix)."""
    return [word[:n] + "*" for n in range(1, len(word) + 1)]


@dataclass(frozen=True)
class SearchTimes:
    """Seconds per query, by kind."""

    words: dict[str, float]
    typed: dict[str, float]
    rare: dict[str, float]

    @property
    def all(self) -> list[float]:
        """Every query's time."""
        return [*self.words.values(), *self.typed.values(), *self.rare.values()]


def time_searches(path: Path, rare: Sequence[str], *, repeats: int) -> SearchTimes:
    """The median time of each query, through the ``Store`` the mail service searches."""
    with Store.open(path) as store:
        store.search("warm")  # the first query pays for opening the index's pages

        def timed(query: str) -> float:
            samples = []
            for _ in range(repeats):
                started = time.perf_counter()
                store.search(query, limit=51)
                samples.append(time.perf_counter() - started)
            return median(samples)

        return SearchTimes(
            {q: timed(q) for q in WORDS},
            {q: timed(q) for word in TYPED for q in typed_queries(word)},
            {q: timed(q) for q in rare},
        )


def store_work(path: Path, repeats: int) -> float:
    """Median seconds of the store's part of start-up: open, the boxes, their unread counts."""
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        with Store.open(path) as store:
            store.mailboxes()
            store.unread_counts()
        samples.append(time.perf_counter() - started)
    return median(samples)


@dataclass(frozen=True)
class Launch:
    """One launch: seconds to the live boxes listed, and CPU seconds the process had used."""

    wall: float
    cpu: float


def _launch(tmux: Tmux, env: dict[str, str], emails: Sequence[str]) -> Launch:
    pane = tmux.launch(APP, env, scenario.ROOT)
    try:
        wall = pane.wait_for(lambda screen: all(e in screen for e in emails), timeout=TIMEOUT)
        # Steadier than wall time on a shared machine: what the app itself spent.
        cpu = cpu_seconds(pane.pid, with_children=False)
    finally:
        pane.quit()
    return Launch(wall, cpu)


def start_up(
    server: SandboxServer, empty: Path, archive: Path, emails: Sequence[str], pairs: int
) -> tuple[list[Launch], list[Launch]]:
    """Launches to the live boxes listed, the empty store's and the archive's interleaved."""
    envs = [scenario.app_environment(server, home) for home in (empty, archive)]
    with Tmux(*SIZE) as tmux:
        for env in envs:  # unmeasured: byte-code and page caches warm up
            _launch(tmux, env, emails)
        times: tuple[list[Launch], list[Launch]] = ([], [])
        for index in range(pairs):
            order = (0, 1) if index % 2 == 0 else (1, 0)
            for which in order:
                times[which].append(_launch(tmux, envs[which], emails))
    return times


@dataclass(frozen=True)
class SidebarTimes:
    """Seconds the sidebar costs the UI thread: the once-a-second refresh, opening the archive."""

    tick: list[float]
    open_archive: list[float]


async def _sidebar_times(app: TempMailApp, frames: FrameClock, repeats: int) -> SidebarTimes:
    sidebar = app.main.query_one(MailboxList)
    # The archive's oldest group, closed: what opening one costs.
    group = [key for key in sidebar.shown_ids() if key.startswith(GROUP_PREFIX)][-1]
    if group in sidebar.open_groups:
        sidebar.toggle_group(group)
        await frames.next_frame(timeout=30)
    tick: list[float] = []
    opened: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        app.main.refresh_sidebar()
        tick.append(time.perf_counter() - started)
        await asyncio.sleep(0.01)
        count = frames.count
        started = time.perf_counter()
        sidebar.toggle_group(group)
        painted = await frames.next_frame(after=count, timeout=30)
        opened.append(painted - started)
        sidebar.toggle_group(group)
        await frames.next_frame(timeout=30)
    return SidebarTimes(tick, opened)


def sidebar(server: SandboxServer, path: Path, home: Path, repeats: int) -> SidebarTimes:
    """The sidebar's costs in the real app on the store at ``path``."""
    config = scenario.app_config(server, home, poll_interval=QUIET, background_interval=QUIET)

    async def measure() -> SidebarTimes:
        app = TempMailApp(config, store_path=path)
        frames = FrameClock(app)
        async with app.run_test(size=SIZE):
            # Start-up lists the live boxes first, then reads the archive.
            await until(lambda: app.main.archive_listed, timeout=60, what="the archive")
            await until(lambda: app.main.query_one(MailboxList).option_count, timeout=60)
            return await _sidebar_times(app, frames, repeats)

    return asyncio.run(measure())


#: Rounds of the two sidebars, taken in turn: a drift in the machine's load hits both alike.
SIDEBAR_ROUNDS = 3


def sidebars(
    server: SandboxServer, big: tuple[Path, Path], few: tuple[Path, Path], repeats: int
) -> tuple[SidebarTimes, SidebarTimes]:
    """The sidebar's costs on the big store and the small one, measured in alternating rounds."""
    times: dict[int, list[SidebarTimes]] = {0: [], 1: []}
    for round_ in range(SIDEBAR_ROUNDS):
        # Rotate which goes first, as the start-up pairs do.
        for which in (0, 1) if round_ % 2 == 0 else (1, 0):
            path, home = (big, few)[which]
            times[which].append(sidebar(server, path, home, repeats))
    big_times, few_times = (
        SidebarTimes(
            [t for one in times[which] for t in one.tick],
            [t for one in times[which] for t in one.open_archive],
        )
        for which in (0, 1)
    )
    return big_times, few_times


def add_live(path: Path, boxes: Sequence[SandboxMailbox]) -> None:
    """Add the sandbox's live boxes to a store, the first one listed first."""
    now = datetime.now(UTC)
    with Store.open(path) as store:
        for box in reversed(boxes):
            store.add_mailbox(scenario.as_mailbox(box, now))


def as_schema_2(path: Path) -> None:
    """Turn a store back into schema 2's form: its search index without prefixes.

    Schema 4's tables (the pollers and the mail version) and triggers go too, so the
    upgrade runs every step from 2, as it does on a user's schema 2 store.
    """
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        for table in ("mailboxes", "messages"):
            for event in ("insert", "update", "delete"):
                conn.execute(f"DROP TRIGGER IF EXISTS {table}_{event}_version")
        conn.execute("DROP TABLE IF EXISTS pollers")
        conn.execute("DROP TABLE IF EXISTS mail_version")
        for name in ("messages_fts_ai", "messages_fts_ad", "messages_fts_au"):
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("DROP TABLE messages_fts")
        conn.execute("DROP INDEX messages_unseen")
        conn.execute(
            "CREATE VIRTUAL TABLE messages_fts USING fts5 (subject, sender, body, content = '')"
        )
        conn.execute(
            "INSERT INTO messages_fts (rowid, subject, sender, body) SELECT rowid, subject,"
            " from_name || ' ' || from_email, coalesce(body_text, content) FROM messages"
        )
        conn.execute("PRAGMA user_version = 2")
        conn.execute("COMMIT")
    finally:
        conn.close()


def migration_seconds(path: Path, scratch: Path) -> float:
    """Seconds to open a copy of the archive written by schema 2 (the one-off migration)."""
    copy = scratch / "schema2.sqlite3"
    shutil.copyfile(path, copy)
    as_schema_2(copy)
    started = time.perf_counter()
    Store.open(copy).close()
    return time.perf_counter() - started


def run(*, pairs: int = 6, repeats: int = 5, migration: bool = True) -> list[Figure]:
    """Build the archive, then time search, start-up and the sidebar against it."""
    with scenario.sandbox() as server, scenario.workdir("archive") as work:
        made = [server.state.create_mailbox(username=f"live{n}", domain=None) for n in range(LIVE)]
        emails = [box.email for box in made]
        empty_home, archive_home = work / "empty", work / "archive"
        empty_path = scenario.store_path(empty_home / "data")
        archive_path = scenario.store_path(archive_home / "data")
        built = build(archive_path)
        add_live(archive_path, made)
        scenario.seed_store(empty_path, made)
        few_path = work / "few" / "store.sqlite3"
        build(few_path, ArchiveSpec(boxes=FEW))
        add_live(few_path, made)

        searches = time_searches(
            archive_path, built.rare[:: max(1, len(built.rare) // 6)][:6], repeats=repeats
        )
        bars, few_bars = sidebars(
            server, (archive_path, archive_home), (few_path, work / "few"), repeats
        )
        work_times = (store_work(empty_path, repeats), store_work(archive_path, repeats))
        empty_times, archive_times = start_up(server, empty_home, archive_home, emails, pairs)
        migrated = migration_seconds(archive_path, work) if migration else None
    return _figures(
        built, searches, bars, few_bars, (empty_times, archive_times), work_times, migrated
    )


def _ms_list(values: Sequence[float]) -> str:
    return ", ".join(f"{ms(v):g}" for v in values)


def _figures(
    built: BuiltStore,
    searches: SearchTimes,
    bars: SidebarTimes,
    few_bars: SidebarTimes,
    launches: tuple[list[Launch], list[Launch]],
    work: tuple[float, float],
    migrated: float | None,
) -> list[Figure]:
    empty, archive = [x.wall for x in launches[0]], [x.wall for x in launches[1]]
    empty_cpu, archive_cpu = [x.cpu for x in launches[0]], [x.cpu for x in launches[1]]
    every = searches.all
    slowest = max([*searches.words.items(), *searches.typed.items()], key=lambda kv: kv[1])
    store = (
        f"{built.boxes:,} archived boxes × {built.messages // built.boxes} mails = "
        f"{built.messages:,} mails, {built.size_bytes / 1e6:.0f} MB, built in {built.seconds:.0f} s"
    )
    # Pair by pair (each pair launched back to back), so a drift in machine load cancels out.
    start_ratio = median([a / e for a, e in zip(archive, empty, strict=True)])
    tick_ratio = median(bars.tick) / median(few_bars.tick)
    open_ratio = median(bars.open_archive) / median(few_bars.open_archive)
    figures = [
        Figure(
            "archive_search_median_ms",
            "Archive search: median per query, 50,000 mails",
            ms(median(every)),
            "ms",
            50.0,
            detail=(
                f"{store}; {len(every)} queries (median of their medians): whole words "
                f"{_ms_list(searches.words.values())} ms; typed letter by letter "
                f"({', '.join(TYPED)}) {_ms_list(searches.typed.values())} ms; rare words "
                f"{_ms_list(searches.rare.values())} ms; 90th percentile "
                f"{ms(statistics.quantiles(every, n=10)[-1])} ms, slowest {slowest[0]!r} "
                f"{ms(slowest[1])} ms; first page of 50"
            ),
            samples=tuple(every),
        ),
        Figure(
            "archive_start_ratio",
            "Archive start-up: launch to the box list, archive / empty store",
            round(start_ratio, 3),
            "×",
            1.1,
            detail=(
                f"median of {len(archive)} interleaved pairs of launches in tmux: with the archive "
                f"{ms(median(archive))} ms ({_ms_list(archive)}), empty store "
                f"{ms(median(empty))} ms ({_ms_list(empty)}); {LIVE} live boxes both"
            ),
            samples=tuple(archive),
        ),
        Figure(
            "archive_start_cpu_ratio",
            "Archive start-up: CPU used to the box list, archive / empty store",
            round(median(archive_cpu) / median(empty_cpu), 3),
            "×",
            1.1,
            detail=(
                f"utime+stime of the app when its boxes were seen (10 ms ticks), same launches: "
                f"archive {ms(median(archive_cpu))} ms ({_ms_list(archive_cpu)}), empty store "
                f"{ms(median(empty_cpu))} ms ({_ms_list(empty_cpu)})"
            ),
            samples=tuple(archive_cpu),
        ),
        Figure(
            "archive_start_store_ms",
            "Archive start-up: the store's part (open, boxes, unread counts)",
            ms(work[1]),
            "ms",
            detail=f"in this process, median of a few; {ms(work[0])} ms with the empty store",
        ),
        Figure(
            "archive_sidebar_tick_ratio",
            "Archive sidebar: the once-a-second refresh, 2,000 / 20 archived boxes",
            round(tick_ratio, 3),
            "×",
            1.2,
            detail=(
                f"refresh_sidebar on the UI thread, {SIDEBAR_ROUNDS} alternating rounds: "
                f"{ms(median(bars.tick))} ms with "
                f"{built.boxes:,}, {ms(median(few_bars.tick))} ms with {FEW} archived boxes"
            ),
            samples=tuple(bars.tick),
        ),
        Figure(
            "archive_sidebar_open_ratio",
            "Archive sidebar: opening the oldest group to painted, 2,000 / 20 archived boxes",
            round(open_ratio, 3),
            "×",
            1.2,
            detail=(
                f"toggle_group (the oldest group, closed) to the next frame, "
                f"{SIDEBAR_ROUNDS} alternating rounds of a fresh app each: "
                f"{ms(median(bars.open_archive))} ms with "
                f"{built.boxes:,}, {ms(median(few_bars.open_archive))} ms with {FEW}"
            ),
            samples=tuple(bars.open_archive),
        ),
    ]
    if migrated is not None:
        figures.append(
            Figure(
                "archive_migration_s",
                "Archive: opening a schema 2 store of 50,000 mails (once, rebuilds the index)",
                round(migrated, 1),
                "s",
                detail="schema 3: the search index gains prefix indexes; the unseen index",
            )
        )
    return figures
