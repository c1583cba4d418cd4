"""The archive search screen over a real store: pages of results, "more…", and stale queries."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import OptionList, Static

from tempmail_tui.core.store import SearchHit, Store
from tempmail_tui.ui.screens.search import MORE_ID, PAGE, ArchiveSearchScreen

from .app_helpers import wait_for
from .test_store import make_box, make_msg

BOX = "box@example.com"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "store.sqlite3") as s:
        s.add_mailbox(make_box(BOX))
        notes = [make_msg(f"n{n:03d}", subject=f"Invoice {n}", seconds=n) for n in range(120)]
        s.sync_messages(BOX, [*notes, make_msg("stock", subject="Inventory", seconds=500)])
        yield s


class Searches:
    """The screen's searcher over the store, as the reader's: the last word is a prefix."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.asked: list[tuple[str, int, int]] = []
        self.slow: set[str] = set()

    async def __call__(self, query: str, limit: int, offset: int) -> list[SearchHit]:
        self.asked.append((query, limit, offset))
        if query in self.slow:
            await asyncio.sleep(0.6)  # a query still running when the next word is typed
        return await asyncio.to_thread(self.store.search, query + "*", limit, offset=offset)


def shown(screen: ArchiveSearchScreen) -> list[str | None]:
    results = screen.query_one("#results", OptionList)
    return [results.get_option_at_index(i).id for i in range(results.option_count)]


async def test_results_come_a_page_at_a_time_with_more_at_the_end(store: Store) -> None:
    searches = Searches(store)
    screen = ArchiveSearchScreen(searches)
    app: App[None] = App()
    async with app.run_test(size=(100, 40)) as pilot:
        app.push_screen(screen)
        await pilot.press(*"invoice")
        await wait_for(pilot, lambda: len(screen._results) == PAGE, what="first page")
        assert shown(screen)[-1] == MORE_ID
        status = screen.query_one("#status", Static)
        assert "First 50 matches" in str(status.render())
        # Typing pauses once: one query for the whole word, and only a page of it.
        assert searches.asked == [("invoice", PAGE + 1, 0)]

        results = screen.query_one("#results", OptionList)
        results.focus()
        for expected in (2 * PAGE, 120):
            results.highlighted = results.option_count - 1
            await pilot.press("enter")
            await wait_for(pilot, lambda n=expected: len(screen._results) == n, what="more")
        assert MORE_ID not in shown(screen)
        assert [hit.id for hit in screen._results] == [
            hit.id for hit in store.search("invoice*", 500)
        ]
        assert [offset for _, _, offset in searches.asked] == [0, PAGE, 2 * PAGE]
        assert "120 matches" in str(status.render())


async def test_a_slow_query_overtaken_by_typing_never_shows(store: Store) -> None:
    searches = Searches(store)
    searches.slow.add("inv")
    screen = ArchiveSearchScreen(searches)
    app: App[None] = App()
    async with app.run_test(size=(100, 40)) as pilot:
        app.push_screen(screen)
        await pilot.press(*"inv")
        await wait_for(pilot, lambda: searches.asked, what="the first query under way")
        await pilot.press(*"oice")
        await wait_for(pilot, lambda: len(screen._results) == PAGE, what="invoice results")
        await pilot.pause(0.8)  # past the end of the slow query
        # "inv" also finds the Inventory mail, the newest: it never reached the list.
        assert screen._query == "invoice"
        assert "stock" not in [hit.id for hit in screen._results]
        assert [q for q, _, _ in searches.asked] == ["inv", "invoice"]
