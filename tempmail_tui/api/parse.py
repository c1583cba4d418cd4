"""Strict conversion of API response bodies into typed models, refusing any other shape."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar

from .errors import ProtocolError
from .models import Attachment, Domain, DomainList, Mailbox, Message, MessageList
from .quota import parse_timestamp
from .secrets import redact

T = TypeVar("T")

#: Longest server message kept on an exception, in characters.
SERVER_MESSAGE_LIMIT = 300

# Integers outside this range cannot be a real id, size or duration.
_INT_BOUND = 2**63
_RECEIVED_AT = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?")
# A list longer than this is a broken or hostile server, not a mailbox.
_MAX_ITEMS = 100_000


def _fail(what: str) -> NoReturn:
    """Raise the ProtocolError for a body that does not have the documented shape."""
    raise ProtocolError(f"The server sent an unexpected response: {what}")


def _reject_constant(name: str) -> NoReturn:
    """Refuse the NaN and Infinity literals that Python's json module accepts by default."""
    _fail(f"non-standard JSON number {name}")


def decode_json(body: bytes) -> object:
    """The JSON value of a response body, or ProtocolError for anything that is not JSON."""
    if not body.strip():
        _fail("empty body")
    try:
        return json.loads(body, parse_constant=_reject_constant)
    except ProtocolError:
        raise
    except (ValueError, RecursionError):
        # ValueError covers bad JSON, bad UTF-8 and integers with too many digits.
        pass
    _fail("the body is not JSON")


def _field(obj: dict[str, Any], key: str) -> Any:
    """A field that must be present and not null."""
    if key not in obj or obj[key] is None:
        _fail(f"missing field {key!r}")
    return obj[key]


def _obj(value: object, what: str) -> dict[str, Any]:
    """A JSON object, or ProtocolError."""
    if not isinstance(value, dict):
        _fail(f"{what} is not an object")
    return value


def _str(obj: dict[str, Any], key: str) -> str:
    """A required string field, kept exactly as the server sent it."""
    value = _field(obj, key)
    if not isinstance(value, str):
        _fail(f"field {key!r} is not a string")
    return value


def _text(obj: dict[str, Any], key: str) -> str:
    """A string written by a mail's sender: absent or null reads as empty (real mail lacks them)."""
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        _fail(f"field {key!r} is not a string")
    return value


def _bool(obj: dict[str, Any], key: str, default: bool | None = None) -> bool:
    """A required boolean field (or the default when the field is absent or null)."""
    if default is not None and obj.get(key) is None:
        return default
    value = _field(obj, key)
    if not isinstance(value, bool):
        _fail(f"field {key!r} is not a boolean")
    return value


def _int(obj: dict[str, Any], key: str, *, minimum: int = -_INT_BOUND) -> int:
    """A required integer field within sane bounds (booleans and floats are refused)."""
    value = _field(obj, key)
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(f"field {key!r} is not an integer")
    if not minimum <= value < _INT_BOUND:
        _fail(f"field {key!r} is out of range")
    return value


def _list(
    obj: dict[str, Any], key: str, item: Callable[[object], T], *, optional: bool = False
) -> tuple[T, ...]:
    """A list field whose items are each converted by ``item``."""
    if optional and obj.get(key) is None:
        return ()
    value = _field(obj, key)
    if not isinstance(value, list):
        _fail(f"field {key!r} is not a list")
    if len(value) > _MAX_ITEMS:
        _fail(f"field {key!r} has too many items")
    return tuple(item(entry) for entry in value)


def _aware(obj: dict[str, Any], key: str) -> datetime:
    """An ISO-8601 timestamp field as an aware UTC datetime."""
    moment = parse_timestamp(_str(obj, key))
    if moment is None:
        _fail(f"field {key!r} is not a timestamp")
    return moment


def _received_at(obj: dict[str, Any], key: str) -> datetime:
    """The ``receivedAt`` form (``YYYY-MM-DD HH:MM:SS``, no offset) as UTC."""
    raw = _str(obj, key).strip()
    if not _RECEIVED_AT.fullmatch(raw):
        # Tolerate a full ISO timestamp with an offset, should the server ever send one.
        moment = parse_timestamp(raw)
        if moment is None:
            _fail(f"field {key!r} is not a timestamp")
        return moment
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=UTC)
    except ValueError:
        _fail(f"field {key!r} is not a valid date")


def _body_object(body: object) -> dict[str, Any]:
    """The body as an object whose ``status`` is true, or ProtocolError."""
    obj = _obj(body, "the body")
    status = obj.get("status")
    if status is True:
        return obj
    if status is False:
        raise ProtocolError(
            "The server reported a failure with a success status",
            server_message=server_message(obj),
        )
    _fail("missing or non-boolean 'status'")


def _data(body: object) -> dict[str, Any]:
    """The ``data`` object of a successful envelope."""
    return _obj(_field(_body_object(body), "data"), "'data'")


def parse_domain(value: object) -> Domain:
    """One entry of the domain list."""
    obj = _obj(value, "a domain")
    return Domain(
        domain=_str(obj, "domain"),
        type=_str(obj, "type"),
        custom=_bool(obj, "custom", default=False),
    )


def _allowed_type(value: object) -> str:
    """One entry of ``allowed_types``."""
    if not isinstance(value, str):
        _fail("an allowed type is not a string")
    return value


def parse_domain_list(body: object) -> DomainList:
    """The body of ``GET /domains``."""
    data = _data(body)
    return DomainList(
        requested_type=_str(data, "requested_type"),
        allowed_types=_list(data, "allowed_types", _allowed_type),
        domains=_list(data, "domains", parse_domain),
    )


def parse_mailbox(body: object) -> Mailbox:
    """The body of ``POST /emails`` and of a rename."""
    data = _data(body)
    token = data.get("email_token")
    if token is not None and not isinstance(token, str):
        _fail("field 'email_token' is not a string")
    return Mailbox(
        id=_int(data, "id"),
        email=_str(data, "email"),
        domain=_str(data, "domain"),
        created_at=_aware(data, "created_at"),
        expire_at=_aware(data, "expire_at"),
        expires_in_seconds=_int(data, "expires_in_seconds"),
        email_token=token or "",
    )


def parse_attachment(value: object) -> Attachment:
    """One attachment of a message."""
    obj = _obj(value, "an attachment")
    name = _str(obj, "name")
    return Attachment(
        name=name,
        extension=_text(obj, "extension") or name.rpartition(".")[2] * ("." in name),
        size=_int(obj, "size", minimum=0),
        url=_str(obj, "url"),
    )


def parse_message(value: object) -> Message:
    """One message object, as found in the list and in ``data`` of a read."""
    obj = _obj(value, "a message")
    return Message(
        id=_str(obj, "id"),
        subject=_text(obj, "subject"),
        from_name=_text(obj, "from"),
        from_email=_text(obj, "from_email"),
        to=_text(obj, "to"),
        received_at=_received_at(obj, "receivedAt"),
        is_seen=_bool(obj, "is_seen", default=False),
        is_html=_bool(obj, "html", default=False),
        content=_text(obj, "content"),
        attachments=_list(obj, "attachments", parse_attachment, optional=True),
    )


def parse_message_list(body: object) -> MessageList:
    """The body of ``GET /messages``."""
    obj = _body_object(body)
    return MessageList(
        # The docs say not to rely on it matching the address asked for, nor on it at all.
        mailbox=_text(obj, "mailbox"),
        messages=_list(obj, "messages", parse_message),
    )


def parse_read_message(body: object) -> Message:
    """The body of ``GET /messages/{id}``."""
    return parse_message(_data(body))


def parse_confirmation(body: object) -> str | None:
    """The body of a delete: a true ``status`` and, usually, a message (returned cleaned)."""
    return server_message(_body_object(body))


def _is_unsafe_char(char: str) -> bool:
    """Whether a character could drive a terminal or reorder text (controls, bidi, surrogates)."""
    return unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn"}


def clean_server_text(text: str, limit: int = SERVER_MESSAGE_LIMIT) -> str:
    """A server-written message made safe to put in an exception: one line, no controls, short."""
    # Bound the work first: a hostile message can be megabytes long.
    text = text[: limit * 4]
    cleaned = "".join(
        " " if char.isspace() else char
        for char in text
        if not _is_unsafe_char(char) or char.isspace()
    )
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


def server_message(body: object, *, secret: str = "") -> str | None:
    """The cleaned ``message`` of a body, when it is an object with a string message.

    Any occurrence of ``secret`` is masked first, so a server that echoes the key cannot leak it.
    """
    if not isinstance(body, dict):
        return None
    message = body.get("message")
    if not isinstance(message, str):
        return None
    return clean_server_text(redact(message, secret)) or None
