"""The reader: the Textual application, run when no command is named."""

from __future__ import annotations

import argparse

from tempmail_tui.cli.output import log_pointer, say
from tempmail_tui.cli.session import settings


def run_tui(args: argparse.Namespace) -> int:
    """Load the configuration and launch the Textual application."""
    # The keyring is read by the app after its first frame (it costs ~80 ms to import).
    config = settings(args, keyring=False, reader=True)
    # Imported only now: textual alone costs ~200 ms.
    from tempmail_tui.ui.app import run_app

    ended = run_app(config, demo=bool(args.demo))
    if ended.crash is not None:
        say(f"stopped by an unexpected error: {ended.crash}{log_pointer()}")
    return ended.status
