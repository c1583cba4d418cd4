"""The reader: the Textual application, run when no command is named."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from tempmail_tui.cli.errors import EXIT_USAGE, CliError
from tempmail_tui.cli.output import log_pointer, say
from tempmail_tui.cli.session import settings
from tempmail_tui.core.config import Config

if TYPE_CHECKING:
    import argparse


class Reader(Protocol):
    """Runs the reader with these settings; its exit status and the cause of any crash."""

    def __call__(self, config: Config, *, demo: bool) -> tuple[int, str | None]:
        """Run the reader until it ends."""
        ...


def run_tui(args: argparse.Namespace, reader: Reader | None) -> int:
    """Load the configuration and launch the reader the console script provides."""
    if reader is None:
        # The command line alone (as a library) has no reader: say so instead of guessing.
        raise CliError("name a command (see --help); the reader runs from tempmail-tui", EXIT_USAGE)
    # The keyring is read by the app after its first frame (it costs ~80 ms to import).
    config = settings(args, keyring=False, reader=True)
    status, crash = reader(config, demo=bool(args.demo))
    if crash is not None:
        say(f"stopped by an unexpected error: {crash}{log_pointer()}")
    return status
