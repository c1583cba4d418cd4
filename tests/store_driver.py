"""A child process for the read-only store tests: the real app, headless, on a given store.

Run as ``python -m tests.store_driver STORE BASE_URL KEY OUT``: it waits for the app to show
the stored mail, presses ``n`` (a write the store must refuse clearly), and writes what it
saw to OUT as JSON. The test runs it as a user the store's permission bits apply to.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from rich.text import Text

from tempmail_tui.core.config import Config
from tempmail_tui.ui.app import TempMailApp
from tempmail_tui.ui.widgets.mailbox_list import MailboxList
from tempmail_tui.ui.widgets.message_table import MessageTable
from tempmail_tui.ui.widgets.quota_bar import QuotaBar


def _store_notice(app: TempMailApp) -> str | None:
    # getattr: the same driver shows what a version without store notices does.
    notice = getattr(app.main, "store_notice", None)
    return notice if isinstance(notice, str) else None


def _toasts(app: TempMailApp) -> list[list[str]]:
    return [[str(n.severity), str(n.message)] for n in app._notifications]


async def drive(store: Path, base_url: str, key: str, rows: int) -> dict[str, Any]:
    """Run the app until it lists ``rows`` messages and has a store notice, then press n."""
    config = Config(
        base_url=base_url,
        api_key=key,
        api_key_source="flag",
        download_dir=store.parent / "downloads",
        poll_interval=1.0,
        background_interval=5.0,
        timeout=5.0,
    )
    app = TempMailApp(config, store_path=store)
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.main.query_one(MessageTable)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if table.row_count >= rows and _store_notice(app) is not None:
                break
            await pilot.pause(0.05)
        bar = app.main.query_one(QuotaBar).content
        record: dict[str, Any] = {
            "read_only": app.store is not None and app.store.store.read_only,
            "in_memory": app.store is not None and app.store.store.fallback_reason is not None,
            "boxes": [b.email for b in app.main.boxes],
            "sidebar": app.main.query_one(MailboxList).option_count,
            "subjects": sorted(m.subject for m in app.main.messages.values()),
            "store_notice": _store_notice(app),
            "status": bar.plain if isinstance(bar, Text) else str(bar),
        }
        await pilot.press("n")  # creating a box writes to the store: refused, not a crash
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if any("Creating a mailbox failed" in message for _, message in _toasts(app)):
                break
            await pilot.pause(0.05)
        record["toasts"] = _toasts(app)
        record["problem"] = app.main.problem
    return record


def main(argv: list[str]) -> int:
    """Drive the app and write the record."""
    store, base_url, key, rows, out = argv
    record = asyncio.run(drive(Path(store), base_url, key, int(rows)))
    Path(out).write_text(json.dumps(record, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
