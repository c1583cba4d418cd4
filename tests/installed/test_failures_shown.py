"""The installed app never fails silently: a broken install is a toast or a non-zero exit."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .artifacts import Installed, isolated_env
from .terminal import Terminal, spawn, strip_escapes

pytestmark = [pytest.mark.slow]


@contextlib.contextmanager
def without(path: Path) -> Iterator[None]:
    """The installed file moved away for the duration (the session's venv is shared)."""
    aside = path.with_name(path.name + ".aside")
    path.rename(aside)
    try:
        yield
    finally:
        aside.rename(path)


def wait_until_drawn(term: Terminal, pattern: str, timeout: float = 30) -> str:
    """The screen once it matches ``pattern`` (crash text allowed: it is what is looked for)."""
    deadline = time.monotonic() + timeout
    while not re.search(pattern, term.screen_text()):
        assert time.monotonic() < deadline, f"never drew {pattern!r}:\n{term.dump()}"
        time.sleep(0.05)
    return term.screen_text()


def log_of(root: Path) -> Path:
    """The default error log of the app run with ``isolated_env(root)``."""
    return root / "home" / ".local" / "state" / "tempmail-tui" / "tempmail-tui.log"


@pytest.mark.timeout(300)
def test_a_crash_exits_non_zero_with_one_line_pointing_to_the_log(
    installed: Installed, tmp_path: Path
) -> None:
    env = isolated_env(tmp_path)
    env["TEMPMAIL_API_KEY"] = "crash-test-key-0123456789"
    with without(installed.package_init.parent / "ui" / "app.tcss"):
        term = spawn([str(installed.script)], env, tmp_path, 100, 30)
        try:
            status = term.wait_exit(40)
        finally:
            term.close()
    output = strip_escapes(term.raw)
    log = log_of(tmp_path)
    line = "tempmail-tui: stopped by an unexpected error: StylesheetError: unable to read CSS file"
    assert status == 1, output
    assert line in output.replace("\r\n", "\n").replace("\n", ""), output
    assert f"the details are in {log}" in output.replace("\r\n", "").replace("\n", ""), output
    # One line, not a traceback (whose locals could show the key) on the terminal.
    assert "Traceback" not in output and "crash-test-key" not in output
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "app.tcss" in text
    assert "crash-test-key-0123456789" not in text


@pytest.mark.timeout(300)
def test_a_failing_dialog_is_a_toast_and_the_app_goes_on(
    installed: Installed, tmp_path: Path
) -> None:
    env = isolated_env(tmp_path)
    # Nothing listens there: the app starts and reports the network, which is fine here.
    env.update(
        TEMPMAIL_API_KEY="dialog-test-key-0123456789", TEMPMAIL_BASE_URL="http://127.0.0.1:9/api"
    )
    with without(installed.package_init.parent / "ui" / "screens" / "dialogs.tcss"):
        term = spawn([str(installed.script)], env, tmp_path, 120, 36)
        try:
            wait_until_drawn(term, r"Quota")
            term.send("?")
            screen = wait_until_drawn(term, r"Help failed: StylesheetError")
            assert "(details in the log)" in screen.replace("\n", " ") or "details in" in screen
            # Still running: the next key is handled.
            term.send("q")
            status = term.wait_exit(20)
        finally:
            term.close()
    assert status == 0, term.dump()
    text = log_of(tmp_path).read_text(encoding="utf-8")
    assert "Help failed unexpectedly" in text and "dialogs.tcss" in text
