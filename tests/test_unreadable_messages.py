"""One malformed message in a listing: the rest still show, the bad one is named and marked."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual.coordinate import Coordinate

from tempmail_tui.api import parse
from tempmail_tui.api.client import TempMailClient
from tempmail_tui.api.errors import ProtocolError
from tempmail_tui.cli import main
from tempmail_tui.core import paths
from tempmail_tui.core.store import Store

from .hostile.helpers import (
    SIZE,
    FakeApi,
    all_rows,
    app_for_server,
    collected_logs,
    has_forbidden,
    message_json,
    record_toasts,
    table,
    wait,
)

EMAIL = "box@inbox.test"
KEY = "tmk_unreadable_key_0123456789abcd"
GOOD = message_json("good-1", to=EMAIL, subject="Good one", received_at="2026-06-28 10:00:00")
SIZE_REASON = "field `size` of attachment 1 is not a number"


def bad(message_id: object = "bad-1", **fields: object) -> dict[str, Any]:
    """A message with these fields replaced (a value of ``...`` drops the field)."""
    body = message_json("x", to=EMAIL, subject="Bad one", received_at="2026-06-28 11:00:00")
    body["id"] = message_id
    for key, value in fields.items():
        if value is ...:
            del body[key]
        else:
            body[key] = value
    return body


def listing(*messages: object) -> dict[str, Any]:
    """A listing envelope around these messages."""
    return {"status": True, "mailbox": EMAIL, "messages": list(messages)}


def reasons(result: Any) -> list[tuple[str | None, int, str]]:
    """The (id, index, reason) of each unreadable record."""
    return [(u.id, u.index, u.reason) for u in result.unreadable]


# -- the parser ---------------------------------------------------------------------------------

ONE_BAD = [
    pytest.param(
        {"attachments": [{"name": "a.txt", "size": "abc", "url": "u"}]},
        SIZE_REASON,
        id="size-abc",
    ),
    pytest.param({"receivedAt": ...}, "field `receivedAt` is missing", id="receivedAt-missing"),
    pytest.param({"attachments": "x"}, "field `attachments` is not a list", id="attachments-str"),
    pytest.param({"receivedAt": "yesterday"}, "field `receivedAt` is not a timestamp", id="date"),
    pytest.param({"subject": 123}, "field `subject` is not a string", id="subject-number"),
    pytest.param({"html": "yes"}, "field `html` is not a boolean", id="html-yes"),
    pytest.param({"is_seen": 2}, "field `is_seen` is not a boolean", id="is_seen-2"),
    pytest.param(
        {"attachments": [{"name": None, "size": 1, "url": "u"}]},
        "field `name` of attachment 1 is missing",
        id="attachment-name-null",
    ),
    pytest.param(
        {"attachments": [{"name": "a", "size": -1, "url": "u"}]},
        "field `size` of attachment 1 is out of range",
        id="size-negative",
    ),
    pytest.param({"attachments": [7]}, "attachment 1 is not an object", id="attachment-number"),
]


@pytest.mark.parametrize(("fields", "reason"), ONE_BAD)
def test_one_bad_message_keeps_the_good_ones(fields: dict[str, Any], reason: str) -> None:
    result = parse.parse_message_list(listing(GOOD, bad(**fields)))
    assert [m.id for m in result.messages] == ["good-1"]
    assert reasons(result) == [("bad-1", 1, reason)]


def test_a_message_without_a_readable_id_is_named_by_its_place() -> None:
    result = parse.parse_message_list(listing(42, GOOD, bad(None), bad(7), bad([1])))
    assert [m.id for m in result.messages] == ["good-1"]
    assert reasons(result) == [
        (None, 0, "it is not an object"),
        (None, 2, "field `id` is missing"),
        (None, 3, "field `id` is not a string"),
        (None, 4, "field `id` is not a string"),
    ]
    assert [u.label for u in result.unreadable] == ["#1", "#3", "#4", "#5"]


def test_a_reason_never_quotes_what_the_server_wrote() -> None:
    hostile = "\x1b]52;c;EVIL\x07[bold]x"
    result = parse.parse_message_list(
        listing(bad(**{"size": hostile, hostile: hostile, "receivedAt": hostile}))
    )
    (record,) = result.unreadable
    assert record.reason == "field `receivedAt` is not a timestamp"
    assert "EVIL" not in repr(record.reason)


TOLERATED = [
    pytest.param(
        {"attachments": [{"name": "a.txt", "size": "1024", "url": "u"}]},
        lambda m: m.attachments[0].size == 1024,
        id="size-numeric-string",
    ),
    pytest.param({"is_seen": "1"}, lambda m: m.is_seen is True, id="is_seen-'1'"),
    pytest.param({"is_seen": "0"}, lambda m: m.is_seen is False, id="is_seen-'0'"),
    pytest.param({"is_seen": 1}, lambda m: m.is_seen is True, id="is_seen-1"),
    pytest.param({"is_seen": 0}, lambda m: m.is_seen is False, id="is_seen-0"),
    pytest.param({"is_seen": "true"}, lambda m: m.is_seen is True, id="is_seen-'true'"),
    pytest.param({"is_seen": "false"}, lambda m: m.is_seen is False, id="is_seen-'false'"),
    pytest.param({"html": "1"}, lambda m: m.is_html is True, id="html-'1'"),
    pytest.param({"attachments": None}, lambda m: m.attachments == (), id="attachments-null"),
    pytest.param(
        {"subject": None, "from": None, "content": None, "to": None},
        lambda m: (m.subject, m.from_name, m.content, m.to) == ("", "", "", ""),
        id="null-strings",
    ),
    pytest.param(
        {"attachments": [{"name": "a.txt", "extension": None, "size": 1, "url": "u"}]},
        lambda m: m.attachments[0].extension == "txt",
        id="null-extension",
    ),
]


@pytest.mark.parametrize(("fields", "check"), TOLERATED)
def test_harmless_oddities_are_read(fields: dict[str, Any], check: Any) -> None:
    result = parse.parse_message_list(listing(GOOD, bad(**fields)))
    assert [m.id for m in result.messages] == ["good-1", "bad-1"]
    assert check(result.messages[1])
    assert result.unreadable == ()


@pytest.mark.parametrize(
    "size", ["1e3", "1,024", "12.5", "", " ", "0x10", "١٢", "+-1", "99999999999999999999"]
)
def test_ambiguous_numbers_stay_unreadable(size: str) -> None:
    result = parse.parse_message_list(
        listing(bad(attachments=[{"name": "a", "size": size, "url": "u"}]))
    )
    assert result.messages == ()
    assert len(result.unreadable) == 1


@pytest.mark.parametrize("flag", ["yes", "", "2", 2, -1, 0.5, "TRUE ", [], {}])
def test_ambiguous_booleans_stay_unreadable(flag: object) -> None:
    result = parse.parse_message_list(listing(bad(is_seen=flag)))
    assert result.messages == ()
    assert reasons(result) == [("bad-1", 0, "field `is_seen` is not a boolean")]


@pytest.mark.parametrize(
    "body",
    [
        [GOOD],
        {"status": True, "mailbox": EMAIL},
        {"status": True, "messages": None},
        {"status": True, "messages": {"a": GOOD}},
        {"status": True, "messages": "nope"},
        {"status": False, "messages": [GOOD]},
        {"status": "true", "messages": [GOOD]},
    ],
)
def test_a_wrong_envelope_still_fails_the_whole_listing(body: object) -> None:
    with pytest.raises(ProtocolError):
        parse.parse_message_list(body)


# -- the parser under random per-message corruption ----------------------------------------------

valid_messages = st.lists(
    st.builds(
        lambda n, subject, seen, size: message_json(
            f"m{n}",
            to=EMAIL,
            subject=subject,
            is_seen=seen,
            attachments=[{"name": "f.txt", "size": size, "url": "u"}],
        ),
        st.integers(0, 10**6),
        st.text(max_size=10),
        st.booleans(),
        st.integers(0, 2**40),
    ),
    max_size=5,
)
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
FIELDS = ["id", "receivedAt", "subject", "is_seen", "html", "attachments", "content", "from"]


@st.composite
def corrupted(draw: st.DrawFn) -> tuple[list[Any], set[int]]:
    """Valid messages, some with one field dropped or replaced; the indices left untouched."""
    messages: list[Any] = copy.deepcopy(draw(valid_messages))
    untouched: set[int] = set()
    for index, message in enumerate(messages):
        what = draw(st.sampled_from(["keep", "keep", "drop", "replace", "attachment", "whole"]))
        if what == "keep":
            untouched.add(index)
        elif what == "drop":
            del message[draw(st.sampled_from(FIELDS))]
        elif what == "replace":
            message[draw(st.sampled_from(FIELDS))] = draw(junk)
        elif what == "attachment":
            message["attachments"][0][draw(st.sampled_from(["name", "size", "url"]))] = draw(junk)
        else:
            messages[index] = draw(junk)
    return messages, untouched


@settings(max_examples=300, deadline=None, database=None)
@given(corrupted())
def test_corruption_never_hides_a_valid_message(case: tuple[list[Any], set[int]]) -> None:
    messages, untouched = case
    result = parse.parse_message_list(listing(*messages))
    kept = {m.id for m in result.messages}
    for index in untouched:
        assert messages[index]["id"] in kept
    bad_indices = [u.index for u in result.unreadable]
    assert len(result.messages) + len(bad_indices) == len(messages)
    assert len(set(bad_indices)) == len(bad_indices)
    assert not set(bad_indices) & untouched
    for record in result.unreadable:
        # Each reason names a known field or says the entry is not an object: never a value.
        assert record.reason.startswith(("field `", "it is not", "attachment ")), record.reason
        assert not has_forbidden(record.reason)
        # A message the parser calls unreadable really is refused on its own.
        with pytest.raises(ProtocolError):
            parse.parse_message(messages[record.index])


@settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(corrupted(), st.sampled_from(["keep", "drop", "replace"]), junk)
def test_corruption_raises_nothing_but_protocol_error(
    case: tuple[list[Any], set[int]], envelope: str, value: object
) -> None:
    body: dict[str, Any] = listing(*case[0])
    if envelope == "drop":
        del body["messages"]
    elif envelope == "replace":
        body["messages"] = value
    try:
        parse.parse_message_list(body)
    except ProtocolError:
        assert envelope != "keep"


# -- the client over loopback HTTP -------------------------------------------------------------


async def test_client_returns_the_good_messages_and_the_unreadable_record() -> None:
    with FakeApi(EMAIL) as api:
        api.messages = [
            GOOD,
            bad(attachments=[{"name": "a.txt", "size": "abc", "url": "u"}]),
            bad("seen-as-1", is_seen="1"),
        ]
        async with TempMailClient(KEY, base_url=api.base_url, retries=0) as client:
            result = await client.list_messages(EMAIL)
    assert [m.id for m in result.messages] == ["good-1", "seen-as-1"]
    assert result.messages[1].is_seen is True
    assert reasons(result) == [("bad-1", 1, SIZE_REASON)]


# -- the reader ------------------------------------------------------------------------------------


async def poll_once(app: Any, pilot: Any, api: FakeApi) -> None:
    """Press `g` once the box is idle and wait for that poll's answer to be handled."""
    await wait(pilot, lambda: not app.scheduler.in_flight, what="idle scheduler")
    before = api.polls
    await pilot.press("R")
    await wait(pilot, lambda: api.polls > before, what="the poll to reach the server")
    await wait(pilot, lambda: not app.scheduler.in_flight, what="the poll to be handled")
    await pilot.pause(0.05)


def subjects(app: Any) -> list[str]:
    """The subject column of every row."""
    return [cells[2] for cells in all_rows(app)]


async def test_the_reader_shows_the_good_mail_and_marks_the_bad(tmp_path: Path) -> None:
    with FakeApi(EMAIL) as api:
        hostile_id = "bad-\x1b[31m[bold]red"
        api.messages = [
            GOOD,
            bad(hostile_id, attachments=[{"name": "a", "size": "abc", "url": "u"}]),
        ]
        app = app_for_server(api.base_url, KEY, tmp_path, mailboxes=[EMAIL])
        with collected_logs() as logs:
            async with app.run_test(size=SIZE) as pilot:
                toasts = record_toasts(app)
                await wait(pilot, lambda: table(app).row_count == 2, what="both rows")
                rows = all_rows(app)
                assert "Good one" in subjects(app)
                marked = [cells for cells in rows if "could not read" in cells[2]]
                reason = f"could not read this message: {SIZE_REASON}"
                assert [cells[1:] for cells in marked] == [["bad-[bold]red", reason, ""]], rows
                assert not any(has_forbidden(cell) for cells in rows for cell in cells)
                assert app.main.problem is None
                assert "1 could not be read" in str(table(app).border_subtitle)

                # Enter on the marked row says what is wrong and opens nothing.
                message_table = table(app)
                index = subjects(app).index(marked[0][2])
                message_table.move_cursor(row=index, animate=False)
                await pilot.pause()
                await pilot.press("enter")
                await wait(pilot, lambda: any("could not read" in t.lower() for t in toasts))
                assert app.main.query_one("#reader").message is None  # type: ignore[attr-defined]

                # Polling again neither logs it again nor loses it; new mail still arrives.
                await poll_once(app, pilot, api)
                api.messages = [
                    message_json(
                        "good-2", to=EMAIL, subject="Later one", received_at="2026-06-28 12:00:00"
                    ),
                    *api.messages,
                ]
                await poll_once(app, pilot, api)
                await wait(pilot, lambda: "Later one" in subjects(app), what="the later mail")
                assert table(app).row_count == 3
                await wait(pilot, lambda: any("New mail" in t for t in toasts), what="toast")
                key = message_table.coordinate_to_cell_key(Coordinate(0, 0)).row_key.value
                assert key is not None
        warnings = [line for line in logs if "could not be read" in line and "WARNING" in line]
        assert len(warnings) == 1, warnings
        assert "\x1b" not in warnings[0]
    store = Store.open(tmp_path / "store.sqlite3")
    try:
        assert {m.id for m in store.messages(EMAIL)} == {"good-1", "good-2"}
    finally:
        store.close()


async def test_a_stored_message_that_turns_unreadable_is_not_archived(tmp_path: Path) -> None:
    with FakeApi(EMAIL) as api:
        api.messages = [GOOD, bad("turns-bad")]
        app = app_for_server(api.base_url, KEY, tmp_path, mailboxes=[EMAIL])
        async with app.run_test(size=SIZE) as pilot:
            await wait(pilot, lambda: table(app).row_count == 2, what="both good")
            api.messages = [GOOD, bad("turns-bad", receivedAt=None)]
            await poll_once(app, pilot, api)
            await wait(pilot, lambda: table(app).row_count == 3, what="the mark")
            assert app.main.messages["turns-bad"].archived is False
            assert app.main.problem is None


# -- the command line ---------------------------------------------------------------------------


def run_cli(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str, str]:
    """Run the CLI in-process against the fake server."""
    monkeypatch.setenv("TEMPMAIL_BASE_URL", api.base_url)
    monkeypatch.setenv("TEMPMAIL_API_KEY", KEY)
    monkeypatch.setenv("TEMPMAIL_POLL_INTERVAL", "1")
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_messages_prints_the_good_ones_and_warns(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeApi(EMAIL) as api:
        api.messages = [GOOD, bad(attachments=[{"name": "a", "size": "abc", "url": "u"}])]
        code, out, err = run_cli(api, monkeypatch, capsys, "messages", EMAIL)
        assert code == 0, err
        assert [line.split("\t")[0] for line in out.splitlines()] == ["good-1"]
        assert err.splitlines() == [
            f"tempmail-tui: warning: 1 message could not be read: bad-1: {SIZE_REASON}"
        ]
        code, out, err = run_cli(api, monkeypatch, capsys, "messages", EMAIL, "--json")
        assert code == 0
        assert [r["id"] for r in json.loads(out)] == ["good-1"]
        assert "1 message could not be read" in err
    store = Store.open(paths.store_path())
    try:
        assert [m.id for m in store.messages(EMAIL)] == ["good-1"]
    finally:
        store.close()


def test_cli_wait_finds_good_mail_past_a_bad_one_and_warns_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeApi(EMAIL) as api:
        api.messages = [bad(None, receivedAt=None), bad(7), GOOD]
        code, out, err = run_cli(
            api, monkeypatch, capsys, "wait", EMAIL, "--existing", "--timeout", "10"
        )
    assert code == 0, err
    assert out.split("\t")[0] == "good-1"
    assert err.splitlines() == [
        "tempmail-tui: warning: 2 messages could not be read: "
        "#1: field `id` is missing; #2: field `id` is not a string"
    ]
