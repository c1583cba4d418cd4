"""Markup in every field a stranger writes is shown verbatim by the real app and runs nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import OptionList

from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.screens.dialogs import SaveDialog
from tempmail_tui.ui.widgets.message_table import MessageTable
from tempmail_tui.ui.widgets.reader import ReaderPane

from ..app_helpers import make_app
from .helpers import (
    MARKUP_CASES,
    SIZE,
    all_rows,
    create_box,
    open_subject,
    reader_part,
    record_toasts,
    table,
    wait,
)


@pytest.mark.parametrize("case", MARKUP_CASES)
async def test_markup_is_shown_verbatim_everywhere(
    case: str, sandbox: SandboxServer, tmp_path: Path
) -> None:
    app = make_app(sandbox, tmp_path, poll_interval=60, background_interval=600)
    async with app.run_test(size=SIZE) as pilot:
        seen_toasts = record_toasts(app)
        email = await create_box(app, pilot)
        main_screen = app.screen
        sandbox.state.deliver(
            email,
            subject=f"S {case}",
            from_name=f"F {case}",
            text=f"B {case}",
            attachments=[(f"{case}.txt", b"attached bytes")],
        )
        await pilot.press("R")
        await wait(pilot, lambda: table(app).row_count == 1, what="the plain-text mail")
        # A second mail arrives on a later poll, so the new-mail toast carries its fields too.
        sandbox.state.deliver(
            email, subject=f"H {case}", from_name=f"G {case}", html=f"<p>HB {case}</p>"
        )
        await pilot.pause(0.2)
        await pilot.press("R")
        await wait(pilot, lambda: table(app).row_count == 2, what="the HTML mail")

        rows = {cells[2]: cells for cells in all_rows(app)}
        assert rows[f"S {case}"][1] == f"F {case}"
        assert rows[f"H {case}"][1] == f"G {case}"
        await wait(pilot, lambda: any(f"G {case} — H {case}" in t for t in seen_toasts))

        await open_subject(app, pilot, f"S {case}")
        assert f"From: F {case} <sender@example.org>" in reader_part(app, "headers")
        assert f"Subject: S {case}" in reader_part(app, "headers")
        assert reader_part(app, "body") == f"B {case}"
        assert f"1. {case}.txt" in reader_part(app, "attachments")

        # Clicks on the hostile text run nothing (no quit, no link, no clipboard).
        await pilot.click(MessageTable, offset=(30, 1))
        await pilot.click(ReaderPane, offset=(12, 1))
        await pilot.click(ReaderPane, offset=(4, 6))
        await pilot.pause(0.2)

        await open_subject(app, pilot, f"H {case}")
        assert f"Subject: H {case}" in reader_part(app, "headers")
        assert f"HB {case}" in reader_part(app, "body")

        # The save dialog lists the name verbatim, and the file lands in the download dir.
        await open_subject(app, pilot, f"S {case}")
        await pilot.press("s")
        await wait(pilot, lambda: isinstance(app.screen, SaveDialog), what="save dialog")
        choices = app.screen.query_one("#choices", OptionList)
        prompt = choices.get_option_at_index(0).prompt
        assert str(getattr(prompt, "plain", prompt)).startswith(f"{case}.txt")
        await pilot.press("enter")
        downloads = tmp_path / "downloads"
        await wait(
            pilot,
            lambda: (
                downloads.is_dir() and any(not p.name.startswith(".") for p in downloads.iterdir())
            ),
            what="saved attachment",
        )
        saved = [p for p in downloads.iterdir() if not p.name.startswith(".")]
        assert [p.read_bytes() for p in saved] == [b"attached bytes"]
        await pilot.pause(0.2)

        assert app.is_running
        assert app.screen is main_screen
        assert app.clipboard == ""
        assert all("failed" not in t for t in seen_toasts), seen_toasts
