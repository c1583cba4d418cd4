"""The one exception the sandbox's state raises for a request it must refuse."""

from __future__ import annotations

from tempmail_tui.errors import LocalError


class SandboxError(LocalError):
    """A refusal that maps to an HTTP status and a ``{"status": false}`` message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
