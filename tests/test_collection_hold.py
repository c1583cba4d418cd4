"""Full collections are held off while a message opens, and the one put off runs on release."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tempmail_tui.ui.interpreter import FullCollections


@pytest.fixture
def full_sweeps() -> Iterator[list[int]]:
    """The generations the collector sweeps, as it sweeps them."""
    swept: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            swept.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        yield swept
    finally:
        gc.callbacks.remove(seen)


class Cycle:
    """Garbage only the collector frees."""

    def __init__(self) -> None:
        self.me = self


def churn(objects: int) -> None:
    """Allocate and drop enough cycles to set off young collections (and, unheld, full ones)."""
    for _ in range(objects):
        Cycle()


def test_held_no_full_sweep_runs_and_the_one_put_off_runs_on_release(
    full_sweeps: list[int],
) -> None:
    hold = FullCollections()
    young, middle, old = gc.get_threshold()
    hold.hold()
    hold.hold()  # a second open before the first let go
    assert hold.held
    assert gc.get_threshold()[:2] == (young, middle)
    churn(2 * young * middle * max(old, 1))
    assert 0 in full_sweeps  # the young generations are still swept
    assert 2 not in full_sweeps
    hold.release()
    assert hold.held  # one still holds
    assert 2 not in full_sweeps
    hold.release()
    assert not hold.held
    assert gc.get_threshold() == (young, middle, old)
    # It came due while held: swept now, at the moment the reader chose.
    assert full_sweeps[-1] == 2
    hold.release()  # one too many changes nothing
    assert gc.get_threshold() == (young, middle, old)


def test_a_release_with_nothing_due_sweeps_nothing(full_sweeps: list[int]) -> None:
    hold = FullCollections()
    gc.collect()
    full_sweeps.clear()
    hold.hold()
    hold.release()
    assert full_sweeps == []
