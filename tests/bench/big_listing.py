"""A 20,000-message listing: from the poll's response to the painted list, and peak memory."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tempmail_tui.sandbox.server import SandboxServer

from . import scenario
from .big_mailbox import PollTiming, first_fill
from .figures import Figure, median, ms, worst
from .idle_cost import BigOpen, big_box_open
from .terminal import Tmux

LISTING_SIZE = 20_000
#: Each mail's text: short, so the listing stays under the client's 32 MiB response cap
#: (20,000 of the 2 KB HTML mails of the 5,000 box would be 48 MB, refused whole).
TEXT = "Your order has shipped and will arrive on Thursday. Track it in your account. "


def fill_short(server: SandboxServer, email: str, count: int) -> None:
    """Deliver ``count`` short text mails, a minute apart, oldest first."""
    now = server.state.now()
    for index in range(count):
        server.state.deliver(
            email,
            subject=f"Order {index}: shipped",
            from_name=f"Shop {index % 40}",
            from_email=f"shop{index % 40}@example.org",
            text=f"{TEXT}Order number {index}.",
            received_at=now - timedelta(minutes=count - index),
        )


async def _fills(repeats: int) -> list[PollTiming]:
    with scenario.sandbox() as server:
        box = server.state.create_mailbox(username="huge")
        fill_short(server, box.email, LISTING_SIZE)
        return [await first_fill(server, box.email, LISTING_SIZE) for _ in range(repeats)]


def run(*, repeats: int = 3) -> list[Figure]:
    """Measure the 20,000-message listing: in this process, then as a process in tmux."""
    fills = asyncio.run(_fills(repeats))
    with Tmux() as tmux:
        opened: BigOpen = big_box_open(
            tmux, 5.0, stored=False, size=LISTING_SIZE, fill=fill_short, opened="Order "
        )
    return [
        Figure(
            "listing_20k_shown_ms",
            "20,000-message listing: poll response to painted list",
            ms(median([t.to_frame for t in fills])),
            "ms",
            1000,
            detail=(
                f"{LISTING_SIZE:,} short text mails (about 8 MB of JSON), "
                f"fresh store each run, median of {len(fills)}: decode+parse "
                f"{ms(median([t.decode for t in fills]))} ms, store plan "
                f"{ms(median([t.store for t in fills]))} ms (I/O and store threads), UI handler "
                f"{ms(median([t.handler_wall for t in fills]))} ms, layout+paint "
                f"{ms(median([t.paint for t in fills]))} ms; worst "
                f"{ms(worst([t.to_frame for t in fills]))} ms; every row in after "
                f"{ms(median([t.complete for t in fills]))} ms"
            ),
            samples=tuple(t.to_frame for t in fills),
        ),
        Figure(
            "listing_20k_peak_memory_mib",
            "20,000-message listing: peak memory of the app",
            round(opened.peak_mib, 1),
            "MiB",
            150,
            detail=(
                "VmHWM of the app process in tmux 120x36: empty store, the first poll lists "
                f"{LISTING_SIZE:,} short text mails (about 8 MB of JSON) and writes them, one "
                "is opened, "
                f"{opened.window.wall:.0f} s of polls every 5 s"
            ),
        ),
    ]
