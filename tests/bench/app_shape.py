"""What the reference and floor apps share: the reader's key bindings and pane sizes."""

from __future__ import annotations

from textual.binding import Binding

# Distinct actions: the footer shows one key per action.
BINDINGS: list[Binding | tuple[str, str] | tuple[str, str, str]] = [
    Binding("n", "noop('n')", "New box"),
    Binding("r", "noop('r')", "Rename"),
    Binding("D", "noop('D')", "Delete box", key_display="D"),
    Binding("a", "noop('a')", "Add address"),
    Binding("d", "noop('d')", "Delete msg"),
    Binding("s", "noop('s')", "Save"),
    Binding("g", "noop('g')", "Refresh"),
    Binding("y", "noop('y')", "Copy address"),
    Binding("v", "noop('v')", "Source"),
    Binding("b", "noop('b')", "Sidebar", show=False),
    Binding("question_mark", "noop('?')", "Help", key_display="?"),
    Binding("q", "quit", "Quit"),
]

CSS = """
#main { height: 1fr; }
#sidebar { width: 34; height: 1fr; border: round $panel-lighten-2; }
#right { width: 1fr; height: 1fr; }
#messages { height: 2fr; border: round $panel-lighten-2; }
#reader { height: 3fr; border: round $panel-lighten-2; padding: 0 1; }
"""
