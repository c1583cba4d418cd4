"""The quota bar reads the same from one idle second to the next, so it is not drawn again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from textual.app import App, ComposeResult

from tempmail_tui.api.models import Quota
from tempmail_tui.core.format import age
from tempmail_tui.core.schedule.status import ScheduleStatus
from tempmail_tui.ui.widgets.quota_bar import QuotaBar, QuotaView, quota_text

SEEN = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
STATUS = ScheduleStatus("normal", 5.0, 60.0, "", None, False, 40)
VIEW = QuotaView(Quota(1_000, 6, 994, SEEN + timedelta(days=3), SEEN), STATUS)


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (0, "just now"),
        (9.9, "just now"),
        (10, "10s ago"),
        (19, "10s ago"),
        (59, "50s ago"),
        (60, "1m ago"),
        (119, "1m ago"),
        (3_599, "59m ago"),
        (3_600, "1h 00m ago"),
        (90_000, "1d 01h ago"),
    ],
)
def test_age_is_said_in_coarse_steps(seconds: float, said: str) -> None:
    assert age(seconds) == said


def test_the_text_is_the_same_through_the_seconds_between_two_polls() -> None:
    # The selected box is checked every 5 s: in between, nothing on the bar moves.
    texts = {quota_text(VIEW, SEEN + timedelta(seconds=s)).plain for s in range(10)}
    assert len(texts) == 1 and "just now" in texts.pop()
    # A quota not seen for a while says so, in steps of ten seconds.
    assert "10s ago" in quota_text(VIEW, SEEN + timedelta(seconds=10)).plain


class _BarApp(App[None]):
    def compose(self) -> ComposeResult:
        yield QuotaBar(id="quota")


async def test_idle_ticks_that_change_nothing_do_not_redraw_the_bar() -> None:
    app = _BarApp()
    async with app.run_test(size=(120, 5)) as pilot:
        bar = app.query_one(QuotaBar)
        updates: list[str] = []
        original = bar.update

        def update(*args: object, **kwargs: object) -> None:
            updates.append("update")
            original(*args, **kwargs)  # type: ignore[arg-type]

        bar.update = update  # type: ignore[method-assign]
        for second in range(10):
            # What the main screen's tick does every second.
            bar.show(VIEW, now=SEEN + timedelta(seconds=second))
            await pilot.pause()
        assert updates == ["update"]  # the first figures only
        bar.show(VIEW, now=SEEN + timedelta(seconds=10))
        assert updates == ["update", "update"]
