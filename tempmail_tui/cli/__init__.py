"""The tempmail-tui command line: the reader, the scripting commands, the sandbox and the key."""

from __future__ import annotations

from tempmail_tui.cli.parser import (
    EXIT_AUTH,
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    PROG,
    CliError,
    _error,
    main,
)

__all__ = [
    "EXIT_AUTH",
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "PROG",
    "CliError",
    "_error",
    "main",
]
