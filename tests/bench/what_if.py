"""Run the app with a change this harness recommends, to measure it before it is made.

``python -m tests.bench.what_if deferred-bootstrap [app arguments]`` starts the real app
with one method replaced in this process only; the product's files are not touched.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

VARIANTS = ("deferred-bootstrap",)


def deferred_bootstrap() -> None:
    """Start the store and key look-up after the first frame is painted, not before it."""
    from tempmail_tui.ui.app import TempMailApp

    def on_mount(self: TempMailApp) -> None:
        # The product starts the bootstrap worker in on_mount, which runs before the first
        # paint: its thread (SQLite, keyring) and the connect() that follows (httpx import)
        # then compete with the first frame for the GIL.
        self.call_after_refresh(self.bootstrap)

    TempMailApp.on_mount = on_mount  # type: ignore[method-assign]


PATCHES: dict[str, Callable[[], None]] = {"deferred-bootstrap": deferred_bootstrap}


def main(argv: list[str]) -> int:
    """Apply the named variant and run the app's command line with the remaining arguments."""
    if not argv or argv[0] not in PATCHES:
        print(f"usage: python -m tests.bench.what_if {{{','.join(VARIANTS)}}} [args]")
        return 2
    PATCHES[argv[0]]()
    from tempmail_tui.console import main as cli_main

    return cli_main(argv[1:])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
