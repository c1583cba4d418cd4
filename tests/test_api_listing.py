"""The listing's fast path reads a body exactly as the careful parser does, or not at all."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from tempmail_tui.api.errors import ProtocolError
from tempmail_tui.api.listed import ListedMessage
from tempmail_tui.api.listing import ListingDecoder
from tempmail_tui.api.models import Message, MessageList
from tempmail_tui.api.parse import decode_json, parse_body, parse_message_list


def message(**changes: Any) -> dict[str, Any]:
    """A message object as the API documents it, with some fields changed."""
    base: dict[str, Any] = {
        "is_seen": False,
        "subject": "Welcome to Temp Mail",
        "from": "Example Sender",
        "from_email": "hello@example.org",
        "to": "randombox@example.com",
        "receivedAt": "2026-06-28 10:57:25",
        "id": "ap94AWDg123ELQz07vrVB9dLXlbqZM5NGwYxOJKko8n6m1",
        "html": True,
        "content": "<p>Hello from the inbox.</p>",
        "attachments": [
            {"name": "file.txt", "extension": "txt", "size": 91, "url": "https://x.test/a"}
        ],
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not ...}


def body(*messages: dict[str, Any], **envelope: Any) -> bytes:
    """A listing body holding these messages."""
    data = {"status": True, "mailbox": "randombox@example.com", "messages": list(messages)}
    data.update(envelope)
    return json.dumps(data).encode()


def utf8_body(*messages: dict[str, Any]) -> bytes:
    """A listing body with its text as UTF-8, not escaped."""
    data = {"status": True, "mailbox": "randombox@example.com", "messages": list(messages)}
    return json.dumps(data, ensure_ascii=False).encode()


def across_chunks() -> bytes:
    """A body whose one two-byte character is cut by the UTF-8 check's first chunk end."""
    at = utf8_body(message(content="é")).index("é".encode())
    body = utf8_body(message(content="x" * (256 * 1024 - 1 - at) + "é"))
    assert body[256 * 1024 - 1 : 256 * 1024 + 1] == "é".encode()
    return body


def careful(raw: bytes) -> MessageList | ProtocolError:
    """What the field-by-field parser makes of a body (or its refusal)."""
    try:
        return parse_body(parse_message_list, decode_json(raw), secret="")
    except ProtocolError as error:
        return error


BODIES = {
    "as documented": body(message(), message(id="b2", attachments=[])),
    "nulls and missing text": body(
        message(subject=None, to=..., content=None, attachments=None, is_seen=None)
    ),
    "an attachment without extension": body(
        message(attachments=[{"name": "report.pdf", "size": 3, "url": "u"}])
    ),
    "an ISO time with an offset": body(message(receivedAt="2026-06-28T10:57:25+02:00")),
    "lenient booleans": body(message(is_seen="1", html=0)),
    "a number as a string": body(message(attachments=[{"name": "a", "size": "12", "url": "u"}])),
    "a negative size": body(message(attachments=[{"name": "a", "size": -1, "url": "u"}])),
    "a float size": body(message(attachments=[{"name": "a", "size": 2.0, "url": "u"}])),
    "a huge size": body(message(attachments=[{"name": "a", "size": 2**64, "url": "u"}])),
    "a bad time": body(message(receivedAt="yesterday")),
    "an impossible date": body(message(receivedAt="2026-02-31 10:00:00")),
    "one malformed message": body(message(), message(id=None)),
    "a message that is a list": body(message(), []),  # type: ignore[arg-type]
    "no status": body(message(), status=None),
    "a failure": body(status=False, message="no"),
    "no messages": b'{"status": true}',
    "empty": b"",
    "not JSON": b"<html>502</html>",
    "NaN": b'{"status": true, "messages": [], "x": NaN}',
    "a lone surrogate": body(message(subject="\ud800 half")),
    "a lone surrogate in a body": body(message(content="half \ud800 of it")),
    "escapes and non-ASCII in a body": body(
        message(content='<a href="x">\\/ \t é ✓ 😀</a>'), message(id="b2", content="naïve")
    ),
    "a body as UTF-8, unescaped": utf8_body(message(content="é ✓ 😀 naïve")),
    "a number as a body": body(message(content=5)),
    "a list as a body": body(message(content=["a"])),
    "an object as a body": body(message(content={"a": 1})),
    "a boolean as a body": body(message(content=True)),
    "an empty body": body(message(content="")),
    "bad UTF-8 in a body": body(message(content="ok")).replace(b'"ok"', b'"o\xffk"'),
    "a surrogate encoded in UTF-8 in a body": body(message(content="ok")).replace(
        b'"ok"', b'"o\xed\xa0\x80k"'
    ),
    "an overlong UTF-8 sequence in a body": body(message(content="ok")).replace(
        b'"ok"', b'"o\xc0\xafk"'
    ),
    "UTF-8 across a chunk's end": across_chunks(),
    "a repeated key": b'{"status": true, "messages": [], "messages": []}',
    "deep nesting elsewhere": b'{"status": true, "messages": [], "x": '
    + b"[" * 100_000
    + b"]" * 100_000
    + b"}",
}


@pytest.mark.parametrize("raw", BODIES.values(), ids=BODIES.keys())
def test_the_fast_path_agrees_with_the_careful_parser_or_steps_aside(raw: bytes) -> None:
    fast = ListingDecoder().decode(raw, "randombox@example.com")
    slow = careful(raw)
    if fast is not None:
        assert not isinstance(slow, ProtocolError), f"accepted what the parser refuses: {slow}"
        # Field by field, bodies decoded; and each body alone reads as the parser's.
        assert fast.decoded() == slow
        assert [m.content() for m in fast.messages] == [m.content for m in slow.messages]


def test_a_huge_number_in_a_field_nobody_reads_is_skipped() -> None:
    # The one difference: Python's json refuses integers over 4,300 digits anywhere (a
    # guard against slow conversion); msgspec skips the field without converting it.
    raw = b'{"status": true, "messages": [], "x": ' + b"9" * 5000 + b"}"
    assert isinstance(careful(raw), ProtocolError)
    fast = ListingDecoder().decode(raw, "randombox@example.com")
    assert fast is not None and fast.decoded() == careful(body(mailbox=None))


@pytest.mark.parametrize(
    "name",
    [
        "as documented",
        "nulls and missing text",
        "escapes and non-ASCII in a body",
        "a body as UTF-8, unescaped",
        "an empty body",
        "UTF-8 across a chunk's end",
    ],
)
def test_the_documented_body_takes_the_fast_path(name: str) -> None:
    assert ListingDecoder().decode(BODIES[name], "randombox@example.com") is not None


@pytest.mark.parametrize(
    "name",
    [
        "a lone surrogate in a body",
        "a number as a body",
        "a list as a body",
        "bad UTF-8 in a body",
        "a surrogate encoded in UTF-8 in a body",
        "an overlong UTF-8 sequence in a body",
    ],
)
def test_a_body_that_is_not_plain_text_goes_to_the_careful_path(name: str) -> None:
    assert ListingDecoder().decode(BODIES[name], "randombox@example.com") is None


def test_bodies_stay_views_on_the_response_until_asked_for() -> None:
    raw = BODIES["escapes and non-ASCII in a body"]
    fast = ListingDecoder().decode(bytearray(raw), "randombox@example.com")
    assert fast is not None
    assert all(isinstance(m.body, msgspec.Raw) for m in fast.messages)
    # Keys tell bodies apart without decoding them, and a listed body's key never equals
    # the key of a text whose characters are that JSON.
    first, second = fast.messages
    assert first.body_key() != second.body_key()
    text = ListedMessage.of(first.message())
    assert text.body_key() == ListedMessage.of(first.message()).body_key() != first.body_key()
    quoted = Message(**{**_fields(first.message()), "content": bytes(first.body).decode()})
    assert ListedMessage.of(quoted).body_key() != first.body_key()


def _fields(msg: Message) -> dict[str, Any]:
    return {name: getattr(msg, name) for name in Message.__dataclass_fields__}


def test_only_arrival_times_are_remembered_between_listings() -> None:
    decoder = ListingDecoder()
    first = decoder.decode(body(message(), message(id="b2")), "box@example.com")
    again = decoder.decode(body(message(), message(id="b2")), "BOX@example.com")
    assert first is not None and again is not None and again.decoded() == first.decoded()
    # The same arrival text is read once per box; the messages (and bodies) are new.
    assert again.messages[0].received_at is first.messages[0].received_at
    assert again.messages[0] is not first.messages[0]
    other = decoder.decode(body(message()), "other@example.com")
    assert other is not None and other.messages[0].received_at is not first.messages[0].received_at
