"""Idle cost of the app as a real process in tmux: CPU with 5 live boxes, memory with 5,000."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tempmail_tui.api.client import TempMailClient
from tempmail_tui.core.mail import MailService
from tempmail_tui.core.render import HtmlRenderer
from tempmail_tui.core.store import Store
from tempmail_tui.sandbox.server import SandboxServer

from . import scenario
from .big_mailbox import BOX_SIZE
from .cold_start import APP
from .figures import Figure
from .request_budget import HOUR, simulate_hour
from .terminal import Pane, Tmux, cpu_seconds, peak_rss_mib

#: Time for the first polls to finish before measuring.
SETTLE = 8.0


@dataclass(frozen=True)
class Window:
    """CPU, wall time and requests of the app over one measured window."""

    cpu: float
    wall: float
    requests: int

    @property
    def percent(self) -> float:
        """CPU as a share of one core, in percent."""
        return 100.0 * self.cpu / self.wall


def measure_window(pane: Pane, server: SandboxServer, seconds: float) -> Window:
    """The app's CPU (its worker process included) and the requests it made over ``seconds``."""
    cpu, wall, used = cpu_seconds(pane.pid), time.perf_counter(), server.state.quota().used
    time.sleep(seconds)
    return Window(
        cpu_seconds(pane.pid) - cpu,
        time.perf_counter() - wall,
        server.state.quota().used - used,
    )


def idle_five_boxes(tmux: Tmux, window: float) -> Window:
    """Five live boxes with a little mail each, the default schedule, nobody at the keys."""
    with scenario.sandbox() as server, scenario.workdir("idle") as home:
        made, boxes = scenario.create_boxes(server, 5, mail_each=3, prefix="idle")
        scenario.seed_store(scenario.store_path(home / "data"), boxes)
        pane = tmux.launch(APP, scenario.app_environment(server, home), scenario.ROOT)
        try:
            pane.wait_for(lambda s: all(e in s for e in made.emails), timeout=30)
            time.sleep(SETTLE)
            return measure_window(pane, server, window)
        finally:
            pane.quit()


@dataclass(frozen=True)
class BigOpen:
    """The app with the 5,000-mail box open: peak memory, and CPU while it is polled."""

    peak_mib: float
    window: Window


async def _store_listing(server: SandboxServer, path: Path, email: str) -> None:
    """Poll the box once into the store, as an earlier session of the app would have."""
    client = TempMailClient(server.api_key, base_url=server.base_url)
    try:
        with Store.open(path) as store:
            service = MailService(client, store, HtmlRenderer())
            try:
                await service.poll(email)
            finally:
                await service.aclose()
    finally:
        await client.aclose()


def big_box_open(
    tmux: Tmux,
    window: float,
    *,
    stored: bool,
    size: int = BOX_SIZE,
    fill: Callable[[SandboxServer, str, int], None] = scenario.fill_box,
    opened: str = "Notice #",
) -> BigOpen:
    """Open a box of ``size`` mails and one of its mails; keep it open through a few polls.

    With ``stored`` the store already holds its mail (a later session); without, the first
    poll brings it all (a box added with its mail already there).
    """
    with scenario.sandbox() as server, scenario.workdir("memory") as home:
        box = server.state.create_mailbox(username="big")
        fill(server, box.email, size)
        path = scenario.store_path(home / "data")
        scenario.seed_store(path, [box])
        if stored:
            asyncio.run(_store_listing(server, path, box.email))
        pane = tmux.launch(APP, scenario.app_environment(server, home), scenario.ROOT)
        try:
            pane.wait_for(lambda s: f"{size} messages" in s, timeout=120)
            pane.tmux.send_keys(pane.name, "Enter")
            pane.wait_for(lambda s: opened in s, timeout=60)
            measured = measure_window(pane, server, window)
            # HTML is converted in the app's own process: its peak is the whole cost.
            return BigOpen(peak_rss_mib(pane.pid), measured)
        finally:
            pane.quit()


def run(*, window: float = 60.0) -> list[Figure]:
    """Measure the idle CPU and peak memory figures."""
    with Tmux() as tmux:
        idle = idle_five_boxes(tmux, window)
        big = big_box_open(tmux, min(window, 20.0), stored=True)
        fill = big_box_open(tmux, min(window, 10.0), stored=False)
    expected = simulate_hour(5) * idle.wall / HOUR
    return [
        Figure(
            "idle_cpu_5_boxes_pct",
            "Idle CPU, 5 live boxes on the default schedule",
            round(idle.percent, 2),
            "% of a core",
            1.0,
            detail=(
                f"app process and its children, utime+stime from /proc over {idle.wall:.0f} s "
                f"in tmux 120x36, after {SETTLE:g} s to settle"
            ),
        ),
        Figure(
            "requests_per_hour_5_boxes_real",
            "Requests an hour, 5 live boxes (real run, sandbox counter)",
            round(idle.requests / idle.wall * HOUR),
            "req/h",
            detail=(
                f"{idle.requests} requests in {idle.wall:.0f} s of the idle run; the simulated "
                f"schedule predicts {expected:.1f} in that time"
            ),
        ),
        Figure(
            "peak_memory_big_box_mib",
            "Peak memory with the 5,000-mail box open (mail already stored)",
            round(big.peak_mib, 1),
            "MiB",
            110,
            detail=(
                f"VmHWM (ru_maxrss) of the app process: start with the {BOX_SIZE:,} mails in the "
                f"store, list them, open one, {big.window.wall:.0f} s of polls"
            ),
        ),
        Figure(
            "peak_memory_big_box_first_fill_mib",
            "Peak memory with the 5,000-mail box open (first fill)",
            round(fill.peak_mib, 1),
            "MiB",
            110,
            detail=(
                f"as above, but the store is empty: the first poll brings all {BOX_SIZE:,} mails "
                "and writes them (search index included)"
            ),
        ),
        Figure(
            "cpu_big_box_selected_pct",
            "CPU with the 5,000-mail box selected (polled every 5 s)",
            round(big.window.percent, 1),
            "% of a core",
            detail=(
                f"{big.window.requests} polls in {big.window.wall:.0f} s, each a 10 MB listing: "
                "the API sends every mail whole"
            ),
        ),
    ]
