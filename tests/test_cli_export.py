"""search, export and sandbox --replay: the local archive from the shell, and back to a sandbox."""

from __future__ import annotations

import json
import mailbox
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tempmail_tui.api.client import TempMailClient
from tempmail_tui.core.export import read_json
from tempmail_tui.core.search import parse_query
from tempmail_tui.core.waiting import code_of
from tempmail_tui.sandbox.replay import replay
from tempmail_tui.sandbox.server import SandboxServer
from tests.test_cli_scripting import REPO, Result, _one_line, _point_at, _runner

HOSTILE_SUBJECT = "Invoice \x1b]52;c;ZXZpbA==\x07 due \x1b[2J"


@pytest.fixture
def cli(
    server: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Callable[..., Result]:
    _point_at(monkeypatch, server, tmp_path / "downloads")
    return _runner(server, capsys)


def _box_with_mail(cli: Callable[..., Result], server: SandboxServer, *labels: str) -> str:
    """A box holding a code mail, an HTML mail and a hostile one, all fetched and stored."""
    made = cli("new", *(arg for label in labels for arg in ("--label", label)))
    address = _one_line(made.out)
    now = datetime.now(UTC)
    server.state.deliver(
        address,
        subject="Your sign-in code",
        from_name="Shop",
        from_email="no-reply@shop.example",
        text="Your verification code is 481516.\nFrom now on, sign in with it.\n",
        received_at=now - timedelta(minutes=3),
    )
    server.state.deliver(
        address,
        subject="Weekly news",
        from_email="news@shop.example",
        html="<p>Hello <b>reader</b></p><p>Unsubscribe</p>",
        attachments=[("report.pdf", b"%PDF-1.4 twelve")],
        received_at=now - timedelta(minutes=2),
    )
    server.state.deliver(
        address,
        subject=HOSTILE_SUBJECT,
        text="pay now \x1b[31mred",
        received_at=now - timedelta(minutes=1),
    )
    assert cli("messages", address).code == 0
    return address


def test_parse_query_takes_label_terms_out() -> None:
    assert parse_query('code label:shop label:"CI run" label:x*') == parse_query(
        'label:shop code label:"CI run" label:x'
    )
    parsed = parse_query('code label:shop label:"CI run"')
    assert parsed.words == "code"
    assert parsed.labels == ("shop", "CI run")
    assert parse_query("no labels here").labels == ()


def test_search_finds_stored_mail_without_a_key_and_label_narrows_it(
    cli: Callable[..., Result], server: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = _box_with_mail(cli, server, "shop")
    other = _box_with_mail(cli, server)
    monkeypatch.delenv("TEMPMAIL_API_KEY")

    found = cli("search", "verification", "code")
    assert found.code == 0, found.err
    mailboxes = {line.split("\t")[2] for line in found.out.splitlines()}
    assert {shop, other} <= mailboxes

    labelled = cli("search", "verification", "label:SHOP")
    assert [line.split("\t")[2] for line in labelled.out.splitlines()] == [shop]
    everything = json.loads(cli("search", "label:shop", "--json").out)
    assert len(everything) == 3
    assert {r["mailbox"] for r in everything} == {shop}
    assert {r["subject"] for r in everything} >= {"Your sign-in code", HOSTILE_SUBJECT}

    nothing = cli("search", "label:shop", "zebra")
    assert nothing.code == 1
    assert nothing.out == ""
    assert "no stored message matches" in nothing.err


def test_search_output_is_cleaned_for_the_terminal(
    cli: Callable[..., Result], server: SandboxServer
) -> None:
    _box_with_mail(cli, server, "hostile")
    result = cli("search", "invoice", "label:hostile")
    assert result.code == 0
    assert "\x1b" not in result.out and "\x07" not in result.out
    assert _one_line(result.out).endswith("Invoice due")


def test_export_json_writes_a_new_file_whole_and_never_over_one(
    cli: Callable[..., Result], server: SandboxServer, tmp_path: Path
) -> None:
    address = _box_with_mail(cli, server, "shop", "ci")
    target = tmp_path / "mail.json"
    done = cli("export", address, "-o", str(target))
    assert done.code == 0, done.err
    assert done.out == ""
    assert "exported 3 messages" in done.err
    exported = read_json(target.read_text(encoding="utf-8"))
    assert exported[0].message.subject == HOSTILE_SUBJECT  # newest first, kept
    assert all(e.labels == ("shop", "ci") for e in exported)
    news = next(e.message for e in exported if e.message.subject == "Weekly news")
    assert news.is_html and news.attachments[0].name == "report.pdf"
    assert news.attachments[0].size == len(b"%PDF-1.4 twelve")
    assert "\x1b" not in target.read_text(encoding="utf-8")  # escaped by json, not lost

    target.write_text("precious", encoding="utf-8")
    refused = cli("export", address, "-o", str(target))
    assert refused.code == 2
    assert "already exists; add --force" in refused.err
    assert target.read_text(encoding="utf-8") == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["mail.json"]  # no partial file left
    forced = cli("export", address, "-o", str(target), "--force")
    assert forced.code == 0
    assert len(read_json(target.read_text(encoding="utf-8"))) == 3

    one = cli("export", exported[1].message.id)
    assert one.code == 0
    assert [e.message.id for e in read_json(one.out)] == [exported[1].message.id]
    unknown = cli("export", "nobody@example.com")
    assert unknown.code == 2
    assert "neither a mailbox nor a message stored on this machine" in unknown.err
    missing_dir = cli("export", address, "-o", str(tmp_path / "no" / "such.json"))
    assert missing_dir.code == 2
    assert "could not write" in missing_dir.err


def test_export_mbox_is_marked_reconstructed_and_quotes_from_lines(
    cli: Callable[..., Result], server: SandboxServer, tmp_path: Path
) -> None:
    address = _box_with_mail(cli, server, "shop")
    target = tmp_path / "mail.mbox"
    assert cli("export", address, "--format", "mbox", "-o", str(target)).code == 0
    text = target.read_text(encoding="utf-8")
    assert "\n>From now on, sign in with it.\n" in text
    headers = text.partition("\n\n")[0]
    assert "\x1b" not in headers  # header values are cleaned; a file keeps the body as it was
    messages = list(mailbox.mbox(target))
    assert len(messages) == 3
    by_subject = {str(m["Subject"]): m for m in messages}
    code_mail = by_subject["Your sign-in code"]
    assert code_mail["X-Tempmail-Reconstructed"] == "yes"
    assert code_mail["X-Tempmail-Mailbox"] == address
    assert code_mail["X-Tempmail-Labels"] == "shop"
    assert code_mail["From"] == "Shop <no-reply@shop.example>"
    assert code_mail["Message-ID"].endswith("@tempmail-tui.invalid>")
    news = by_subject["Weekly news"]
    assert news.get_content_type() == "text/html"
    assert news["X-Tempmail-Attachment"] == "report.pdf; size=15"
    assert messages[0]["Subject"] == "Your sign-in code"  # oldest first


def test_export_to_a_terminal_is_cleaned_and_to_a_pipe_is_the_data(
    cli: Callable[..., Result], server: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    address = _box_with_mail(cli, server)
    piped = cli("export", address, "--format", "mbox")
    assert "pay now \x1b[31mred" in piped.out
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    shown = cli("export", address, "--format", "mbox")
    assert "\x1b" not in shown.out and "\x07" not in shown.out
    assert "pay now red" in shown.out  # the whole escape sequence is gone


def test_replay_puts_exported_mail_into_a_sandbox_box(
    cli: Callable[..., Result], server: SandboxServer, tmp_path: Path
) -> None:
    address = _box_with_mail(cli, server, "shop")
    target = tmp_path / "mail.json"
    assert cli("export", address, "-o", str(target)).code == 0
    exported = read_json(target.read_text(encoding="utf-8"))

    with SandboxServer(smtp_port=None) as fresh:
        box = replay(fresh.state, exported)
        _, messages = fresh.state.list_messages(fresh.api_key, box.email)
    assert [m.subject for m in messages] == [e.message.subject for e in exported]
    for sent, back in zip(messages, exported, strict=True):
        assert (sent.content, sent.html, sent.from_email) == (
            back.message.content,
            back.message.is_html,
            back.message.from_email,
        )
        assert sent.received_at == back.message.received_at
    code_mail = next(e.message for e in exported if e.message.subject == "Your sign-in code")
    assert code_of(code_mail.to_message()) == "481516"


def test_sandbox_replay_command_serves_the_exported_mail(
    cli: Callable[..., Result], server: SandboxServer, tmp_path: Path
) -> None:
    address = _box_with_mail(cli, server)
    target = tmp_path / "mail.json"
    assert cli("export", address, "-o", str(target)).code == 0
    key = "replay-key-0123456789abcdef"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "tempmail_tui", "sandbox", "--port", "0", "--smtp-port", "0"),
            *("--api-key", key, "--no-samples", "--replay", str(target)),
        ],
        cwd=REPO,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = {}
        for line in process.stdout:
            name, _, value = line.partition(":")
            lines[name.strip()] = value.strip()
            if line.startswith("Press Ctrl-C"):
                break
        replayed = lines["replayed"].split()[0]
        assert lines["replayed"].endswith("(3 exported messages)")
        import asyncio

        async def listed() -> list[str]:
            async with TempMailClient(key, base_url=lines["base URL"]) as client:
                return [m.subject for m in (await client.list_messages(replayed)).messages]

        subjects = asyncio.run(listed())
        assert sorted(subjects) == sorted(["Your sign-in code", "Weekly news", HOSTILE_SUBJECT])
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
    assert process.returncode == 0


def test_sandbox_replay_of_a_bad_file_exits_2(cli: Callable[..., Result], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}', encoding="utf-8")
    result = cli("sandbox", "--replay", str(bad))
    assert result.code == 2
    assert "not a tempmail-tui export file" in _one_line(result.err)
    missing = cli("sandbox", "--replay", str(tmp_path / "none.json"))
    assert missing.code == 2
    assert "cannot read" in _one_line(missing.err)
