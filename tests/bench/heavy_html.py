"""Heavy HTML: opening a 300 KB newsletter (UI stalls, then the cache) and a 3 MB one."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.widgets import Static

from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.widgets.reader import ReaderPane

from . import scenario
from .big_mailbox import Session, running_app
from .figures import Figure, median, ms, worst
from .mail import newsletter_html
from .probes import until

MEDIUM = 300_000
LARGE = 3_000_000
#: How long after the body is painted stalls still count as part of opening it.
SETTLE = 0.3


@dataclass(frozen=True)
class Opening:
    """One press of Enter on a message: until its body was painted, and the worst stall."""

    shown: float
    worst_lag: float
    conversions: int
    cut: bool


class RenderCounter:
    """Counts conversions the app's renderer performs (a cache hit performs none)."""

    def __init__(self, renderer: Any) -> None:
        self.count = 0
        render = renderer.render

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return render(*args, **kwargs)

        renderer.render = counted


def _body(reader: ReaderPane) -> str:
    content = reader.query_one("#body", Static).content
    return content.plain if isinstance(content, Text) else str(content)


async def open_message(session: Session, counter: RenderCounter, message_id: str) -> Opening:
    """Move to a message, select it as Enter does, and wait until its body is painted."""
    app, table = session.app, session.table
    reader = app.main.query_one(ReaderPane)
    table.focus()
    table.move_cursor(row=table.get_row_index(message_id), animate=False)
    await session.pilot.pause()
    before = counter.count
    session.lag.reset()
    started = time.perf_counter()
    # What Enter does on the list, without Pilot's wait for the process to go idle (which
    # would wait out the very work being measured).
    table.action_select_cursor()
    # The reader lays its body out in the same call that sets ``rendered``. (Reading the
    # body's text here would build a long Text on the UI loop and stall it.)
    ready = await until(
        lambda: (
            reader.message is not None
            and reader.message.id == message_id
            and reader.rendered is not None
        ),
        timeout=30,
        what="the body",
    )
    painted = await session.frames.frame_after(ready)
    await asyncio.sleep(SETTLE)
    # The server read that follows may bring the same body again: wait for it too.
    await until(lambda: not app.main.workers, timeout=30, what="the read to finish")
    worst_lag = session.lag.worst
    body = _body(reader)
    assert "Converting…" not in body[:40], "the body was not shown"
    return Opening(
        shown=painted - started,
        worst_lag=worst_lag,
        conversions=counter.count - before,
        cut="cut:" in body or "only its beginning is shown" in body,
    )


def _deliver(server: SandboxServer, email: str, label: str, html: str) -> str:
    return server.state.deliver(
        email,
        subject=f"The Weekly Byte, {label}",
        from_name="The Weekly Byte",
        from_email="news@example.com",
        html=html,
    ).id


async def _measure(mediums: int, larges: int) -> list[Figure]:
    medium_html, large_html = newsletter_html(MEDIUM), newsletter_html(LARGE)
    with scenario.sandbox() as server, scenario.workdir("html") as home:
        box = server.state.create_mailbox(username="reader")
        server.state.deliver(box.email, subject="A short note", text="Hello.\n")
        medium = [_deliver(server, box.email, f"300 KB #{n}", medium_html) for n in range(mediums)]
        large = [_deliver(server, box.email, f"3 MB #{n}", large_html) for n in range(larges)]
        async with running_app(server, home, box.email) as session:
            total = 1 + mediums + larges
            await until(lambda: session.table.row_count == total, timeout=60, what="the list")
            assert session.app.service is not None
            counter = RenderCounter(session.app.service.renderer)
            cache = session.app.service.cache
            first = [await open_message(session, counter, message_id) for message_id in medium]
            assert all(message_id in cache for message_id in medium), "a rendering was not cached"
            # Each reopening comes from another message, as a reader going back would.
            again = [await open_message(session, counter, message_id) for message_id in medium]
            huge = [await open_message(session, counter, message_id) for message_id in large]
    return _figures(first, again, huge)


def _figures(first: list[Opening], again: list[Opening], huge: list[Opening]) -> list[Figure]:
    converted = [o for o in first if o.conversions == 1]
    cached = [o for o in again if o.conversions == 0]
    return [
        Figure(
            "html_300k_worst_stall_ms",
            "300 KB newsletter, first open: worst UI loop stall",
            ms(worst([o.worst_lag for o in first])),
            "ms",
            50,
            detail=(
                f"worst over {len(first)} opens of a 5 ms asyncio probe's overshoot, from Enter "
                f"until {SETTLE:g} s after the body is painted; median "
                f"{ms(median([o.worst_lag for o in first]))} ms"
            ),
            samples=tuple(o.worst_lag for o in first),
        ),
        Figure(
            "html_300k_open_ms",
            "300 KB newsletter, first open: Enter to painted body",
            ms(median([o.shown for o in first])),
            "ms",
            detail=f"median of {len(first)}; {len(converted)} of them converted once each",
            samples=tuple(o.shown for o in first),
        ),
        Figure(
            "html_300k_reopen_ms",
            "300 KB newsletter, opened again: Enter to painted body (cache)",
            ms(median([o.shown for o in again])),
            "ms",
            detail=(
                f"median of {len(again)}; {len(cached)} of {len(again)} served from the render "
                "cache with no conversion (asserted in the cache, counted at the renderer); "
                f"worst stall {ms(worst([o.worst_lag for o in again]))} ms"
            ),
            samples=tuple(o.shown for o in again),
        ),
        Figure(
            "html_300k_reopen_conversions",
            "300 KB newsletter, opened again: conversions",
            float(sum(o.conversions for o in again)),
            "",
            0,
            comparison="==",
            detail="calls to the HTML renderer while reopening (0: served from the cache)",
        ),
        Figure(
            "html_3m_open_ms",
            "3 MB newsletter: Enter to painted body (or cut notice)",
            ms(median([o.shown for o in huge])),
            "ms",
            2000,
            detail=(
                f"median of {len(huge)}; worst {ms(worst([o.shown for o in huge]))} ms; "
                f"{sum(o.cut for o in huge)} shown cut with a notice; worst UI stall "
                f"{ms(worst([o.worst_lag for o in huge]))} ms"
            ),
            samples=tuple(o.shown for o in huge),
        ),
    ]


def run(*, mediums: int = 5, larges: int = 3) -> list[Figure]:
    """Measure the heavy-HTML figures over this many 300 KB and 3 MB newsletters."""
    return asyncio.run(_measure(mediums, larges))
