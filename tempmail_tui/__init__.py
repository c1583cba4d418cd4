"""tempmail-tui: a terminal mail reader for Temp Mail throwaway mailboxes, and a Python API.

``from tempmail_tui import TempMail`` loads the Python API (``tempmail_tui.automation``) on
first use, so the command line does not pay for it at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from tempmail_tui.automation import (
        ApiError,
        AsyncBox,
        AsyncMessage,
        AsyncTempMail,
        Box,
        Message,
        NoApiKeyError,
        NotFoundError,
        SessionClosedError,
        TempMail,
        TempMailError,
        UsageError,
        WaitStopped,
        WaitTimedOut,
    )

__all__ = [
    "ApiError",
    "AsyncBox",
    "AsyncMessage",
    "AsyncTempMail",
    "Box",
    "Message",
    "NoApiKeyError",
    "NotFoundError",
    "SessionClosedError",
    "TempMail",
    "TempMailError",
    "UsageError",
    "WaitStopped",
    "WaitTimedOut",
    "__version__",
]

#: The names ``tempmail_tui`` lends from ``tempmail_tui.automation`` on first use.
_API = frozenset(__all__) - {"__version__"}


def __getattr__(name: str) -> Any:
    """Load the Python API when one of its names is first asked for."""
    if name in _API:
        from tempmail_tui import automation

        return getattr(automation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
