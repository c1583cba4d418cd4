"""Escape sequences in mail never reach the terminal: the app is run on a real pty and read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tempmail_tui.sandbox.server import SandboxServer

from .helpers import (
    FORBIDDEN_TERMINAL_BYTES,
    TERMINAL_PAYLOAD,
    PtyApp,
    child_env,
    python,
    seed_store,
)

COLUMNS, LINES = 160, 40


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_hostile_sequences_never_reach_the_terminal(sandbox: SandboxServer, tmp_path: Path) -> None:
    box = sandbox.state.create_mailbox(username="ptyvictim")
    sandbox.state.deliver(
        box.email,
        subject=TERMINAL_PAYLOAD,
        from_name=TERMINAL_PAYLOAD,
        text=TERMINAL_PAYLOAD,
        attachments=[(TERMINAL_PAYLOAD[:40] + ".txt", b"x")],
    )
    home = tmp_path / "home"
    seed_store(home / "data" / "tempmail-tui" / "store.sqlite3", [box.email])
    env = child_env(
        home,
        TERM="xterm-256color",
        COLUMNS=str(COLUMNS),
        LINES=str(LINES),
        TEMPMAIL_BASE_URL=sandbox.base_url,
        TEMPMAIL_API_KEY=sandbox.api_key,
        TEMPMAIL_DOWNLOAD_DIR=str(tmp_path / "downloads"),
        TEMPMAIL_POLL_INTERVAL="60",
    )
    child = PtyApp.spawn(
        [python(), "-m", "tempmail_tui", "--no-bell"], env, columns=COLUMNS, lines=LINES
    )
    try:
        # The list row: "Hi " survives cleaning, then the text the bidi override would flip.
        assert child.read_until(lambda: child.saw(b"txt.exe"), timeout=30), child.output[-2000:]
        child.send(b"R")
        child.pump(1.0)
        child.send(b"\r")  # open it in the reader
        assert child.read_until(lambda: child.saw(b"Subject"), timeout=20), child.output[-2000:]
        child.pump(1.5)
        child.send(b"v")  # the raw source view is cleaned too
        child.pump(1.0)
        child.send(b"v")
        # A second mail on a later poll raises the new-mail toast with the hostile sender.
        sandbox.state.deliver(box.email, subject=TERMINAL_PAYLOAD, from_name=TERMINAL_PAYLOAD)
        child.send(b"R")
        child.pump(2.5)
        child.send(b"q")
        child.close()
    finally:
        child.close(timeout=0)
    output = bytes(child.output)
    assert b"Hi" in output and b"txt.exe" in output, "the hostile mail was never drawn"
    leaked = {name: needle for name, needle in FORBIDDEN_TERMINAL_BYTES.items() if needle in output}
    assert not leaked, f"reached the terminal: {sorted(leaked)}"
    assert child.process.returncode == 0
