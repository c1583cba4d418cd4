"""Two app processes and a third writer on one store file: no corruption, no lost writes."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tempmail_tui.sandbox.server import SandboxServer

from .helpers import REPO_ROOT, child_env, dies_with_us, python, seed_store

RUN_SECONDS = 8.0


def cli_has_messages(env: dict[str, str]) -> bool:
    """Whether the scripting command `tempmail-tui messages` exists yet (it is being written)."""
    probe = subprocess.run(
        [python(), "-m", "tempmail_tui", "messages", "--help"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        timeout=30,
    )
    return probe.returncode == 0


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_two_apps_and_a_writer_share_one_store(sandbox: SandboxServer, tmp_path: Path) -> None:
    home = tmp_path / "home"
    store_path = home / "data" / "tempmail-tui" / "store.sqlite3"
    boxes = [sandbox.state.create_mailbox().email for _ in range(3)]
    seed_store(store_path, boxes)
    delivered: list[tuple[str, str, float]] = []  # (message id, mailbox, when)
    for email in boxes:
        for _ in range(2):
            delivered.append((sandbox.state.add_sample(email, "plain").id, email, time.time()))

    env = child_env(home, TEMPMAIL_API_KEY=sandbox.api_key, TEMPMAIL_BASE_URL=sandbox.base_url)
    use_cli = cli_has_messages(env)
    drivers = []
    for index in range(2):
        out = tmp_path / f"app{index}.json"
        argv = [python(), "-m", "tests.hostile.drivers", "app", str(store_path)]
        argv += [sandbox.base_url, sandbox.api_key, str(RUN_SECONDS), str(out)]
        drivers.append((subprocess.Popen(dies_with_us(argv), env=env, cwd=REPO_ROOT), out))

    syncs: list[tuple[str, float]] = []  # (mailbox, started) of writes known to have succeeded
    writer_problems: list[str] = []
    writer_out = tmp_path / "writer.json"
    stop = threading.Event()

    def cli_writer() -> None:
        # The third process is the scripting CLI, run again and again on every box.
        while not stop.is_set():
            for email in boxes:
                started = time.time()
                done = subprocess.run(
                    dies_with_us([python(), "-m", "tempmail_tui", "messages", email]),
                    env=env,
                    cwd=REPO_ROOT,
                    capture_output=True,
                    text=True,
                    timeout=60,
                )
                if done.returncode == 0:
                    syncs.append((email, started))
                else:
                    writer_problems.append(done.stderr.strip())

    writer_thread: threading.Thread | None = None
    writer_process: subprocess.Popen[bytes] | None = None
    if use_cli:
        writer_thread = threading.Thread(target=cli_writer, daemon=True)
        writer_thread.start()
    else:
        argv = [python(), "-m", "tests.hostile.drivers", "store", str(store_path)]
        argv += [sandbox.base_url, sandbox.api_key, str(RUN_SECONDS + 4), str(writer_out)]
        writer_process = subprocess.Popen(dies_with_us(argv), env=env, cwd=REPO_ROOT)

    rng = random.Random(5)
    try:
        deadline = time.monotonic() + RUN_SECONDS + 4
        while time.monotonic() < deadline:
            email = rng.choice(boxes)
            delivered.append((sandbox.state.add_sample(email, "plain").id, email, time.time()))
            time.sleep(0.1)
        for process, _ in drivers:
            assert process.wait(timeout=60) == 0
        stop.set()
        if writer_thread is not None:
            writer_thread.join(timeout=90)
        if writer_process is not None:
            assert writer_process.wait(timeout=60) == 0
    finally:
        stop.set()
        for process in [p for p, _ in drivers] + ([writer_process] if writer_process else []):
            if process.poll() is None:
                process.kill()
                process.wait(5)

    records: list[dict[str, Any]] = [json.loads(out.read_text()) for _, out in drivers]
    if writer_process is not None:
        written = json.loads(writer_out.read_text())
        syncs += [(email, started) for email, started in written["syncs"]]
        writer_problems += written["problems"]

    conn = sqlite3.connect(store_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        stored = {
            row[0]: (row[1], row[2])
            for row in conn.execute("SELECT id, mailbox, is_seen FROM messages")
        }
        known_boxes = {row[0] for row in conn.execute("SELECT email FROM mailboxes")}
    finally:
        conn.close()

    assert all(r["ready"] for r in records), records
    assert not writer_problems, writer_problems[:3]
    assert len(syncs) >= 3, "the third process never wrote"
    # No lost writes: every box an app created, every message a sync saw, every "seen".
    for record in records:
        assert record["created"] and set(record["created"]) <= known_boxes, record["created"]
        for message_id in record["opened"]:
            assert stored[message_id][1] == 1, message_id
        assert not [p for p in record["problems"] if "store" in p.lower()], record["problems"]
    assert any(r["opened"] for r in records), "no app opened a message: the check is vacuous"
    last_sync = {email: max((t for e, t in syncs if e == email), default=0.0) for email in boxes}
    must = [(mid, email) for mid, email, at in delivered if at < last_sync[email]]
    assert len(must) > 10
    missing = [mid for mid, email in must if stored.get(mid, ("", 0))[0].lower() != email.lower()]
    assert not missing, missing[:5]
