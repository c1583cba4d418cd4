"""The Temp Mail HTTP API: client, models and errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .secrets import Secret, mask_secret, redact

if TYPE_CHECKING:
    from .client import AttachmentStream, TempMailClient
    from .errors import (
        ApiError,
        AuthenticationError,
        ClientError,
        ForbiddenError,
        HttpStatusError,
        InputError,
        NetworkError,
        NotFoundError,
        ProtocolError,
        RateLimitError,
        RequestTimeoutError,
        ServerError,
        ValidationError,
    )
    from .models import Attachment, Domain, DomainList, Mailbox, Message, MessageList, Quota

#: Loaded on first use: the reader's settings read the key's masking (secrets.py) before
#: its first frame, and the models are not needed until after it.
_MODELS = frozenset(
    {"Attachment", "Domain", "DomainList", "Mailbox", "Message", "MessageList", "Quota"}
)
#: The errors too: the first frame has nothing to report.
_ERRORS = frozenset(
    {
        "ApiError",
        "AuthenticationError",
        "ClientError",
        "ForbiddenError",
        "HttpStatusError",
        "InputError",
        "NetworkError",
        "NotFoundError",
        "ProtocolError",
        "RateLimitError",
        "RequestTimeoutError",
        "ServerError",
        "ValidationError",
    }
)

__all__ = [
    "ApiError",
    "Attachment",
    "AttachmentStream",
    "AuthenticationError",
    "ClientError",
    "Domain",
    "DomainList",
    "ForbiddenError",
    "HttpStatusError",
    "InputError",
    "Mailbox",
    "Message",
    "MessageList",
    "NetworkError",
    "NotFoundError",
    "ProtocolError",
    "Quota",
    "RateLimitError",
    "RequestTimeoutError",
    "Secret",
    "ServerError",
    "TempMailClient",
    "ValidationError",
    "mask_secret",
    "redact",
]


def __getattr__(name: str) -> object:
    """Import the client (and with it httpx), the models and the errors on first use."""
    if name in {"TempMailClient", "AttachmentStream"}:
        from . import client

        return getattr(client, name)
    if name in _MODELS:
        from . import models

        return getattr(models, name)
    if name in _ERRORS:
        from . import errors

        return getattr(errors, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
