"""Search every stored message of every box (the local archive) as the user types."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from tempmail_tui.core.format import local_time
from tempmail_tui.core.sanitize import clean_line
from tempmail_tui.core.store import SearchHit
from tempmail_tui.ui.screens.dialogs import _Dialog

log = logging.getLogger(__name__)

#: Asks the core for ``limit`` hits after the first ``offset``, best first.
Searcher = Callable[[str, int, int], Awaitable[list[SearchHit]]]
# Wait for a pause in typing before asking the database.
DEBOUNCE = 0.15
#: Results shown at first, and added by each "more…": a first page comes back in a few
#: milliseconds however large the archive, and a long list is never built unasked.
PAGE = 50
#: The option id of the "more…" line (it has no digits only, so it is never an index).
MORE_ID = "more"
_HINT = "Enter opens · ↓ to the results · Esc closes"


def result_label(message: SearchHit) -> Text:
    """One result: subject, sender, mailbox and date, all cleaned."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(clean_line(message.subject, max_chars=120) or "(no subject)", style="bold")
    text.append("\n")
    sender = clean_line(message.from_name or message.from_email, max_chars=60)
    text.append(f"{sender} · {clean_line(message.mailbox)} · {local_time(message.received_at)}")
    if message.archived:
        text.append(" · archived", style="italic")
    text.stylize("dim", len(text.plain.split("\n")[0]) + 1)
    return text


class ArchiveSearchScreen(_Dialog):
    """Type words; the best matches from every box appear as you type; Enter opens one.

    Each query asks for one page of results (``PAGE``) once typing pauses; a newer query
    cancels the one before it, so a result list never belongs to older words than the
    field's. "more…" at the end of the list asks for the next page.
    """

    def __init__(self, search: Searcher) -> None:
        super().__init__()
        self._search = search
        self._results: list[SearchHit] = []
        # The words the shown results are for, and whether the store has more of them.
        self._query = ""
        self._more = False

    def compose(self) -> ComposeResult:
        """A query field over the results."""
        with Vertical(classes="dialog wide"):
            yield Label("Search all stored mail", classes="dialog-title")
            yield Input(placeholder="words in sender, subject or body", id="query")
            yield OptionList(id="results")
            yield Static(Text(_HINT, style="dim"), id="status", classes="dialog-text")

    def on_mount(self) -> None:
        """Start in the query field."""
        self.query_one("#query", Input).focus()

    @on(Input.Changed, "#query")
    def _changed(self, event: Input.Changed) -> None:
        self.run_search(event.value)

    @on(Input.Submitted, "#query")
    def _submitted(self) -> None:
        if self._results:
            self.dismiss(self._results[0])

    def key_down(self) -> None:
        """Down from the query field moves into the results."""
        results = self.query_one("#results", OptionList)
        if self.focused is self.query_one("#query", Input) and self._results:
            results.focus()
            results.highlighted = 0

    @work(exclusive=True, group="archive-search")
    async def run_search(self, query: str) -> None:
        """Ask for the first page of matches once typing pauses (the query runs off the UI)."""
        await asyncio.sleep(DEBOUNCE)
        if not query.strip():
            self._query, self._more = query, False
            self._show([], append=False)
            self._status(Text(_HINT, style="dim"))
            return
        await self._fetch(query, offset=0)

    @work(exclusive=True, group="archive-search")
    async def more(self) -> None:
        """Ask for the next page of the shown query's matches."""
        typed = self.query_one("#query", Input).value
        if typed != self._query:
            # The words changed since these results: their first page comes first.
            await self._fetch(typed, offset=0)
            return
        await self._fetch(self._query, offset=len(self._results))

    async def _fetch(self, query: str, *, offset: int) -> None:
        """One page of matches after ``offset``, added to the list (or replacing it)."""
        try:
            # One more than a page says whether there are more, without counting them all.
            found = await self._search(query, PAGE + 1, offset)
        except Exception as error:  # a database failure is shown, never fatal
            log.error("archive search for %r failed", query, exc_info=error)
            self._status(Text(f"Search failed: {type(error).__name__}", style="red"))
            return
        self._query, self._more = query, len(found) > PAGE
        self._show(found[:PAGE], append=offset > 0)
        count = len(self._results)
        if self._more:
            self._status(Text(f"First {count} matches, best first", style="dim"))
        else:
            self._status(Text(f"{count} match{'es' * (count != 1)}", style="dim"))

    def _status(self, text: Text) -> None:
        self.query_one("#status", Static).update(text)

    def _show(self, results: list[SearchHit], *, append: bool) -> None:
        options = self.query_one("#results", OptionList)
        start = len(self._results) if append else 0
        self._results = [*self._results, *results] if append else list(results)
        added = [
            Option(result_label(message), id=str(start + index))
            for index, message in enumerate(results)
        ]
        if append:
            # The "more…" line goes; the highlight stays on the row the user was on.
            with contextlib.suppress(OptionDoesNotExist):
                options.remove_option(MORE_ID)
            options.add_options(added)
        else:
            options.set_options(added)
        if self._more:
            options.add_option(Option(Text("more…", style="dim italic"), id=MORE_ID))

    @on(OptionList.OptionSelected, "#results")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == MORE_ID:
            self.more()
            return
        self.dismiss(self._results[int(event.option.id or 0)])
