"""The interpreter's housekeeping kept off the screen: collections after a load, GIL hand-offs."""

from __future__ import annotations

import gc
import logging
import sys
import time
from collections.abc import Callable
from typing import Final

log = logging.getLogger(__name__)

#: Rows from which a load counts as large: below it, full collections are short anyway.
LARGE_LOAD: Final = 1_000
#: Allocations from this many bytes get pages of their own, given back when freed (glibc).
BIG_BLOCK: Final = 256 * 1024
# glibc's mallopt parameter for that threshold.
_M_MMAP_THRESHOLD: Final = -3

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


def keep_big_blocks_apart() -> None:
    """Give every big block (a poll's response, its decoded listing) pages of its own.

    glibc raises its threshold for that to the size of the last such block freed: after
    the first 10 MB listing, the next ones were carved out of the heap, whose freed pages
    stay in the process between polls, and the peak of a big box's first fill grew by
    tens of MB. A fixed threshold keeps them apart (memory only: allocators other than
    glibc's, which lack ``mallopt``, are left as they are).
    """
    mallopt = _libc_function("mallopt")
    if mallopt is None or not mallopt(_M_MMAP_THRESHOLD, BIG_BLOCK):
        log.debug("the allocator's threshold for big blocks is left as it is")


def give_back_freed() -> None:
    """Hand the pages a poll freed back to the system (glibc's ``malloc_trim``; else nothing).

    A big box's listing is freed once written, but its pages stay with the process: the
    next poll's response then comes on top of them, and the peak with it. Called from a
    worker thread: it walks the allocator's free lists.
    """
    trim = _libc_function("malloc_trim")
    if trim is not None:
        trim(0)


def _libc_function(name: str) -> Callable[..., int] | None:
    """A function of the C library the process runs on, or None where it has no such one."""
    import ctypes  # only here: not on the way to the first frame

    try:
        # The process's own symbols: the C library it runs on, with no search for it.
        function: Callable[..., int] = getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None
    return function


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


#: Full collections put off while a message opens run no sooner than this after it is shown.
COLLECTION_DELAY: Final = 1.0
#: The third generation's threshold while full collections are held: never reached.
_HELD: Final = 1_000_000_000


class FullCollections:
    """Holds off the collector's full sweeps while a message is opened and drawn.

    Opening a newsletter allocates enough (tokens, ranges, lines, spans) to set off a full
    collection, and one landing as its body is drawn added 16-41 ms to that frame. Held,
    only the young generations are swept; once the last opening lets go, a sweep that came
    due meanwhile runs at once, while the user reads, rather than on the next key.
    """

    def __init__(self) -> None:
        self._holders = 0
        self._threshold: tuple[int, int, int] | None = None

    @property
    def held(self) -> bool:
        """Whether full collections are held off now."""
        return self._holders > 0

    def hold(self) -> None:
        """Hold full collections off until as many ``release`` calls as ``hold`` calls."""
        self._holders += 1
        if self._holders == 1:
            young, middle, old = gc.get_threshold()
            self._threshold = (young, middle, old)
            gc.set_threshold(young, middle, _HELD)

    def reset(self) -> None:
        """Drop every hold and restore the threshold: for an app that ended while holding."""
        if self._threshold is not None:
            gc.set_threshold(*self._threshold)
        self._holders, self._threshold = 0, None

    def release(self) -> None:
        """Let go of one hold; the last one restores the threshold and runs a sweep now due."""
        if self._holders == 0:
            return
        self._holders -= 1
        if self._holders or self._threshold is None:
            return
        young, middle, old = self._threshold
        self._threshold = None
        gc.set_threshold(young, middle, old)
        if old and gc.get_count()[2] > old:
            started = time.perf_counter()
            gc.collect()
            log.debug("put-off full collection: %.1f ms", (time.perf_counter() - started) * 1000)


#: The one hold of this process (the collector's thresholds are the process's).
FULL_COLLECTIONS: Final = FullCollections()

#: Seconds after which a poll's hold on the collector lets go, its rows painted or not.
POLL_HOLD_LIMIT: Final = 3.0
#: Seconds after a poll's rows are handed to the list when its hold lets go: their frame is
#: out by then. Let go at the next refresh instead, the sweep put off landed in that frame
#: (one new mail in the 5,000-mail box: 33 → 53 ms from handler to painted).
POLL_RELEASE_AFTER: Final = 0.2


class PollCollections:
    """Turns the collector off from a poll's start until its rows are painted (UI thread only).

    A poll of a 5,000-mail box makes tens of thousands of objects on its way to the screen
    (the listing, the plan, the rows), and the young generations' sweeps they set off walked
    them again and again: 20-30 ms of the 150 ms new mail took to show. Held, what dies on
    the way is never walked and the rest once, after the frame. Start-up's own pause (the
    collector off until the first frame) is left alone.
    """

    def __init__(self) -> None:
        self._holders = 0
        self._disabled = False
        # Moves on at each reset: a hold from before it has nothing left to let go of.
        self._epoch = 0

    @property
    def held(self) -> bool:
        """Whether a poll holds the collector off now."""
        return self._holders > 0

    def reset(self) -> None:
        """Drop every hold, the collector on again if one turned it off: the app has ended."""
        if self._disabled:
            gc.enable()
        self._holders, self._disabled = 0, False
        self._epoch += 1

    def hold(self) -> Callable[[], None]:
        """Hold the collector off; the returned function lets go (once, however often called)."""
        self._holders += 1
        if self._holders == 1 and gc.isenabled():
            gc.disable()
            self._disabled = True
        released = False
        epoch = self._epoch

        def release() -> None:
            nonlocal released
            if released or epoch != self._epoch:
                return  # let go already, or dropped by a reset
            released = True
            self._holders -= 1
            if self._holders == 0 and self._disabled:
                self._disabled = False
                gc.enable()

        return release


#: The one poll hold of this process.
POLL_COLLECTIONS: Final = PollCollections()
