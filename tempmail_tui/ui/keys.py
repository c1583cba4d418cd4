"""Movement keys of terminal mail readers (aerc, neomutt, less) and the keys config.toml sets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from textual.binding import Binding

#: Moving in the message list (a DataTable: its Home/End move sideways, so they are rebound).
TABLE_KEYS: tuple[Binding, ...] = (
    Binding("j", "cursor_down", "Next row", show=False),
    Binding("k", "cursor_up", "Previous row", show=False),
    Binding("g,home", "scroll_top", "First row", show=False),
    Binding("G,end", "scroll_bottom", "Last row", show=False),
    Binding("ctrl+d", "page_down", "Page down", show=False),
    Binding("ctrl+u", "page_up", "Page up", show=False),
)

#: Moving in the mailbox sidebar (an OptionList: arrows, Home/End and PgUp/PgDn are its own).
OPTION_KEYS: tuple[Binding, ...] = (
    Binding("j", "cursor_down", "Next box", show=False),
    Binding("k", "cursor_up", "Previous box", show=False),
    Binding("g", "first", "First box", show=False),
    Binding("G", "last", "Last box", show=False),
    Binding("ctrl+d", "page_down", "Page down", show=False),
    Binding("ctrl+u", "page_up", "Page up", show=False),
)

#: Scrolling a text (the reader, the help): as in less.
SCROLL_KEYS: tuple[Binding, ...] = (
    Binding("j", "scroll_down", "Scroll down", show=False),
    Binding("k", "scroll_up", "Scroll up", show=False),
    Binding("g", "scroll_home", "Top", show=False),
    Binding("G", "scroll_end", "Bottom", show=False),
    Binding("ctrl+d", "page_down", "Page down", show=False),
    Binding("ctrl+u", "page_up", "Page up", show=False),
)

#: Keys the lists and the reader take for themselves while they have the focus.
MOVEMENT_KEYS = frozenset(
    {key for b in (*TABLE_KEYS, *OPTION_KEYS, *SCROLL_KEYS) for key in b.key.split(",")}
    | {"up", "down", "left", "right", "home", "end", "pageup", "pagedown"}
)

#: What the help screen says of the keys that are not the screen's own bindings.
MOVEMENT_HELP: tuple[tuple[str, str], ...] = (
    ("j k ↑ ↓", "Next / previous row, or scroll the reader"),
    ("g G home end", "First / last row, or top / bottom of the reader"),
    ("^d ^u pgdn pgup", "Page down / up"),
    ("enter", "Open the highlighted message (again: full screen)"),
    ("esc", "Leave the full-screen reader, or clear the filter"),
    ("tab shift+tab", "Move between sidebar, list and reader"),
    ("← →", "Move between a dialog's buttons"),
    ("enter space → ←", "Sidebar: open / close the archive group on its header"),
    ("y / n esc", "Answer a confirm dialog yes / no"),
    ("1-9", "Links: copy link [n] (10 and up: digits, enter)"),
    ("ctrl+p", "Command palette: every action by name"),
)


def bindings_in_force(
    defaults: Sequence[Binding], configured: Mapping[str, Sequence[str]]
) -> tuple[list[Binding], list[str]]:
    """The screen's bindings once config.toml's keys are applied, and what was given up.

    A configured action gets exactly the keys given; an action left alone keeps its
    defaults except those a configured action took, so one key never means two things.
    """
    taken = {key for keys in configured.values() for key in keys}
    bindings: list[Binding] = []
    notes: list[str] = []
    for binding in defaults:
        keys = list(configured.get(binding.action, ()))
        moving = [key for key in keys if key in MOVEMENT_KEYS]
        if moving:
            # The focused list or reader sees a key before the screen does: say where it works.
            notes.append(
                f"{binding.description} ({binding.action}): {', '.join(moving)} moves in the "
                "lists and the reader, so it does this only where neither has the focus"
            )
        if keys:
            # The display follows the key now in force (the default's display would lie).
            display = keys[0] if len(keys[0]) == 1 else None
            bindings.append(replace(binding, key=",".join(keys), key_display=display))
            continue
        kept = [key for key in binding.key.split(",") if key not in taken]
        if not kept:
            notes.append(
                f"{binding.description} ({binding.action}) lost its key "
                f"{binding.key_display or binding.key} to another action in config.toml; "
                "it is still in the command palette (ctrl+p)"
            )
            continue
        display = binding.key_display if kept == binding.key.split(",") else None
        bindings.append(replace(binding, key=",".join(kept), key_display=display))
    return bindings, notes


def keys_shown(binding: Binding) -> str:
    """How a binding's keys are written in the help: every key, comma-separated."""
    from textual.keys import format_key

    keys = binding.key.split(",")
    if binding.key_display and len(keys) == 1:
        return binding.key_display
    return ", ".join(format_key(key) if len(key) > 1 else key for key in keys)
