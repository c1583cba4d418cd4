"""The UI's layers: screens and widgets see the app only as MailHost, the core as the service."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tempmail_tui.ui

UI = Path(tempmail_tui.ui.__file__).parent
PARTS = sorted([*UI.glob("screens/*.py"), *UI.glob("widgets/*.py")])

#: What a screen or widget may not import, even for type checking: the app (the screens reach
#: it through ui/host.py), and the store and HTTP client (the service is the way to them).
FORBIDDEN = {
    "tempmail_tui.ui.app": None,
    "tempmail_tui.core.store": "Store",
    "tempmail_tui.api.client": None,
}


def imported(path: Path) -> set[tuple[str, str | None]]:
    """Every (module, name) a file imports, anywhere in it (name None for a plain import)."""
    found: set[tuple[str, str | None]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {(alias.name, None) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            found |= {(node.module, alias.name) for alias in node.names}
            if node.module == "tempmail_tui.ui":
                found |= {(f"tempmail_tui.ui.{alias.name}", None) for alias in node.names}
    return found


@pytest.mark.parametrize("path", PARTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_screens_and_widgets_import_neither_the_app_nor_the_store(path: Path) -> None:
    bad = [
        (module, name)
        for module, name in imported(path)
        if module in FORBIDDEN and (FORBIDDEN[module] is None or FORBIDDEN[module] == name)
    ]
    assert bad == []
