"""Exit statuses, the command line's own error, and the one mapping from failures to both."""

from __future__ import annotations

from dataclasses import dataclass

from tempmail_tui.cli.output import PROG
from tempmail_tui.core.config import API_KEY_ENV_VAR
from tempmail_tui.core.credentials import KeyStoreError
from tempmail_tui.errors import TempMailError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_INTERRUPTED = 130


class CliError(TempMailError):
    """A failure to report as one line on stderr with the given exit status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Failure:
    """What the command line says about a failure (one line) and the status it exits with."""

    message: str
    status: int


def failure_of(error: TempMailError) -> Failure:
    """The message and exit status of any failure of the family.

    A key problem is 3 with a hint; a timeout 1; an API error 2; a failure on this machine 2,
    worded as such so it is never taken for the server's.
    """
    if isinstance(error, CliError):
        return Failure(str(error), error.status)
    # Loaded only when something failed: --help and the small commands stay fast.
    from tempmail_tui.api.errors import ApiError, AuthenticationError
    from tempmail_tui.core.session import NoApiKeyError
    from tempmail_tui.core.store import StoreError
    from tempmail_tui.core.waiting import WaitTimedOut

    if isinstance(error, NoApiKeyError):
        why = f" ({error.problem})" if error.problem else ""
        return Failure(
            f"no API key{why}: set {API_KEY_ENV_VAR} or run `{PROG} auth set`", EXIT_AUTH
        )
    if isinstance(error, AuthenticationError):
        return Failure(f"{error} (check {API_KEY_ENV_VAR} or `{PROG} auth status`)", EXIT_AUTH)
    if isinstance(error, KeyStoreError):
        return Failure(str(error), EXIT_AUTH)
    if isinstance(error, WaitTimedOut):
        return Failure(str(error), EXIT_FAILURE)
    if isinstance(error, ApiError):
        return Failure(str(error), EXIT_USAGE)
    if isinstance(error, StoreError) and "local store" not in str(error):
        # Most store messages name the store; the few that do not would read as the server's.
        return Failure(f"local store: {error}", EXIT_USAGE)
    # Other failures on this machine name what failed (a setting, the keyring, a file).
    return Failure(str(error), EXIT_USAGE)
