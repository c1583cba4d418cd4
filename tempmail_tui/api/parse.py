"""Conversion of API response bodies into typed models, refusing any shape that is not clear.

In messages, harmless variants with one meaning are read (``"1024"`` for a size, ``"1"``,
``0`` or ``"true"`` for a flag, ``null`` for an empty list or text); anything else is a
ProtocolError. In a listing, a message that cannot be read is recorded as unreadable and the
others are kept. Mailboxes and domains stay strict: a wrong id there would be acted on.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar

from .errors import ApiError, ProtocolError
from .models import (
    Attachment,
    Domain,
    DomainList,
    Mailbox,
    Message,
    MessageList,
    UnreadableMessage,
)
from .quota import parse_timestamp
from .secrets import redact

T = TypeVar("T")

#: Longest server message kept on an exception, in characters.
SERVER_MESSAGE_LIMIT = 300

# Integers outside this range cannot be a real id, size or duration.
INT_BOUND = 2**63
_RECEIVED_AT = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?")
# A number sent as a string: ASCII digits only (\d would take any script's digits), no sign
# but a minus, no spaces, exponent or separators, whose meaning could be read two ways.
_NUMERIC = re.compile(r"-?[0-9]{1,20}")
_TRUE = frozenset({"1", "true"})
_FALSE = frozenset({"0", "false"})
# A list longer than this is a broken or hostile server, not a mailbox.
MAX_ITEMS = 100_000


def _fail(what: str) -> NoReturn:
    """Raise the ProtocolError for a body that does not have the documented shape."""
    raise ProtocolError(f"The server sent an unexpected response: {what}")


class _FieldError(ProtocolError):
    """A field of the wrong shape; ``reason`` says so naming only the field, for a record."""

    def __init__(self, what: str, key: str | None, problem: str, owner: str | None = None) -> None:
        super().__init__(f"The server sent an unexpected response: {what}")
        self.what, self.key, self.problem, self.owner = what, key, problem, owner

    @property
    def reason(self) -> str:
        """E.g. "field `size` of attachment 1 is not a number" (field names are our own)."""
        if self.key is None:
            return f"{self.owner or 'it'} {self.problem}"
        where = f" of {self.owner}" if self.owner else ""
        return f"field `{self.key}`{where} {self.problem}"

    def within(self, owner: str) -> _FieldError:
        """The same error, said of a part of the message (``attachment 1``)."""
        return _FieldError(self.what, self.key, self.problem, self.owner or owner)


def _bad(key: str, problem: str) -> NoReturn:
    """Raise the error for a field that is there but cannot be read."""
    raise _FieldError(f"field {key!r} {problem}", key, problem)


def _reject_constant(name: str) -> NoReturn:
    """Refuse the NaN and Infinity literals that Python's json module accepts by default."""
    _fail(f"non-standard JSON number {name}")


def decode_json(body: bytes | bytearray) -> object:
    """The JSON value of a response body, or ProtocolError for anything that is not JSON."""
    # Not ``strip()``: that copies a bytearray (a whole listing) just to test it.
    if not body or body.isspace():
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
        raise _FieldError(f"missing field {key!r}", key, "is missing")
    return obj[key]


def _obj(value: object, what: str) -> dict[str, Any]:
    """A JSON object, or ProtocolError."""
    if not isinstance(value, dict):
        raise _FieldError(f"{what} is not an object", None, "is not an object")
    return value


def _str(obj: dict[str, Any], key: str) -> str:
    """A required string field, kept exactly as the server sent it."""
    value = _field(obj, key)
    if not isinstance(value, str):
        _bad(key, "is not a string")
    return value


def _text(obj: dict[str, Any], key: str) -> str:
    """A string written by a mail's sender: absent or null reads as empty (real mail lacks them)."""
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        _bad(key, "is not a string")
    return value


def _bool(
    obj: dict[str, Any], key: str, default: bool | None = None, *, lenient: bool = False
) -> bool:
    """A required boolean field (or the default when the field is absent or null).

    With ``lenient``, ``1``/``0`` and the strings ``"1"``, ``"0"``, ``"true"``, ``"false"``
    (any case) are read too: each has one meaning. Other numbers and strings are refused.
    """
    if default is not None and obj.get(key) is None:
        return default
    value = _field(obj, key)
    if isinstance(value, bool):
        return value
    if not lenient:
        _bad(key, "is not a boolean")
    if isinstance(value, int) and value in (0, 1):
        return value == 1
    if isinstance(value, str) and len(value) <= len("false"):
        word = value.lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
    _bad(key, "is not a boolean")


def _int(obj: dict[str, Any], key: str, *, minimum: int = -INT_BOUND, lenient: bool = False) -> int:
    """A required integer field within sane bounds (booleans and floats, even ``2.0``, refused).

    With ``lenient``, a string of ASCII digits (``"1024"``) is read too.
    """
    value = _field(obj, key)
    if lenient and isinstance(value, str) and _NUMERIC.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        _bad(key, "is not a number")
    if not minimum <= value < INT_BOUND:
        _bad(key, "is out of range")
    return value


def _items(obj: dict[str, Any], key: str, *, optional: bool = False) -> list[object]:
    """The raw items of a list field (a null optional list is empty)."""
    if optional and obj.get(key) is None:
        return []
    value = _field(obj, key)
    if not isinstance(value, list):
        _bad(key, "is not a list")
    if len(value) > MAX_ITEMS:
        _bad(key, "has too many items")
    return value


def _list(
    obj: dict[str, Any],
    key: str,
    item: Callable[[object], T],
    *,
    optional: bool = False,
    each: str | None = None,
) -> tuple[T, ...]:
    """A list field whose items are each converted by ``item``.

    With ``each`` (e.g. "attachment"), an item's error says which item it was, from 1.
    """
    items = _items(obj, key, optional=optional)
    if each is None:
        return tuple(item(entry) for entry in items)
    converted: list[T] = []
    for number, entry in enumerate(items, start=1):
        try:
            converted.append(item(entry))
        except _FieldError as error:
            raise error.within(f"{each} {number}") from None
    return tuple(converted)


def _aware(obj: dict[str, Any], key: str) -> datetime:
    """An ISO-8601 timestamp field as an aware UTC datetime."""
    moment = parse_timestamp(_str(obj, key))
    if moment is None:
        _bad(key, "is not a timestamp")
    return moment


def _received_at(obj: dict[str, Any], key: str) -> datetime:
    """The ``receivedAt`` form (``YYYY-MM-DD HH:MM:SS``, no offset) as UTC."""
    return received_at(_str(obj, key), key)


def received_at(text: str, key: str = "receivedAt") -> datetime:
    """A ``receivedAt`` value (``YYYY-MM-DD HH:MM:SS``, no offset) as UTC, or ProtocolError."""
    raw = text.strip()
    if not _RECEIVED_AT.fullmatch(raw):
        # Tolerate a full ISO timestamp with an offset, should the server ever send one.
        moment = parse_timestamp(raw)
        if moment is None:
            _bad(key, "is not a timestamp")
        return moment
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=UTC)
    except ValueError:
        _bad(key, "is not a valid date")


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
        size=_int(obj, "size", minimum=0, lenient=True),
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
        is_seen=_bool(obj, "is_seen", default=False, lenient=True),
        is_html=_bool(obj, "html", default=False, lenient=True),
        content=_text(obj, "content"),
        attachments=_list(obj, "attachments", parse_attachment, optional=True, each="attachment"),
    )


def _unreadable(index: int, entry: object, error: ProtocolError) -> UnreadableMessage:
    """The record of a listed message that could not be read."""
    message_id = entry.get("id") if isinstance(entry, dict) else None
    # A reason is built from field names this module knows; any other error is not trusted
    # to be free of server text, so it is not quoted.
    reason = error.reason if isinstance(error, _FieldError) else "it could not be read"
    return UnreadableMessage(
        index=index,
        id=message_id if isinstance(message_id, str) and message_id else None,
        reason=reason,
    )


def parse_message_list(body: object) -> MessageList:
    """The body of ``GET /messages``: every readable message, and a record of each other one.

    The envelope (status, the ``messages`` list) must be right or the whole listing fails;
    one malformed message must not hide the rest of the box.
    """
    obj = _body_object(body)
    # The docs say not to rely on it matching the address asked for, nor on it at all.
    mailbox = _text(obj, "mailbox")
    messages: list[Message] = []
    unreadable: list[UnreadableMessage] = []
    for index, entry in enumerate(_items(obj, "messages")):
        try:
            messages.append(parse_message(entry))
        except ProtocolError as error:
            unreadable.append(_unreadable(index, entry, error))
    return MessageList(mailbox=mailbox, messages=tuple(messages), unreadable=tuple(unreadable))


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


def parse_body(parser: Callable[[object], T], body: object, *, secret: str) -> T:
    """Run a parser; whatever goes wrong inside it comes out as a ProtocolError."""
    if isinstance(body, dict) and body.get("status") is False:
        # Handled here rather than in the parser so the key is masked in the message.
        raise ProtocolError(server_message=server_message(body, secret=secret))
    try:
        return parser(body)
    except ApiError:
        raise
    except Exception as exc:
        failure = ProtocolError(f"The response could not be read ({type(exc).__name__})")
    raise failure
