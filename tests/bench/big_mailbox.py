"""A box of 5,000 mails: first fill, new mail, a quiet re-poll and cursor keys, in this process."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual import events
from textual.pilot import Pilot

from tempmail_tui.core.schedule.policy import PollPolicy
from tempmail_tui.core.store import Store
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.app import TempMailApp
from tempmail_tui.ui.events import PollDone
from tempmail_tui.ui.widgets.message_table import MessageTable

from . import scenario
from .figures import Figure, median, ms, worst
from .mail import small_html
from .probes import FrameClock, HandlerTimer, LagProbe, until

BOX_SIZE = 5_000
SIZE = (120, 36)
#: Polls only when the harness asks: the schedule would otherwise poll during measurements.
QUIET_INTERVAL = 24 * 3600.0


class PollTrace:
    """When each poll's response body was read and when its listing was parsed."""

    def __init__(self, app: TempMailApp) -> None:
        self.response: list[float] = []
        self.parsed: list[float] = []
        original_connect = app.connect

        def connect(key: str) -> None:
            original_connect(key)
            assert app.service is not None
            self._instrument(app.service.client)

        app.connect = connect  # type: ignore[method-assign]

    def _instrument(self, client: Any) -> None:
        read, listing = client._read, client.listing

        async def timed_read(response: Any, method: str, path: str) -> Any:
            result = await read(response, method, path)
            if method == "GET" and path.endswith("/messages"):
                self.response.append(time.perf_counter())
            return result

        async def timed_list(email: str, **options: Any) -> Any:
            result = await listing(email, **options)
            self.parsed.append(time.perf_counter())
            return result

        client._read, client.listing = timed_read, timed_list


@dataclass
class Session:
    """A running app with its instruments."""

    app: TempMailApp
    pilot: Pilot[Any]
    frames: FrameClock
    handler: HandlerTimer
    trace: PollTrace
    lag: LagProbe = field(default_factory=LagProbe)

    @property
    def table(self) -> MessageTable:
        """The message list."""
        return self.app.main.query_one(MessageTable)


@asynccontextmanager
async def running_app(server: SandboxServer, home: Path, email: str) -> AsyncIterator[Session]:
    """The real app on a fresh store that knows ``email``, with polls only on request."""
    path = home / "store.sqlite3"
    scenario.seed_store(path, [server.state.mailbox(server.api_key, email)])
    config = scenario.app_config(
        server, home, poll_interval=QUIET_INTERVAL, background_interval=QUIET_INTERVAL
    )
    app = TempMailApp(config, store_path=path)
    frames = FrameClock(app)
    handler = HandlerTimer(app.main, (PollDone,))
    trace = PollTrace(app)
    async with app.run_test(size=SIZE) as pilot:
        session = Session(app, pilot, frames, handler, trace)
        session.lag.start()
        try:
            yield session
        finally:
            await session.lag.stop()


@dataclass(frozen=True)
class PollTiming:
    """Where the time of one poll went, from its response to the painted list (seconds)."""

    to_frame: float
    decode: float
    store: float
    handler_wall: float
    handler_cpu: float
    paint: float
    # Until every row is in and laid out (a large list fills in steps after its first paint).
    complete: float


async def _timed_poll(session: Session, rows: int, *, start_index: int) -> PollTiming:
    """Wait for poll number ``start_index`` to be handled and the list of ``rows`` painted."""
    table = session.table
    await until(lambda: len(session.handler.records) > start_index, timeout=120, what="poll")
    record = session.handler.records[start_index]
    handled = record.started + record.wall
    # The handler puts the rows (or the first step of them) in the list: the next frame
    # paints them.
    painted = await session.frames.frame_after(handled)
    header = 1 if table.show_header else 0
    ready = await until(
        lambda: table.row_count == rows and table.virtual_size.height >= rows + header,
        timeout=30,
        what=f"{rows} rows laid out",
    )
    complete = await session.frames.frame_after(ready)
    response = session.trace.response[start_index]
    parsed = session.trace.parsed[start_index]
    return PollTiming(
        to_frame=painted - response,
        decode=parsed - response,
        store=record.started - parsed,
        handler_wall=record.wall,
        handler_cpu=record.cpu,
        paint=painted - handled,
        complete=complete - response,
    )


async def first_fill(server: SandboxServer, email: str, rows: int = BOX_SIZE) -> PollTiming:
    """Start the app on an empty store: the first poll brings all ``rows`` mails."""
    with scenario.workdir("fill") as home:
        async with running_app(server, home, email) as session:
            return await _timed_poll(session, rows, start_index=0)


@dataclass
class QuietPoll:
    """A poll that found nothing new: its UI-thread cost and whether the list was rebuilt."""

    handler_cpu: float
    handler_wall: float
    changed_rows: int
    worst_lag: float


def _row_identity(table: MessageTable) -> dict[Any, tuple[int, ...]]:
    """The identity of every row object and cell, to tell a rebuild from an untouched list."""
    return {
        key: (id(row), *(id(cell) for cell in table.get_row(key)))
        for key, row in table.rows.items()
    }


async def quiet_poll(session: Session) -> QuietPoll:
    """Poll the box with nothing new in it."""
    app, table = session.app, session.table
    email = table.mailbox
    assert email is not None
    before = _row_identity(table)
    index = len(session.handler.records)
    session.lag.reset()
    assert app.main.poll_now(email), "a poll was already running"
    await until(lambda: len(session.handler.records) > index, timeout=60, what="quiet poll")
    # A quiet poll may change nothing on screen (then no frame is painted): the stall probe
    # covers up to the frame that follows, or half a second when none does.
    with contextlib.suppress(TimeoutError):
        await session.frames.next_frame(timeout=0.5)
    record = session.handler.records[index]
    after = _row_identity(table)
    changed = sum(1 for key, ident in after.items() if before.get(key) != ident)
    changed += len(before.keys() - after.keys())
    # From the response on: before it, the sandbox (in this process) was serialising it.
    stall = session.lag.worst_since(session.trace.response[index])
    return QuietPoll(record.cpu, record.wall, changed, stall)


async def new_mail(session: Session, server: SandboxServer, number: int) -> PollTiming:
    """Deliver one mail to the open box and poll: the list grows by one row at the top."""
    table = session.table
    email = table.mailbox
    assert email is not None
    rows = table.row_count + 1
    # The last poll's mail is written after it is shown: polls come 5 s apart, so the next
    # one finds that write done, and so does this harness. Nor do they come closer than a
    # burst's interval (1 s): what the last poll left to do after its frame (the collection
    # it put off, giving its pages back) is over by then, as it is here.
    service = session.app.service
    assert service is not None
    await until(lambda: not service._storing, timeout=30, what="the last poll's write")
    last = session.trace.response[-1] if session.trace.response else 0.0
    await asyncio.sleep(max(0.0, last + PollPolicy().burst_interval - time.perf_counter()))
    server.state.deliver(
        email,
        subject=f"Fresh mail {number}",
        from_name="New Sender",
        from_email="new@example.org",
        html=small_html(100_000 + number),
    )
    index = len(session.handler.records)
    assert session.app.main.poll_now(email), "a poll was already running"
    timing = await _timed_poll(session, rows, start_index=index)
    assert table.current_id is not None
    return timing


async def cursor_keys(session: Session, presses: int, *, pilot: bool) -> list[float]:
    """Process CPU seconds for each ``down`` key press up to the next painted frame.

    With ``pilot`` the key goes through ``pilot.press``, which also waits for the whole
    screen to go idle (its own work is counted); without, the key event is posted to the
    app as the terminal driver posts it.
    """
    app, table = session.app, session.table
    table.focus()
    table.move_cursor(row=0, animate=False)
    await session.pilot.pause()
    # The stall probe wakes every 5 ms: its CPU is not the app's.
    await session.lag.stop()
    costs: list[float] = []
    try:
        for _ in range(presses):
            count = session.frames.count
            cpu = time.process_time()
            if pilot:
                await session.pilot.press("down")
            else:
                key = events.Key("down", None)
                key.set_sender(app)
                app.post_message(key)
            await session.frames.next_frame(after=count)
            costs.append(time.process_time() - cpu)
    finally:
        session.lag.start()
    assert table.cursor_row == presses, f"cursor at {table.cursor_row}, expected {presses}"
    return costs


def _check_store_reads(session: Session, path: Path, email: str) -> None:
    """The app's store, which reuses rows it read before, reads what a fresh one reads."""
    service = session.app.service
    assert service is not None
    with Store.open(path) as fresh:
        assert service.store.messages(email) == fresh.messages(email), "stale store read"


async def _measure(repeats: int, presses: int, new_mails: int) -> list[Figure]:
    with scenario.sandbox() as server:
        box = server.state.create_mailbox(username="big")
        scenario.fill_box(server, box.email, BOX_SIZE)
        fills = [await first_fill(server, box.email) for _ in range(repeats)]
        with scenario.workdir("big") as home:
            async with running_app(server, home, box.email) as session:
                await _timed_poll(session, BOX_SIZE, start_index=0)
                quiet = [await quiet_poll(session) for _ in range(repeats + 2)]
                # One app, so more of these than of first fills: a median of three moved by
                # 40 ms between whole runs.
                fresh = [await new_mail(session, server, n) for n in range(new_mails)]
                # Rows are drawn the first time the cursor passes them: the driver-level run
                # goes first, over rows never drawn, as a reader scrolling down would.
                keys = await cursor_keys(session, presses, pilot=False)
                pilot_keys = await cursor_keys(session, presses, pilot=True)
                _check_store_reads(session, home / "store.sqlite3", box.email)
    return _figures(fills, fresh, quiet, keys, pilot_keys)


def _figures(
    fills: list[PollTiming],
    fresh: list[PollTiming],
    quiet: list[QuietPoll],
    keys: list[float],
    pilot_keys: list[float],
) -> list[Figure]:
    def breakdown(timings: list[PollTiming]) -> str:
        return (
            f"median of {len(timings)}: decode+parse {ms(median([t.decode for t in timings]))} ms "
            f"(I/O thread), store sync {ms(median([t.store for t in timings]))} ms (I/O thread), "
            f"UI handler {ms(median([t.handler_wall for t in timings]))} ms, layout+paint "
            f"{ms(median([t.paint for t in timings]))} ms; worst total "
            f"{ms(worst([t.to_frame for t in timings]))} ms; every row in and laid out after "
            f"{ms(median([t.complete for t in timings]))} ms"
        )

    return [
        Figure(
            "big_first_fill_ms",
            "5,000-mail box, first fill: poll response to painted list",
            ms(median([t.to_frame for t in fills])),
            "ms",
            300,
            detail="fresh store each run; " + breakdown(fills),
            samples=tuple(t.to_frame for t in fills),
        ),
        Figure(
            "big_new_mail_ms",
            "5,000-mail box, one new mail: poll response to painted list",
            ms(median([t.to_frame for t in fresh])),
            "ms",
            150,
            detail=breakdown(fresh),
            samples=tuple(t.to_frame for t in fresh),
        ),
        Figure(
            "big_quiet_repoll_ui_ms",
            "5,000-mail box, quiet re-poll: UI-thread CPU of the PollDone handler",
            ms(median([q.handler_cpu for q in quiet])),
            "ms",
            30,
            detail=(
                f"median of {len(quiet)} (thread_time on the UI thread); worst "
                f"{ms(worst([q.handler_cpu for q in quiet]))} ms; handler wall "
                f"{ms(median([q.handler_wall for q in quiet]))} ms"
            ),
            samples=tuple(q.handler_cpu for q in quiet),
        ),
        Figure(
            "big_quiet_repoll_rebuilt_rows",
            "5,000-mail box, quiet re-poll: rows rebuilt",
            float(max(q.changed_rows for q in quiet)),
            "rows",
            0,
            comparison="==",
            detail="row and cell objects compared by identity before and after each re-poll",
        ),
        Figure(
            "big_quiet_repoll_lag_ms",
            "5,000-mail box, quiet re-poll: worst UI loop stall",
            ms(median([q.worst_lag for q in quiet])),
            "ms",
            detail=(
                "median over re-polls of the worst 5 ms-probe overshoot from the 10 MB "
                "response's arrival while it is parsed and compared on the I/O thread (GIL "
                "contention); worst "
                f"{ms(worst([q.worst_lag for q in quiet]))} ms"
            ),
            samples=tuple(q.worst_lag for q in quiet),
        ),
        Figure(
            "scroll_cpu_per_key_ms",
            "5,000-mail box: CPU per cursor key to the next frame",
            ms(median(keys)),
            "ms",
            12,
            detail=(
                f"median of {len(keys)} presses of down over rows not drawn before, the key "
                "event posted as the terminal driver does; process_time from the key to the "
                f"next painted frame (frames turned into terminal output); worst "
                f"{ms(worst(keys))} ms"
            ),
            samples=tuple(keys),
        ),
        Figure(
            "scroll_cpu_per_key_pilot_ms",
            "5,000-mail box: CPU per cursor key to the next frame, via pilot.press",
            ms(median(pilot_keys)),
            "ms",
            12,
            detail=(
                f"median of {len(pilot_keys)} presses through pilot.press (the same rows again); "
                "includes Pilot's own wait for every widget of the screen to go idle; worst "
                f"{ms(worst(pilot_keys))} ms"
            ),
            samples=tuple(pilot_keys),
        ),
    ]


def run(*, repeats: int = 3, presses: int = 100, new_mails: int = 9) -> list[Figure]:
    """Measure the big-mailbox and scrolling figures."""
    return asyncio.run(_measure(repeats, presses, new_mails))
