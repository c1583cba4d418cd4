"""The desktop around the terminal: whether a display is reachable, and notifications."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys

from tempmail_tui.core.sanitize import clean_line


def has_display() -> bool:
    """Whether a graphical session is reachable (so a browser or notifier can show)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def notify_desktop(title: str, body: str) -> None:
    """Send a desktop notification with notify-send, where it exists and a display does."""
    notifier = shutil.which("notify-send")
    if notifier is None or not has_display():
        return
    import subprocess

    # Arguments, never a shell: the text came from a stranger (and is cleaned too).
    with contextlib.suppress(OSError):
        subprocess.Popen(
            [
                notifier,
                "--app-name=tempmail-tui",
                "--",
                clean_line(title, max_chars=120),
                clean_line(body, max_chars=200),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
