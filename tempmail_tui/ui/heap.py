"""Keeping full garbage collections off key presses once a large list is loaded."""

from __future__ import annotations

import gc
import logging
from typing import Final

log = logging.getLogger(__name__)

#: Rows from which a load counts as large: below it, full collections are short anyway.
LARGE_LOAD: Final = 1_000


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
