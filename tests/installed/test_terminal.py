"""The pty driver itself: pyte draws what a full-screen program writes, keys reach the child."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .terminal import Terminal, spawn

# What Textual writes before its first frame (alternate screen, mouse, kitty keyboard,
# synchronized-output query, bracketed paste, no autowrap, an OSC): pyte ignores some of it,
# none of it may be drawn as text.
TEXTUAL_MODES = (
    "\x1b[?1049h\x1b[?1000h\x1b[?1003h\x1b[?1015h\x1b[?1006h\x1b[?25l\x1b[?1004h\x1b[>25u"
    "\x1b[?2026$p\x1b[?2048$p\x1b[?2004h\x1b[?7l\x1b]22;default\x07"
)

# A full-screen program in miniature: modes, a clear, absolute moves and colours, its size.
DRAW = f"""
import os, sys
size = os.get_terminal_size(0)
sys.stdout.write({TEXTUAL_MODES!r})
sys.stdout.write("\\x1b[2J\\x1b[1;1H\\x1b[38;5;239;48;5;234m╭─ Box ─╮\\x1b[0m")
sys.stdout.write("\\x1b[5;10H\\x1b[1;31mHELLO\\x1b[0m\\x1b[5;20Hworld")
sys.stdout.write(f"\\x1b[11;1Hsize={{size.columns}}x{{size.lines}}")
sys.stdout.flush()
line = sys.stdin.readline()
sys.stdout.write("\\x1b[7;1Hgot " + line.strip())
sys.stdout.flush()
"""


def child_env(tmp_path: Path) -> dict[str, str]:
    """A minimal environment for a test child on the pty."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TERM": "xterm-256color"}


def test_pyte_draws_moves_colours_and_modes(tmp_path: Path) -> None:
    """Cursor moves and SGR land where a terminal puts them; mode sequences draw nothing."""
    term = spawn([sys.executable, "-c", DRAW], child_env(tmp_path), tmp_path, 37, 11)
    try:
        text = term.wait_for("size=", 10)
        lines = text.split("\n")
        assert len(lines) == 11
        assert lines[0] == "╭─ Box ─╮"
        assert lines[4] == " " * 9 + "HELLO" + " " * 5 + "world"
        assert lines[10] == "size=37x11", "the child does not see the pty's size"
        # Nothing of the mode sequences leaked onto the screen as text.
        assert "".join(lines[1:4] + lines[5:10]).strip() == "", text
        term.send("hello there")
        term.send("enter")
        assert term.wait_for("got hello there", 10).split("\n")[6] == "got hello there"
        assert term.wait_exit(10) == 0
        term.assert_no_traceback()
    finally:
        term.close()


def test_a_traceback_is_caught(tmp_path: Path) -> None:
    """A Python traceback written by the child fails ``assert_no_traceback``."""
    crash = "raise KeyError('boom')"
    term: Terminal = spawn([sys.executable, "-c", crash], child_env(tmp_path), tmp_path, 80, 24)
    try:
        assert term.wait_exit(10) == 1
        with pytest.raises(AssertionError, match="Traceback"):
            term.assert_no_traceback()
        with pytest.raises(AssertionError, match="crash text on screen"):
            term.wait_for("never shown", 5)
    finally:
        term.close()
