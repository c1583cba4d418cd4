"""The Python API's own errors, beside the project's family it re-exports."""

from __future__ import annotations

from tempmail_tui.errors import LocalError


class SessionClosedError(LocalError):
    """A TempMail or one of its boxes was used after the session closed (or before it opened)."""


class UsageError(LocalError, ValueError):
    """A call of the Python API was given an argument it cannot use (a bad pattern, a timeout)."""
