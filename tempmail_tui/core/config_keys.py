"""The [keys] table of config.toml: which key names can be bound, and to which actions."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from tempmail_tui.core.config_values import shown, shown_name

#: Modifiers the terminal reports with a key (Textual has no alt: terminals send it as escape).
_MODIFIERS = ("ctrl", "shift")
#: Keys with names, besides the single characters and f1-f24.
_NAMED_KEYS = frozenset(
    {"enter", "escape", "tab", "space", "backspace", "delete", "insert", "home", "end"}
    | {"pageup", "pagedown", "up", "down", "left", "right"}
)
#: Keys the reader keeps for itself: focus, dialogs, the palette and Textual's own quit.
_RESERVED_KEYS = frozenset({"tab", "shift+tab", "escape", "enter", "ctrl+p", "ctrl+c", "ctrl+q"})


def _punctuation_name(character: str) -> str:
    """The name Textual gives a punctuation key (``?`` is question_mark, ``/`` slash)."""
    import unicodedata

    name = unicodedata.name(character).lower().replace("-", "_").replace(" ", "_")
    replacements = {
        "solidus": "slash",
        "reverse_solidus": "backslash",
        "commercial_at": "at",
        "hyphen_minus": "minus",
        "plus_sign": "plus",
        "low_line": "underscore",
    }
    return replacements.get(name, name)


_PUNCTUATION_NAMES = frozenset(_punctuation_name(c) for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_FUNCTION_KEY = r"f([1-9]|1[0-9]|2[0-4])"


def key_problem(key: str) -> str | None:
    """Why a key name from config.toml cannot be bound, or None when it can."""
    if key != key.strip() or not key:
        return "a key must not be empty or have spaces around it"
    if key == ",":
        return 'write the comma key as "comma"'
    if len(key) == 1:
        return None if key.isprintable() and key != " " else 'write the space key as "space"'
    *modifiers, base = key.split("+")
    if any(m not in _MODIFIERS for m in modifiers) or len(set(modifiers)) != len(modifiers):
        return "modifiers are ctrl+ and shift+ (a terminal sends alt as escape)"
    if modifiers and len(base) == 1:
        return (
            None
            if base.isascii() and (base.islower() or base.isdigit())
            else ("after ctrl+ or shift+ write a lower-case letter or digit")
        )
    if base in _NAMED_KEYS or base in _PUNCTUATION_NAMES or re.fullmatch(_FUNCTION_KEY, base):
        return None
    return "not a key name (a character, or enter, space, home, pagedown, f5, ctrl+n, ...)"


def keys_table(
    raw: object, path: Path, warnings: list[str], actions: Sequence[str]
) -> Mapping[str, tuple[str, ...]]:
    """The [keys] table: each valid action's keys; every problem a warning, the rest kept."""
    where = f"config file {path}: [keys]"
    if not isinstance(raw, dict):
        warnings.append(f'{where} must be a table of action = "key"; ignored')
        return {}
    keys: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    for action, value in raw.items():
        at = f"config file {path}{_line_of(path, action)}: [keys] {shown_name(action)}"
        if action not in actions:
            warnings.append(f"{at} is not an action and is ignored; actions: {', '.join(actions)}")
            continue
        given = [value] if isinstance(value, str) else value
        if not isinstance(given, list) or not given or not all(isinstance(k, str) for k in given):
            warnings.append(
                f'{at} must be a key or a list of keys such as ["N", "ctrl+n"]; ignored'
            )
            continue
        chosen: list[str] = []
        for key in given:
            problem = key_problem(key)
            if problem is None and key in _RESERVED_KEYS:
                problem = "the reader keeps this key for itself"
            if problem is None and key in owner:
                problem = f"already bound to {owner[key]}"
            if problem is not None:
                warnings.append(f"{at}: {shown(key)} is ignored: {problem}")
                continue
            if key not in chosen:
                owner[key] = action
                chosen.append(key)
        if chosen:
            keys[action] = tuple(chosen)
        else:
            warnings.append(f"{at} has no usable key; the default is kept")
    return keys


def _line_of(path: Path, action: str) -> str:
    """ " line N" where config.toml sets this key of [keys], or "" when it cannot be told."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return ""
    table = ""
    pattern = re.compile(r"\s*(?:" + re.escape(action) + r'|"' + re.escape(action) + r'")\s*=')
    for number, line in enumerate(lines, start=1):
        header = re.match(r"\s*\[([^\]]*)\]", line)
        if header:
            table = header.group(1).strip()
        elif table == "keys" and pattern.match(line):
            return f" line {number}"
    return ""
