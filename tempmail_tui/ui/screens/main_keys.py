"""The main screen's key bindings, apart: the first frame's footer shows them before it loads."""

from __future__ import annotations

from textual.binding import Binding

KEYS: tuple[Binding, ...] = (
    Binding("n", "new_box", "New box"),
    Binding("r", "rename_box", "Rename"),
    Binding("D", "delete_box", "Delete box", key_display="D"),
    # Rare (the footer has no room for it): in the help and the palette.
    Binding("a", "add_address", "Add address", show=False),
    Binding("o", "toggle_group", "Open/close group", show=False),
    Binding("t", "group_by", "Group by day/label", show=False),
    Binding("d", "delete_message", "Delete msg"),
    Binding("s", "save_attachments", "Save"),
    Binding("z", "zoom", "Zoom"),
    # Not g: in the lists g is "first row", as in aerc, less and vim (see ui/keys.py).
    Binding("R,f5", "refresh", "Refresh", key_display="R"),
    Binding("L", "label_box", "Label", key_display="L"),
    Binding("y", "copy_address", "Copy address"),
    Binding("v", "toggle_source", "Source"),
    Binding("c", "copy_code", "Copy code"),
    Binding("l", "links", "Links"),
    Binding("slash", "filter", "Filter", key_display="/"),
    Binding("f", "search_archive", "Search all"),
    Binding("space", "page", "Page / next unread", show=False),
    Binding("J", "next_message", "Open next message", show=False, key_display="J"),
    Binding("K", "previous_message", "Open previous message", show=False, key_display="K"),
    Binding("b", "toggle_sidebar", "Sidebar", show=False),
    Binding("question_mark", "help", "Help", key_display="?"),
    Binding("q", "quit", "Quit"),
)
"""The main screen's default key bindings (config.toml's [keys] may change them)."""
