"""The listing's fast path reads a body exactly as the careful parser does, or not at all."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tempmail_tui.api.errors import ProtocolError
from tempmail_tui.api.listing import ListingDecoder
from tempmail_tui.api.models import MessageList
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
        assert fast == slow


def test_a_huge_number_in_a_field_nobody_reads_is_skipped() -> None:
    # The one difference: Python's json refuses integers over 4,300 digits anywhere (a
    # guard against slow conversion); msgspec skips the field without converting it.
    raw = b'{"status": true, "messages": [], "x": ' + b"9" * 5000 + b"}"
    assert isinstance(careful(raw), ProtocolError)
    assert ListingDecoder().decode(raw, "randombox@example.com") == careful(body(mailbox=None))


def test_the_documented_body_takes_the_fast_path() -> None:
    assert ListingDecoder().decode(BODIES["as documented"], "randombox@example.com") is not None


def test_only_arrival_times_are_remembered_between_listings() -> None:
    decoder = ListingDecoder()
    first = decoder.decode(body(message(), message(id="b2")), "box@example.com")
    again = decoder.decode(body(message(), message(id="b2")), "BOX@example.com")
    assert first is not None and again is not None and again == first
    # The same arrival text is read once per box; the messages (and bodies) are new.
    assert again.messages[0].received_at is first.messages[0].received_at
    assert again.messages[0] is not first.messages[0]
    other = decoder.decode(body(message()), "other@example.com")
    assert other is not None and other.messages[0].received_at is not first.messages[0].received_at
