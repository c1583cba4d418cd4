"""The one mapping from the error family to the command line's message and exit status."""

from __future__ import annotations

import pytest

from tempmail_tui.api.errors import AuthenticationError, NetworkError, NotFoundError
from tempmail_tui.cli.errors import CliError, Failure, failure_of
from tempmail_tui.core.config import ConfigError
from tempmail_tui.core.credentials import KeyStoreError
from tempmail_tui.core.session import NoApiKeyError
from tempmail_tui.core.store import StoreError, StoreReadOnlyError
from tempmail_tui.core.waiting import WaitStopped, WaitTimedOut
from tempmail_tui.errors import TempMailError


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (CliError("bad flag", 2), Failure("bad flag", 2)),
        (
            NoApiKeyError("no keyring"),
            Failure(
                "no API key (no keyring): set TEMPMAIL_API_KEY or run `tempmail-tui auth set`", 3
            ),
        ),
        (
            AuthenticationError("The API key was rejected"),
            Failure(
                "The API key was rejected (check TEMPMAIL_API_KEY or `tempmail-tui auth status`)",
                3,
            ),
        ),
        (KeyStoreError("no keyring backend"), Failure("no keyring backend", 3)),
        (
            WaitTimedOut("no new matching message within 5 s"),
            Failure("no new matching message within 5 s", 1),
        ),
        (WaitStopped("stopped waiting: quota"), Failure("stopped waiting: quota", 2)),
        (NotFoundError("Not found"), Failure("Not found", 2)),
        (NetworkError("Could not reach the server"), Failure("Could not reach the server", 2)),
        (ConfigError("TEMPMAIL_BASE_URL: not a URL"), Failure("TEMPMAIL_BASE_URL: not a URL", 2)),
        (StoreReadOnlyError(), Failure(str(StoreReadOnlyError()), 2)),
        # A store message that does not name the store is said to be the store's.
        (
            StoreError("cannot store a message of an unknown mailbox"),
            Failure("local store: cannot store a message of an unknown mailbox", 2),
        ),
        (TempMailError("something else"), Failure("something else", 2)),
    ],
)
def test_every_failure_has_one_message_and_status(error: TempMailError, expected: Failure) -> None:
    assert failure_of(error) == expected


def test_the_command_lines_error_is_of_the_family() -> None:
    assert issubclass(CliError, TempMailError)
