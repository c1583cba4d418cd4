"""What the reader loads before its first frame: the launch path, in a real terminal (a pty)."""

from __future__ import annotations

import fcntl
import gc
import json
import os
import pty
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tempmail_tui.console import main as console_main

# The real launch (console.main, no arguments) until the first frame is painted: the app
# turns the collector back on right after it (ui/interpreter.py), where this reports.
PROBE = """
import gc, json, os, sys
from tempmail_tui.ui import interpreter

def painted():
    from textual._context import active_app
    report = {
        "loaded": sorted(sys.modules),
        "collector_on": gc.isenabled(),
        "screen": type(active_app.get().screen).__name__,
    }
    with open(sys.argv[1], "w") as out:
        json.dump(report, out)
    os._exit(0)

interpreter.resume_collection = painted
from tempmail_tui.console import main
sys.exit(main([]))
"""

#: Loaded after the first frame (moved there for cold start, tests/bench cold_start): the
#: config file's parser, the sanitizer and formatters, start-up's records, the main screen and
#: its widgets, the store, the keyring and the HTTP client.
AFTER_THE_FIRST_FRAME = (
    "tomllib",
    "tempmail_tui.core.sanitize",
    "tempmail_tui.core.format",
    "argparse",
    "tempmail_tui.cli.parser",
    "tempmail_tui.cli.online",
    "logging.handlers",
    "tempmail_tui.api.errors",
    "tempmail_tui.ui.startup",
    "tempmail_tui.ui.desktop",
    "tempmail_tui.ui.host",
    "tempmail_tui.ui.screens.main",
    "tempmail_tui.ui.widgets.mailbox_list",
    "tempmail_tui.ui.widgets.reader",
    "tempmail_tui.core.schedule",
    "tempmail_tui.api.models",
    "tempmail_tui.core.session",
    "tempmail_tui.core.store",
    "textual.widgets._data_table",
    "sqlite3",
    "keyring",
    "httpx",
)


def test_the_first_frame_is_painted_before_what_it_does_not_show_is_loaded(
    tmp_path: Path,
) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "PYTHONPATH": ":".join(sys.path),
    }
    report = tmp_path / "report.json"
    main, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-c", PROBE, str(report)],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        start_new_session=True,
    )
    os.close(terminal)
    try:
        deadline = time.monotonic() + 20
        # The terminal's output is drained, or a full pty would stop the app's writes.
        os.set_blocking(main, False)
        while process.poll() is None and time.monotonic() < deadline:
            try:
                os.read(main, 65536)
            except (BlockingIOError, OSError):
                time.sleep(0.01)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        os.close(main)
    assert report.exists(), "the first frame was never painted"
    seen = json.loads(report.read_text())
    assert seen["screen"] == "FirstFrame"
    assert seen["collector_on"] is False, "the collector ran during start-up"
    early = sorted(set(AFTER_THE_FIRST_FRAME) & set(seen["loaded"]))
    assert early == [], f"loaded before the first frame: {early}"


def test_the_collector_is_on_again_after_an_early_end(capsys: pytest.CaptureFixture[str]) -> None:
    # A usage error ends the console script before any reader or command turned it back on.
    assert console_main(["--poll-interval"]) == 2
    assert "expected one argument" in capsys.readouterr().err
    assert gc.isenabled()
