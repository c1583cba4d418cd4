"""The message list's rows made from messages alone: the Received column's width."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from rich.cells import cell_len

from tempmail_tui.core.format import local_time
from tempmail_tui.core.store import MessageSummary
from tempmail_tui.ui.widgets.message_rows import EMPTY_DATE_WIDTH, date_width

NOW = datetime(2026, 6, 28, 10, 57, tzinfo=UTC)


def summary(received: datetime, index: int = 0) -> MessageSummary:
    """A message that arrived at ``received``."""
    return MessageSummary(
        id=f"m{index}",
        subject="Hello",
        from_name="Sender",
        from_email="s@example.org",
        to="box@inbox.test",
        received_at=received,
        is_seen=True,
        is_html=False,
        attachments=(),
        mailbox="box@inbox.test",
        fetched_at=received,
        archived=False,
    )


def widest(messages: list[MessageSummary]) -> int:
    """The width the column needs, by formatting every message."""
    return max(cell_len(local_time(m.received_at, now=NOW)) for m in messages)


@pytest.mark.parametrize("zone", ["UTC", "America/St_Johns", "Pacific/Kiritimati", "Etc/GMT+12"])
def test_the_received_width_is_the_widest_cell_in_every_zone(
    zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrivals every 37 minutes around the local day's and year's bounds: each set of
    # forms present (today, this year, earlier) gives the width formatting them all gives.
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        checked = 0
        for start in (NOW - timedelta(days=1), datetime(2026, 1, 1, tzinfo=UTC)):
            for span in (1, 3, 40):
                for offset in range(-30, 30, 7):
                    first = start + timedelta(hours=offset)
                    messages = [summary(first + timedelta(minutes=37 * i), i) for i in range(span)]
                    assert date_width(messages, NOW) == widest(messages), (zone, first, span)
                    checked += 1
        assert checked == 2 * 3 * 9
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()


def test_an_empty_list_is_as_wide_as_its_header() -> None:
    assert date_width([], NOW) == EMPTY_DATE_WIDTH
