"""Labels on mailboxes: checking them, keeping them in the store, and the use cases over HTTP."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tempmail_tui.core.labels import (
    LABEL_MAX_CHARS,
    LabelError,
    clean_label,
    clean_labels,
    has_label,
    parse_label_list,
)
from tempmail_tui.core.mail import MailService
from tempmail_tui.core.store import Store
from tempmail_tui.core.store.schema import _SCHEMA_V1
from tempmail_tui.errors import LocalError
from tempmail_tui.sandbox.server import SandboxServer


def test_a_label_is_trimmed_and_its_spaces_collapsed() -> None:
    assert clean_label("  signup   test \n") == "signup test"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x" * (LABEL_MAX_CHARS + 1), "at most"),
        ("evil\x1b[31m", "control"),
        ("rtl\u202eabc", "control"),
        ("a,b", "comma"),
    ],
)
def test_a_bad_label_is_refused_with_a_reason(text: str, why: str) -> None:
    with pytest.raises(LabelError, match=why) as caught:
        clean_label(text)
    # A bad label is the user's input: a local error, never one blamed on the server.
    assert isinstance(caught.value, LocalError)


def test_labels_keep_their_order_and_drop_duplicates_ignoring_case() -> None:
    assert clean_labels(["CI run", "ticket-42", "ci RUN"]) == ("CI run", "ticket-42")
    assert parse_label_list(" a , b,, A ") == ("a", "b")
    assert parse_label_list("  ") == ()
    assert has_label(("Signup Test",), " signup  test ")
    assert not has_label(("signup",), "signup-test")


def test_a_box_carries_at_most_sixteen_labels() -> None:
    with pytest.raises(LabelError, match="at most 16"):
        clean_labels([f"l{i}" for i in range(17)])


def test_a_store_of_the_first_schema_gains_labels_and_keeps_its_boxes(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(_SCHEMA_V1)
    conn.execute(
        "INSERT INTO mailboxes (email, domain, added_at) VALUES (?, ?, ?)",
        ("old@example.com", "example.com", "2026-01-01T00:00:00+00:00"),
    )
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    store = Store.open(path)
    try:
        (box,) = store.mailboxes()
        assert box.email == "old@example.com"
        assert box.labels == ()
        assert store.set_labels(box.email, ("kept",)).labels == ("kept",)
    finally:
        store.close()


async def test_a_box_created_with_labels_is_found_by_any_of_them(service: MailService) -> None:
    box = await service.create_mailbox(["signup-test", "ticket 42"])
    other = await service.create_mailbox()
    assert (await service.mailbox(box.email)).labels == ("signup-test", "ticket 42")  # type: ignore[union-attr]
    assert [b.email for b in await service.labelled("TICKET 42")] == [box.email]
    assert other.email not in [b.email for b in await service.labelled("signup-test")]


async def test_a_bad_label_costs_no_request(server: SandboxServer, service: MailService) -> None:
    used = server.state.quota().used
    with pytest.raises(LabelError):
        await service.create_mailbox(["ok", "\x07bell"])
    assert server.state.quota().used == used


async def test_labels_are_replaced_and_follow_a_rename(service: MailService) -> None:
    box = await service.create_mailbox(["first"])
    relabelled = await service.set_labels(box.email, ["second", "third"])
    assert relabelled.labels == ("second", "third")
    domain = box.email.rpartition("@")[2]
    renamed = await service.rename_mailbox(box.email, "labelled-rename", domain)
    assert renamed.labels == ("second", "third")
    assert await service.set_labels(renamed.email, []) is not None
    assert (await service.mailbox(renamed.email)).labels == ()  # type: ignore[union-attr]


async def test_labelling_an_unknown_box_is_a_local_error(service: MailService) -> None:
    with pytest.raises(LocalError, match="no mailbox"):
        await service.set_labels("nobody@example.com", ["x"])
