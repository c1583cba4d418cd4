"""Child processes for the concurrency test: a real app driven headless, and a store writer.

Run as ``python -m tests.hostile.drivers app|store STORE BASE_URL KEY SECONDS OUT``; each
writes what it did (boxes created, messages opened, syncs done, problems seen) to OUT as JSON.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from tempmail_tui.api.client import TempMailClient
from tempmail_tui.api.errors import ApiError
from tempmail_tui.core.config import Config
from tempmail_tui.core.store import Store, StoreError
from tempmail_tui.ui.app import TempMailApp
from tempmail_tui.ui.widgets.mailbox_list import MailboxList
from tempmail_tui.ui.widgets.message_table import MessageTable
from tempmail_tui.ui.widgets.reader import ReaderPane


async def drive_app(store: Path, base_url: str, key: str, seconds: float) -> dict[str, Any]:
    """Run the real app on the shared store: create a box, poll, open mail, switch boxes."""
    config = Config(
        base_url=base_url,
        api_key=key,
        api_key_source="flag",
        download_dir=store.parent / "downloads",
        poll_interval=1.0,
        background_interval=1.0,
        timeout=5.0,
    )
    app = TempMailApp(config, store_path=store)
    record: dict[str, Any] = {"created": [], "opened": [], "problems": [], "ready": False}
    rng = random.Random()
    async with app.run_test(size=(120, 36)) as pilot:
        deadline = time.monotonic() + 20
        while app.service is None and time.monotonic() < deadline:
            await pilot.pause(0.05)
        record["ready"] = app.service is not None
        before = {b.email for b in app.main.boxes}
        await pilot.press("n")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            created = {b.email for b in app.main.boxes} - before
            if created:
                record["created"] = sorted(created)
                break
            await pilot.pause(0.05)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            await pilot.press(rng.choice(["R", "down", "up", "enter", "enter", "tab"]))
            sidebar = app.main.query_one(MailboxList)
            if rng.random() < 0.2 and sidebar.option_count:
                sidebar.highlighted = rng.randrange(sidebar.option_count)
            table = app.main.query_one(MessageTable)
            if table.row_count and rng.random() < 0.5:
                table.focus()
                table.move_cursor(row=rng.randrange(table.row_count), animate=False)
                await pilot.press("enter")
            await pilot.pause(0.1)
            pane = app.main.query_one(ReaderPane)
            opened = pane.message.id if pane.message and pane.rendered else None
            if opened is not None and opened not in record["opened"]:
                record["opened"].append(opened)
            if app.main.problem and app.main.problem not in record["problems"]:
                record["problems"].append(app.main.problem)
        # Let the last opens and polls land in the store before leaving.
        await pilot.pause(1.0)
    return record


async def drive_store(store: Path, base_url: str, key: str, seconds: float) -> dict[str, Any]:
    """Open the shared store again and again and sync every known box from the server."""
    record: dict[str, Any] = {"syncs": [], "problems": []}
    end = time.monotonic() + seconds
    async with TempMailClient(key, base_url=base_url, timeout=5.0) as client:
        while time.monotonic() < end:
            opened = Store.open(store)
            try:
                for box in opened.mailboxes(include_gone=False):
                    started = time.time()
                    try:
                        listing = await client.list_messages(box.email)
                        opened.sync_messages(box.email, listing.messages)
                    except (ApiError, StoreError) as error:
                        record["problems"].append(f"{type(error).__name__}: {error}")
                        continue
                    record["syncs"].append([box.email, started])
            finally:
                opened.close()
    return record


def main(argv: list[str]) -> int:
    """Run one driver and write its record."""
    mode, store, base_url, key, seconds, out = argv[1:7]
    driver = drive_app if mode == "app" else drive_store
    record = asyncio.run(driver(Path(store), base_url, key, float(seconds)))
    Path(out).write_text(json.dumps(record))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
