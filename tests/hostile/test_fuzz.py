"""Property-based fuzzing of response bodies and headers: only the client's own errors escape."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

import httpx
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tempmail_tui.api import parse
from tempmail_tui.api.client import TempMailClient
from tempmail_tui.api.errors import ApiError
from tempmail_tui.api.models import DomainList, Mailbox, Message, MessageList, Quota
from tempmail_tui.api.quota import parse_quota, parse_reset

from .helpers import message_json

FUZZ = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
KEY = "tmk_fuzz_key_0123456789abcdefgh"

# Text with the awkward parts of Unicode: controls, bidi, surrogate halves, astral planes.
nasty_text = st.text(
    alphabet=st.one_of(
        st.characters(codec=None, exclude_categories=()),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
        st.sampled_from("\x1b\x9b\u202e\x00[]/\\"),
    ),
    max_size=40,
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    nasty_text,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(nasty_text, inner, max_size=4),
    max_leaves=12,
)


def mutated(valid: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    """A valid object, or the same with one field dropped or replaced by anything at all."""

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        value = dict(draw(valid))
        action = draw(st.sampled_from(["keep"] * 6 + ["drop", "replace"]))
        if action != "keep" and value:
            key = draw(st.sampled_from(sorted(value)))
            if action == "drop":
                del value[key]
            else:
                value[key] = draw(json_values)
        return value

    return build()


attachments = st.lists(
    mutated(
        st.fixed_dictionaries(
            {
                "name": nasty_text,
                "size": st.integers(min_value=0, max_value=2**40),
                "url": st.just("http://127.0.0.1:9/api/messages/m/attachments/a"),
            },
            optional={"extension": nasty_text},
        )
    ),
    max_size=2,
)
messages = mutated(
    st.fixed_dictionaries(
        {
            "id": nasty_text.filter(bool),
            "receivedAt": st.sampled_from(["2026-06-28 10:57:25", "2026-06-28T10:57:25+02:00"]),
        },
        optional={
            "subject": st.one_of(st.none(), nasty_text),
            "from": st.one_of(st.none(), nasty_text),
            "from_email": nasty_text,
            "to": nasty_text,
            "content": st.one_of(st.none(), nasty_text),
            "html": st.booleans(),
            "is_seen": st.booleans(),
            "attachments": attachments,
        },
    )
)
mailbox_data = mutated(
    st.fixed_dictionaries(
        {
            "id": st.integers(min_value=0, max_value=10**6),
            "email": st.just("a@inbox.test"),
            "domain": st.just("inbox.test"),
            "created_at": st.just("2026-06-28T10:57:25+00:00"),
            "expire_at": st.just("2026-06-28T11:07:25+00:00"),
            "expires_in_seconds": st.integers(min_value=0, max_value=10**6),
        },
        optional={"email_token": nasty_text},
    )
)
domain_data = mutated(
    st.fixed_dictionaries(
        {
            "requested_type": st.just("free"),
            "allowed_types": st.lists(st.just("free"), max_size=2),
            "domains": st.lists(
                mutated(
                    st.fixed_dictionaries(
                        {"domain": nasty_text, "type": nasty_text},
                        optional={"custom": st.booleans()},
                    )
                ),
                max_size=2,
            ),
        }
    )
)
statuses = st.sampled_from([True] * 8 + [False, None, "true", 1])


def envelope(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A response envelope around these fields, itself possibly mutated."""
    return mutated(
        st.fixed_dictionaries({"status": statuses, **fields}, optional={"message": nasty_text})
    )


ENVELOPES: dict[str, st.SearchStrategy[Any]] = {
    "domains": envelope(data=domain_data),
    "create": envelope(data=mailbox_data),
    "rename": envelope(data=mailbox_data),
    "delete_box": envelope(),
    "list": envelope(messages=st.lists(messages, max_size=2), mailbox=nasty_text),
    "read": envelope(data=messages),
    "delete": envelope(),
    "download": st.binary(max_size=100).map(lambda raw: {"raw": raw.hex()}),
}
envelopes = st.one_of(*ENVELOPES.values(), json_values)


def encoded(values: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """JSON bytes of these values, sometimes cut short, sometimes replaced by random bytes."""
    as_json = values.map(lambda value: json.dumps(value).encode())
    cut = as_json.map(lambda raw: raw[: len(raw) // 2])
    garbage = st.binary(max_size=200)
    # Weighted: mostly well-formed JSON, so the parsers get past the first check.
    return st.integers(0, 7).flatmap(lambda n: as_json if n < 6 else cut if n == 6 else garbage)


bodies = encoded(envelopes)

PARSERS: list[Callable[[object], object]] = [
    parse.parse_domain_list,
    parse.parse_mailbox,
    parse.parse_message_list,
    parse.parse_read_message,
    parse.parse_confirmation,
    parse.parse_message,
]


@FUZZ
@given(envelopes)
def test_parsers_raise_only_the_client_family(body: object) -> None:
    for parser in PARSERS:
        try:
            parser(body)
        except ApiError:
            continue
        event(f"{parser.__name__} accepted")


@FUZZ
@given(bodies)
def test_decode_json_raises_only_the_client_family(raw: bytes) -> None:
    with contextlib.suppress(ApiError):
        parse.decode_json(raw)


QUOTA_NAMES = [
    "X-RateLimit-Limit",
    "X-RateLimit-Used",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "x-ratelimit-limit",
    "X-RATELIMIT-RESET",
]
header_values = st.one_of(
    st.integers(min_value=-5, max_value=10**20).map(str),
    st.sampled_from(["2026-07-01T00:00:00+05:00", "2026-07-01", "9999-12-31T23:59:59-23:59"]),
    nasty_text,
)


@FUZZ
@given(st.dictionaries(st.one_of(st.sampled_from(QUOTA_NAMES), nasty_text), header_values))
def test_quota_parsing_never_raises(headers: dict[str, str]) -> None:
    quota = parse_quota(headers)
    parse_reset(headers)
    if quota is not None:
        assert isinstance(quota, Quota)
        assert min(quota.limit, quota.used, quota.remaining) >= 0


# -- the whole client over a mock transport ----------------------------------------------

HEADER_NAMES = [*QUOTA_NAMES, "Content-Type", "Content-Encoding", "Content-Length", "Location"]
raw_headers = st.lists(
    st.tuples(
        st.one_of(
            st.sampled_from(HEADER_NAMES),
            st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,10}", fullmatch=True),
        ),
        st.one_of(
            header_values.map(lambda v: v.encode("utf-8", "surrogatepass")),
            st.binary(max_size=30).filter(lambda b: b"\r" not in b and b"\n" not in b),
            st.sampled_from([b"gzip", b"br", b"deflate", b"identity", b"5", b"-1"]),
        ),
    ),
    max_size=5,
)
CALLS = ["domains", "create", "rename", "delete_box", "list", "read", "delete", "download"]


async def _call(client: TempMailClient, call: str) -> object:
    """One endpoint; returns what it returned."""
    if call == "domains":
        return await client.domains("free")
    if call == "create":
        return await client.create_mailbox()
    if call == "rename":
        return await client.rename_mailbox("a@inbox.test", "new", "inbox.test")
    if call == "delete_box":
        await client.delete_mailbox("a@inbox.test")
        return None
    if call == "list":
        return await client.list_messages("a@inbox.test")
    if call == "read":
        return await client.read_message("m1")
    if call == "delete":
        await client.delete_message("m1")
        return None
    received = 0
    async with client.stream_attachment("m1", "f.txt") as stream:
        async for chunk in stream:
            received += len(chunk)
    return received


EXPECTED: dict[str, tuple[type, ...]] = {
    "domains": (DomainList,),
    "create": (Mailbox,),
    "rename": (Mailbox,),
    "delete_box": (type(None),),
    "list": (MessageList,),
    "read": (Message,),
    "delete": (type(None),),
    "download": (int,),
}


@FUZZ
@given(
    status=st.one_of(st.just(200), st.just(200), st.just(200), st.integers(100, 599)),
    headers=raw_headers,
    call=st.sampled_from(CALLS),
    data=st.data(),
)
def test_client_raises_only_its_family_on_any_answer(
    status: int, headers: list[tuple[str, bytes]], call: str, data: st.DataObject
) -> None:
    body = data.draw(encoded(ENVELOPES[call]), label="body")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=[(n.encode(), v) for n, v in headers], content=body)

    async def run() -> object:
        client = TempMailClient(
            KEY,
            base_url="http://127.0.0.1:9/api",
            transport=httpx.MockTransport(handler),
            retries=1,
            backoff=0,
            timeout=2,
        )
        async with client:
            return await _call(client, call)

    try:
        result = asyncio.run(run())
    except ApiError as error:
        assert KEY not in str(error) and KEY not in repr(error)
        event(f"{call}: {type(error).__name__}")
        return
    event(f"{call}: success")
    assert isinstance(result, EXPECTED[call])


def test_fuzz_strategies_reach_success() -> None:
    """The near-valid shapes are accepted when left whole (else the fuzzing stays shallow)."""
    good = {"status": True, "mailbox": "a@inbox.test", "messages": [message_json("m", to="a")]}
    assert isinstance(parse.parse_message_list(good), MessageList)
