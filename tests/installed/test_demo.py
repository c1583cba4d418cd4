"""``tempmail-tui --demo`` from the installed venv: its own sandbox, the samples, a clean exit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .artifacts import Installed, isolated_env, logged_failures
from .terminal import spawn

pytestmark = [pytest.mark.slow]

# What the demo delivers (ui/app.py DEMO_SAMPLES, subjects from sandbox/samples.py).
SAMPLE_SUBJECTS = (
    "Keys and plants",
    "Notes and chart from Tuesday",
    "The Weekly Byte #42",
    "Your verification code is",
)


@pytest.mark.timeout(300)
def test_demo_lists_the_samples_and_quits(installed: Installed, tmp_path: Path) -> None:
    """The demo starts with no key or config, lists every sample mail and exits 0 on q."""
    env = isolated_env(tmp_path)
    term = spawn([str(installed.script), "--demo"], env, tmp_path, 120, 36)
    try:
        term.wait_for("Demo sandbox at http://127.0.0.1:", 40, what="the demo's toast")
        for subject in SAMPLE_SUBJECTS:
            term.wait_for(subject, 20, what=f"the sample mail {subject!r}")
        term.wait_for(re.compile(r"4 messages · 4 unread"), 20, what="the list's count")
        term.assert_no_traceback()
        term.send("q")
        status = term.wait_exit(20)
        term.assert_no_traceback()
        assert status == 0, f"exit status {status}; screen:\n{term.dump()}"
    finally:
        term.close()
    assert not logged_failures(tmp_path), "\n".join(logged_failures(tmp_path))
    # The demo keeps its store and downloads in a temporary directory it removes on exit.
    assert not list((tmp_path / "tmp").glob("tempmail-demo-*"))
