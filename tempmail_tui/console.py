"""The ``tempmail-tui`` console script: the command line, the reader by default."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tempmail_tui.core.config import Config


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with the Textual reader as its default command."""
    from tempmail_tui.ui import interpreter

    # Off from the start (the command line's modules too) until the reader's first frame is
    # painted (the app turns it on then); a command turns it on again before it runs.
    interpreter.pause_collection()
    try:
        # Neither front end imports the other: this module, above both, joins them.
        from tempmail_tui.cli import main as command_line

        return command_line(argv, reader=run_reader)
    finally:
        # On after an early end too (a usage error, a bad config.toml), for a caller that
        # goes on (the tests call this function).
        interpreter.resume_collection()


def run_reader(config: Config, *, demo: bool) -> tuple[int, str | None]:
    """Run the Textual reader; its exit status and, if it crashed, the one-line cause."""
    # Imported only now: textual alone costs ~200 ms, and the commands never need it.
    from tempmail_tui.ui.app import run_app

    return run_app(config, demo=demo)
