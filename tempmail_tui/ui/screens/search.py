"""Search every stored message of every box (the local archive) with SQLite full-text search."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tempmail_tui.core.format import local_time
from tempmail_tui.core.sanitize import clean_line
from tempmail_tui.core.store import StoredMessage
from tempmail_tui.ui.screens.dialogs import _Dialog

log = logging.getLogger(__name__)

Searcher = Callable[[str], Awaitable[list[StoredMessage]]]
# Wait for a pause in typing before asking the database.
DEBOUNCE = 0.15


def result_label(message: StoredMessage) -> Text:
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
    """Type words; matching messages from every box appear; Enter opens one."""

    def __init__(self, search: Searcher) -> None:
        super().__init__()
        self._search = search
        self._results: list[StoredMessage] = []

    def compose(self) -> ComposeResult:
        """A query field over the results."""
        with Vertical(classes="dialog wide"):
            yield Label("Search all stored mail", classes="dialog-title")
            yield Input(placeholder="words in sender, subject or body", id="query")
            yield OptionList(id="results")
            yield Static(
                Text("Enter opens · ↓ to the results · Esc closes", style="dim"),
                id="status",
                classes="dialog-text",
            )

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
        """Ask the store for matches once typing pauses (the query runs off the UI thread)."""
        import asyncio

        await asyncio.sleep(DEBOUNCE)
        status = self.query_one("#status", Static)
        if not query.strip():
            self._show([])
            status.update(Text("Enter opens · ↓ to the results · Esc closes", style="dim"))
            return
        try:
            results = await self._search(query)
        except Exception as error:  # a database failure is shown, never fatal
            log.error("archive search for %r failed", query, exc_info=error)
            status.update(Text(f"Search failed: {type(error).__name__}", style="red"))
            return
        self._show(results)
        count = len(results)
        status.update(Text(f"{count} match{'es' * (count != 1)}", style="dim"))

    def _show(self, results: list[StoredMessage]) -> None:
        self._results = results
        options = self.query_one("#results", OptionList)
        options.set_options(
            Option(result_label(message), id=str(index)) for index, message in enumerate(results)
        )

    @on(OptionList.OptionSelected, "#results")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._results[int(event.option.id or 0)])
