"""Labels from the shell: new --label, boxes --label, label, and rm-box --label in bulk."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tempmail_tui.sandbox.server import SandboxServer
from tests.test_cli_scripting import Result, _one_line, _point_at, _runner


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(smtp_port=None) as sandbox:
        yield sandbox


@pytest.fixture
def cli(
    server: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Callable[..., Result]:
    _point_at(monkeypatch, server, tmp_path / "downloads")
    return _runner(server, capsys)


class _Terminal(io.StringIO):
    """Typed answers on a terminal: what ``confirmed`` reads when a person is there."""

    def isatty(self) -> bool:
        return True


def _new(cli: Callable[..., Result], *labels: str) -> str:
    result = cli("new", *(arg for label in labels for arg in ("--label", label)))
    assert result.code == 0, result.err
    return _one_line(result.out)


def test_new_labels_show_in_boxes_and_boxes_filters_by_label(cli: Callable[..., Result]) -> None:
    both = _new(cli, "shop", "CI run")
    shop = _new(cli, "Shop")  # the same label: case is ignored when filtering
    plain = _new(cli)

    rows = {line.split("\t")[0]: line.split("\t") for line in cli("boxes").out.splitlines()}
    assert rows[both][4] == "shop, CI run"
    assert rows[shop][4] == "Shop"
    assert rows[plain][4] == "-"

    listed = cli("boxes", "--label", "SHOP")
    assert [line.split("\t")[0] for line in listed.out.splitlines()] == [shop, both]
    records = json.loads(cli("boxes", "--label", "shop", "--label", "ci run", "--json").out)
    assert [(r["email"], r["labels"]) for r in records] == [(both, ["shop", "CI run"])]


def test_a_bad_label_on_new_exits_2_before_any_request(
    cli: Callable[..., Result], server: SandboxServer
) -> None:
    before = server.state.quota().used
    result = cli("new", "--label", "a,b")
    assert result.code == 2
    assert "a label cannot hold a comma" in _one_line(result.err)
    assert server.state.quota().used == before


def test_label_shows_adds_removes_and_clears_without_a_key(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    address = _new(cli, "one")
    monkeypatch.delenv("TEMPMAIL_API_KEY")  # local only: no key, no request
    assert cli("label", address).out == "one\n"
    assert cli("label", address, "two", "three").out == "one\ntwo\nthree\n"
    assert cli("label", address, "--remove", "TWO").out == "one\nthree\n"
    replaced = cli("label", address, "four", "--clear", "--json")
    assert json.loads(replaced.out) == {"email": address, "labels": ["four"]}
    cleared = cli("label", address, "--clear")
    assert cleared.code == 0
    assert cleared.out == ""
    assert "has no labels" in cleared.err

    bad = cli("label", address, "\x1b[31mred")
    assert bad.code == 2
    assert "control or formatting characters" in _one_line(bad.err)
    assert "\x1b" not in bad.err
    unknown = cli("label", "nobody@example.com", "x")
    assert unknown.code == 2
    assert "not a mailbox this machine knows" in _one_line(unknown.err)


def test_rm_box_label_refuses_without_a_terminal_unless_yes(
    cli: Callable[..., Result], server: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    labelled = _new(cli, "run-7")
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # a pipe, not a person
    refused = cli("rm-box", "--label", "run-7")
    assert refused.code == 2
    assert "not a terminal to ask on; add --yes" in refused.err
    assert server.state.is_live_address(labelled)
    both = cli("rm-box", labelled, "--label", "run-7")
    assert both.code == 2  # one ADDRESS or --label, not both


def test_rm_box_label_asks_and_deletes_exactly_the_labelled_live_boxes(
    cli: Callable[..., Result], server: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _new(cli, "run-7")
    second = _new(cli, "other", "RUN-7")
    unlabelled = _new(cli)
    elsewhere = _new(cli, "run-8")

    monkeypatch.setattr("sys.stdin", _Terminal("n\n"))
    declined = cli("rm-box", "--label", "run-7")
    assert declined.code == 1
    assert "Delete 2 mailboxes labelled run-7? [y/N]" in declined.err
    assert first in declined.err and second in declined.err
    assert server.state.is_live_address(first) and server.state.is_live_address(second)

    monkeypatch.setattr("sys.stdin", _Terminal("y\n"))
    done = cli("rm-box", "--label", "run-7")
    assert done.code == 0, done.err
    assert sorted(done.out.split()) == sorted([first, second])
    assert "deleted 2 of 2 mailboxes labelled run-7" in done.err
    assert not server.state.is_live_address(first)
    assert not server.state.is_live_address(second)
    assert server.state.is_live_address(unlabelled)
    assert server.state.is_live_address(elsewhere)

    again = cli("rm-box", "--label", "run-7", "--yes")  # the deleted ones are archive now
    assert again.code == 0
    assert "no live mailboxes labelled run-7" in again.err


def test_rm_box_label_reports_each_failure_and_the_count(
    cli: Callable[..., Result], server: SandboxServer
) -> None:
    boxes = [_new(cli, "batch"), _new(cli, "batch")]
    server.state.update_faults(force_status=500, force_count=1)  # the first delete fails
    result = cli("rm-box", "--label", "batch", "--yes")
    assert result.code == 2
    assert "could not delete" in result.err
    assert "deleted 1 of 2 mailboxes labelled batch" in result.err
    assert sum(server.state.is_live_address(b) for b in boxes) == 1
    assert len(result.out.split()) == 1
