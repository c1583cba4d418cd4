"""The interpreter's housekeeping kept off the screen: collections after a load, GIL hand-offs."""

from __future__ import annotations

import gc
import logging
import sys
from typing import Final

log = logging.getLogger(__name__)

#: Rows from which a load counts as large: below it, full collections are short anyway.
LARGE_LOAD: Final = 1_000
#: Seconds a thread holding the interpreter lock runs before the screen's thread may take it.
SWITCH_INTERVAL: Final = 0.001


def favour_the_screen() -> None:
    """Let the UI thread take the interpreter lock within a millisecond, not five.

    The renderer, the store's indexing and the listing's decoding run in threads of this
    process. While one of them works, the UI thread waits for the lock at every step of
    drawing a frame: at Python's default 5 ms a step, opening a newsletter stalled the screen
    for 70 ms. A shorter interval costs the workers a little throughput.
    """
    sys.setswitchinterval(SWITCH_INTERVAL)


def pause_collection() -> None:
    """Turn the cyclic collector off until the first frame is painted (``resume_collection``).

    Start-up imports Textual and builds the first frame: thousands of modules, classes and
    widgets that live until exit, and no garbage worth a sweep. The collections their
    allocations set off walked them again and again: 3-4 % of the CPU to the first frame
    (tests/bench cold_start).
    """
    gc.disable()


def resume_collection() -> None:
    """The first frame is painted: what start-up made is kept out of sweeps, the collector on."""
    if gc.isenabled():
        return
    gc.freeze()
    gc.enable()


def settle_start() -> None:
    """Once start-up has loaded what the app runs on, take it out of the collector's sweeps.

    Modules, classes, the screens and their widgets live until exit. A full collection
    walks every one of them: opening a newsletter allocates enough to set one off, and it
    stalled the screen for 50-230 ms. Frozen, the sweeps walk only what came after.
    """
    gc.freeze()
    log.debug("start-up: %d objects frozen", gc.get_freeze_count())


def settle(rows: int) -> None:
    """After a large load, take what is alive now out of the collector's sweeps (``gc.freeze``).

    A full collection walks every tracked object: with a 5,000-mail box listed that is
    80-130 ms, landing on whichever key press allocates past the threshold. The rows, the
    messages and the app live as long as the box is shown, so sweeping them again finds
    nothing; frozen, they cost no collection at all. What they leave as garbage later is
    still freed by reference counting (only cycles among them stay until exit).
    """
    if rows < LARGE_LOAD:
        return
    gc.freeze()
    log.debug("large load (%d rows): %d objects frozen", rows, gc.get_freeze_count())
