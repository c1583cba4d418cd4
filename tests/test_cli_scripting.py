"""Tests of the scripting commands against the real sandbox over loopback HTTP and SMTP."""

from __future__ import annotations

import json
import os
import re
import smtplib
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest

from tempmail_tui.cli import main
from tempmail_tui.core import paths
from tempmail_tui.core.store import Store
from tempmail_tui.sandbox.server import SandboxServer

REPO = Path(__file__).resolve().parent.parent
ADDRESS = re.compile(r"^[a-z0-9._-]+@[a-z0-9.-]+$")
MESSAGE_KEYS = {
    "id",
    "mailbox",
    "from",
    "from_email",
    "to",
    "subject",
    "received_at",
    "is_seen",
    "is_html",
    "attachments",
    "content",
}
BOX_KEYS = {
    "email",
    "id",
    "domain",
    "state",
    "created_at",
    "expire_at",
    "seconds_left",
    "added_at",
    "renamed_to",
    "manual",
    "unread",
    "labels",
}


@dataclass(frozen=True)
class Result:
    """What one command run printed and returned."""

    code: int
    out: str
    err: str


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer() as sandbox:
        yield sandbox


@pytest.fixture
def fresh_server() -> Iterator[SandboxServer]:
    """A server of its own, for tests that change the account's quota."""
    with SandboxServer() as sandbox:
        yield sandbox


def _point_at(monkeypatch: pytest.MonkeyPatch, sandbox: SandboxServer, downloads: Path) -> None:
    monkeypatch.setenv("TEMPMAIL_BASE_URL", sandbox.base_url)
    monkeypatch.setenv("TEMPMAIL_API_KEY", sandbox.api_key)
    monkeypatch.setenv("TEMPMAIL_POLL_INTERVAL", "1")
    monkeypatch.setenv("TEMPMAIL_DOWNLOAD_DIR", str(downloads))


@pytest.fixture
def cli(
    server: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Callable[..., Result]:
    """Run ``main(argv)`` in-process against the shared sandbox; checks the key never shows."""
    _point_at(monkeypatch, server, tmp_path / "downloads")
    return _runner(server, capsys)


def _runner(sandbox: SandboxServer, capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    def run(*argv: str) -> Result:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        _assert_clean(sandbox.api_key, out, err)
        return Result(code, out, err)

    return run


def _assert_clean(key: str, *texts: str) -> None:
    for text in texts:
        assert key not in text
        assert key[4:-4] not in text
        assert "Traceback" not in text


def _one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]


def _new_box(cli: Callable[..., Result]) -> str:
    result = cli("new")
    assert result.code == 0, result.err
    address = _one_line(result.out)
    assert ADDRESS.match(address)
    return address


def _after_polls(
    sandbox: SandboxServer, count: int, action: Callable[[], object]
) -> threading.Thread:
    """Run ``action`` in a thread once the account has made ``count`` more successful requests.

    Tying the delivery to the command's polls (not to a sleep) makes "mail arrives while the
    command waits" hold on a slow machine too.
    """
    start = sandbox.state.quota().used

    def go() -> None:
        deadline = time.monotonic() + 20
        while sandbox.state.quota().used < start + count and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
        action()

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    return thread


def _smtp(sandbox: SandboxServer, to: str, subject: str, body: str, sender: str) -> None:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail.set_content(body)
    assert sandbox.smtp_port is not None
    with smtplib.SMTP(sandbox.smtp_host, sandbox.smtp_port, timeout=10) as client:
        client.send_message(mail)


def _stored_messages(address: str) -> list[str]:
    with Store.open(paths.store_path()) as store:
        return [m.id for m in store.messages(address)]


# --- new and boxes --------------------------------------------------------------------------


def test_new_prints_the_address_and_boxes_lists_it_from_the_shared_store(
    cli: Callable[..., Result], server: SandboxServer
) -> None:
    address = _new_box(cli)
    assert server.state.is_live_address(address)

    listed = cli("boxes")
    assert listed.code == 0
    fields = _one_line(listed.out).split("\t")
    assert fields[0] == address
    assert fields[1] == "live"
    assert "left" in fields[2]
    assert fields[3] == "0 unread"

    with Store.open(paths.store_path()) as store:
        known = store.mailbox(address)
    assert known is not None and known.is_live


def test_new_json_is_the_mailbox_record_without_its_token(
    cli: Callable[..., Result], server: SandboxServer
) -> None:
    result = cli("new", "--json")
    assert result.code == 0
    record = json.loads(result.out)
    assert set(record) == {"id", "email", "domain", "created_at", "expire_at", "expires_in_seconds"}
    token = server.state.mailbox(server.api_key, record["email"]).email_token
    assert token not in result.out
    assert record["expires_in_seconds"] == 600
    assert record["email"].endswith("@" + record["domain"])
    assert record["created_at"].endswith("+00:00")


def test_boxes_json_shape_and_states(cli: Callable[..., Result], server: SandboxServer) -> None:
    assert cli("boxes", "--json").out.strip() == "[]"
    kept = _new_box(cli)
    deleted = _new_box(cli)
    assert cli("rm-box", deleted).code == 0

    records = json.loads(cli("boxes", "--json").out)
    assert [r["email"] for r in records] == [deleted, kept]
    assert all(set(r) == BOX_KEYS for r in records)
    states = {r["email"]: r["state"] for r in records}
    assert states == {kept: "live", deleted: "deleted"}
    assert 0 < records[1]["seconds_left"] <= 600
    assert cli("boxes").out.splitlines()[0].split("\t")[1:3] == ["deleted", "-"]


def test_boxes_needs_no_api_key(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    address = _new_box(cli)
    monkeypatch.delenv("TEMPMAIL_API_KEY")
    result = cli("boxes")
    assert result.code == 0
    assert result.out.startswith(address + "\t")


# --- messages -------------------------------------------------------------------------------


def test_messages_lists_fetches_and_stores(
    cli: Callable[..., Result], server: SandboxServer
) -> None:
    address = _new_box(cli)
    first = server.state.add_sample(address, "verification")
    second = server.state.add_sample(address, "attachment")

    result = cli("messages", address)
    assert result.code == 0
    rows = [line.split("\t") for line in result.out.splitlines()]
    assert len(rows) == 2
    assert all(len(row) == 4 for row in rows)
    assert {row[0] for row in rows} == {first.id, second.id}
    subjects = {row[0]: row[3] for row in rows}
    assert subjects[first.id] == first.subject
    assert sorted(_stored_messages(address)) == sorted([first.id, second.id])

    records = json.loads(cli("messages", address, "--json").out)
    assert all(set(r) == MESSAGE_KEYS for r in records)
    by_id = {r["id"]: r for r in records}
    assert by_id[first.id]["content"] == first.content
    assert by_id[first.id]["is_html"] is True
    assert by_id[second.id]["attachments"][0]["name"] == "notes.txt"
    assert by_id[second.id]["mailbox"] == address


def test_messages_of_a_box_gone_on_the_server_prints_the_stored_ones(
    cli: Callable[..., Result], server: SandboxServer
) -> None:
    address = _new_box(cli)
    kept = server.state.add_sample(address, "plain")
    assert cli("messages", address).code == 0
    server.state.delete_mailbox(server.api_key, address)

    result = cli("messages", address)
    assert result.code == 0
    assert result.out.split("\t")[0] == kept.id
    assert "no longer on the server" in _one_line(result.err)
    assert cli("boxes").out.split("\t")[1] == "expired"


def test_messages_remembers_an_address_it_did_not_create(
    cli: Callable[..., Result], server: SandboxServer
) -> None:
    address = server.state.create_mailbox().email
    assert cli("messages", address).code == 0
    assert cli("boxes").out.startswith(address + "\t")


def test_messages_of_unknown_or_malformed_addresses_exit_2(cli: Callable[..., Result]) -> None:
    missing = cli("messages", "nobody-here@example.com")
    assert missing.code == 2
    assert "Not found" in _one_line(missing.err)
    assert missing.out == ""
    malformed = cli("messages", "not-an-address")
    assert malformed.code == 2
    assert _one_line(malformed.err)


# --- wait, code and link ----------------------------------------------------------------------


def test_wait_prints_the_mail_delivered_over_smtp_while_it_waits(
    cli: Callable[..., Result], server: SandboxServer
) -> None:
    address = _new_box(cli)
    old = server.state.add_sample(address, "plain")
    thread = _after_polls(
        server,
        1,
        lambda: _smtp(server, address, "Build 42 passed", "All green.", "CI <ci@builds.example>"),
    )
    result = cli("wait", address, "--timeout", "20")
    thread.join()
    assert result.code == 0, result.err
    fields = _one_line(result.out).split("\t")
    assert fields[0] != old.id
    assert fields[2] == "CI <ci@builds.example>"
    assert fields[3] == "Build 42 passed"
    assert fields[0] in _stored_messages(address)


def test_wait_json_is_the_message_record_with_content(
    cli: Callable[..., Result], server: SandboxServer
) -> None:
    address = _new_box(cli)
    thread = _after_polls(
        server, 1, lambda: server.state.deliver(address, subject="Hi", text="Body\x1b[2J text")
    )
    result = cli("wait", address, "--timeout", "20", "--json")
    thread.join()
    assert result.code == 0, result.err
    assert result.out.isascii() and "\x1b" not in result.out
    record = json.loads(result.out)
    assert set(record) == MESSAGE_KEYS
    assert record["content"] == "Body\x1b[2J text"
    assert record["mailbox"] == address


def test_code_skips_a_new_mail_without_a_code_and_prints_only_the_next_code(
    cli: Callable[..., Result], server: SandboxServer
) -> None:
    address = _new_box(cli)

    def deliver() -> None:
        _smtp(server, address, "Welcome aboard", "Glad you joined.", "Team <team@example.org>")
        # The code mail comes only after the command has seen the first one.
        _after_polls(server, 1, send_code).join()

    def send_code() -> None:
        _smtp(
            server,
            address,
            "Your sign-in code",
            "Hello,\n\nYour sign-in code is 482913.\n\nIt expires in 10 minutes.\n",
            "Accounts <no-reply@accounts.example.com>",
        )

    thread = _after_polls(server, 1, deliver)
    result = cli("code", address, "--timeout", "20")
    thread.join()
    assert result.code == 0, result.err
    assert result.out == "482913\n"


def test_code_filters_by_sender_and_subject(
    cli: Callable[..., Result], server: SandboxServer
) -> None:
    address = _new_box(cli)
    expected: list[str] = []

    def deliver() -> None:
        server.state.deliver(
            address,
            subject="Your code is 111111",
            from_name="Other",
            from_email="x@other.example",
            text="Your code is 111111",
        )
        sample = server.state.add_sample(address, "verification")
        assert sample.code is not None
        expected.append(sample.code)

    thread = _after_polls(server, 1, deliver)
    result = cli(
        "code", address, "--timeout", "20", "--from", "ACCOUNTS\\.example", "--subject", "verif"
    )
    thread.join()
    assert result.code == 0, result.err
    assert result.out == f"{expected[0]}\n"


def test_link_prints_the_verify_link(cli: Callable[..., Result], server: SandboxServer) -> None:
    address = _new_box(cli)
    links: list[str] = []

    def deliver() -> None:
        sample = server.state.add_sample(address, "verification")
        found = re.search(r'href="(https://example\.com/verify\?token=[^"]+)"', sample.content)
        assert found is not None
        links.append(found.group(1))

    thread = _after_polls(server, 1, deliver)
    result = cli("link", address, "--timeout", "20")
    thread.join()
    assert result.code == 0, result.err
    assert result.out == f"{links[0]}\n"


def test_existing_accepts_mail_already_there_and_without_it_the_wait_times_out(
    cli: Callable[..., Result], server: SandboxServer
) -> None:
    address = _new_box(cli)
    sample = server.state.add_sample(address, "verification")

    found = cli("code", address, "--existing", "--timeout", "10")
    assert found.code == 0
    assert found.out == f"{sample.code}\n"

    timed_out = cli("code", address, "--timeout", "1")
    assert timed_out.code == 1
    assert timed_out.out == ""
    assert "no new matching message" in _one_line(timed_out.err)


_ACME_RULE = """\
[[codes]]
from = 'acme\\.example'
pattern = 'Sign-in phrase: ([A-Z]+-[A-Z]+)'
"""


def test_code_explain_prints_the_code_then_how_it_was_chosen(
    cli: Callable[..., Result], server: SandboxServer
) -> None:
    """A lower-case code, the line it came from, and why the runner-ups lost, code first."""
    address = _new_box(cli)
    server.state.deliver(
        address,
        subject="Sign in to Quillnote",
        from_name="Quillnote",
        from_email="login@quillnote.example",
        html=(
            "<p>Your previous code 771209 no longer works.</p>"
            "<p>Your sign-in code: <b>k7q2m9</b></p><p>Sent 28.06.2026 · \x1b[31mred</p>"
        ),
    )
    result = cli("code", address, "--existing", "--explain", "--timeout", "10")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "k7q2m9"
    assert lines[1].startswith("chosen by: the heuristics, score ")
    assert "a code word just before it" in lines[1] and "bold, large or spaced out" in lines[1]
    assert lines[2] == "line: Your sign-in code: k7q2m9"
    assert (
        "runner-up 771209: score 2.95 is below the threshold 3; lacks: bold, large or spaced "
        "out; against it: called an earlier code" in lines
    )
    assert "  line: Your previous code 771209 no longer works." in lines
    assert any(line.startswith("runner-up 2026: turned down: joined to digits") for line in lines)
    assert "\x1b" not in result.out
    # Without --explain the output is the code alone, as before.
    plain = cli("code", address, "--existing", "--timeout", "10")
    assert plain.out == "k7q2m9\n"


def test_code_takes_a_config_rules_code_and_explains_a_rule_that_found_nothing(
    cli: Callable[..., Result], server: SandboxServer
) -> None:
    """A [[codes]] rule wins over the heuristics; one that finds nothing leaves them to it."""
    (paths.config_dir()).mkdir(parents=True, exist_ok=True)
    (paths.config_dir() / "config.toml").write_text(_ACME_RULE, encoding="utf-8")
    address = _new_box(cli)
    server.state.deliver(
        address,
        subject="Sign in",
        from_name="Acme",
        from_email="login@acme.example",
        text="Your support PIN is 552910.\nSign-in phrase: TANGO-PLUM\n",
    )
    ruled = cli("code", address, "--existing", "--explain", "--timeout", "10")
    assert ruled.code == 0, ruled.err
    assert ruled.out.splitlines()[:3] == [
        "TANGO-PLUM",
        "chosen by: rule 1 (from 'acme\\.example') in config.toml",
        "line: Sign-in phrase: TANGO-PLUM",
    ]
    assert "rule 1 (from 'acme\\.example') picked another" in ruled.out

    other = _new_box(cli)
    server.state.deliver(
        other,
        subject="Sign in",
        from_name="Acme",
        from_email="login@acme.example",
        text="Your support PIN is 552910.\n",
    )
    fallback = cli("code", other, "--existing", "--explain", "--timeout", "10")
    assert fallback.code == 0, fallback.err
    lines = fallback.out.splitlines()
    assert lines[0] == "552910"
    assert lines[1].startswith("chosen by: the heuristics")
    assert (
        "note: rule 1 (from 'acme\\.example') is for this sender but its pattern found nothing"
        in lines
    )


def test_code_help_documents_explain(cli: Callable[..., Result]) -> None:
    result = cli("code", "--help")
    assert result.code == 0
    assert "--explain" in result.out and "still the first line" in result.out


def test_wait_stops_at_the_quota_reserve_with_exit_2(
    fresh_server: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    _point_at(monkeypatch, fresh_server, tmp_path)
    run = _runner(fresh_server, capsys)
    address = fresh_server.state.create_mailbox().email
    # 1,000 a month keeps 10 in reserve; one poll leaves exactly the reserve.
    fresh_server.state.set_quota(limit=1000, used=989)

    result = run("wait", address, "--timeout", "20")
    assert result.code == 2
    assert "reserve" in _one_line(result.err)
    assert fresh_server.state.quota().remaining == 10


def test_wait_rides_out_server_errors(
    fresh_server: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    _point_at(monkeypatch, fresh_server, tmp_path)
    run = _runner(fresh_server, capsys)
    address = fresh_server.state.create_mailbox().email
    sample = fresh_server.state.add_sample(address, "verification")
    # The first poll fails; the schedule backs off and the next one succeeds.
    fresh_server.state.update_faults(force_status=503, force_count=1)

    result = run("code", address, "--existing", "--timeout", "20")
    assert result.code == 0, result.err
    assert result.out == f"{sample.code}\n"
    assert "warning" in result.err and "503" in result.err


def test_wait_gives_up_with_exit_2_when_the_server_cannot_be_reached(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    address = _new_box(cli)
    # A port nothing listens on: every connection is refused at once.
    monkeypatch.setenv("TEMPMAIL_BASE_URL", "http://127.0.0.1:9/api")
    result = cli("wait", address, "--timeout", "1")
    assert result.code == 2
    assert result.out == ""
    assert "gave up" in result.err.splitlines()[-1]
    assert "reach" in result.err.splitlines()[-1]


# --- read, save, rm and rm-box ---------------------------------------------------------------


def test_read_prints_clean_text_and_json(cli: Callable[..., Result], server: SandboxServer) -> None:
    address = _new_box(cli)
    hostile = "\x1b]52;c;ZXZpbA==\x07Invoice \u202efdp.exe"
    message = server.state.deliver(
        address,
        subject=hostile,
        from_name="Billing\x1b[31m",
        html="<p>Hello <b>world</b></p><script>alert(1)</script>\x9b31m",
    )

    text = cli("read", message.id)
    assert text.code == 0
    for bad in ("\x1b", "\x07", "\x9b", "\u202e", "<p>", "alert(1)"):
        assert bad not in text.out
    head, _, body = text.out.partition("\n\n")
    assert "Subject: Invoice fdp.exe" in head.splitlines()
    assert f"Id: {message.id}" in head.splitlines()
    assert "Hello" in body and "world" in body
    assert server.state.peek_message(server.api_key, message.id).is_seen

    as_json = cli("read", message.id, "--json")
    assert as_json.code == 0
    assert as_json.out.isascii()
    assert "\x1b" not in as_json.out and "\x07" not in as_json.out
    record = json.loads(as_json.out)
    assert set(record) == MESSAGE_KEYS
    assert record["subject"] == hostile
    assert record["is_seen"] is True
    # Never listed here: it is shown, but filed under no box (its "to" is the sender's word).
    assert record["mailbox"] is None
    assert cli("messages", address).code == 0
    assert json.loads(cli("read", message.id, "--json").out)["mailbox"] == address


def test_read_unknown_id_exits_2(cli: Callable[..., Result]) -> None:
    missing = cli("read", "doesNotExist123")
    assert missing.code == 2
    assert "Not found" in _one_line(missing.err)
    invalid = cli("read", "../etc")
    assert invalid.code == 2
    assert _one_line(invalid.err)


def test_save_writes_byte_identical_files_under_free_names(
    cli: Callable[..., Result], server: SandboxServer, tmp_path: Path
) -> None:
    address = _new_box(cli)
    message = server.state.add_sample(address, "attachment")
    target = tmp_path / "saved"

    first = cli("save", message.id, "--dir", str(target))
    assert first.code == 0, first.err
    paths_saved = [Path(line) for line in first.out.splitlines()]
    assert [p.name for p in paths_saved] == [a.name for a in message.attachments]
    for path, attachment in zip(paths_saved, message.attachments, strict=True):
        assert path.parent == target.resolve()
        assert path.read_bytes() == attachment.data

    again = cli("save", message.id, "--dir", str(target))
    assert [Path(line).name for line in again.out.splitlines()] == [
        "notes (1).txt",
        "chart (1).png",
    ]

    # Without --dir: the configured download directory.
    default = cli("save", message.id)
    assert Path(default.out.splitlines()[0]).parent == (tmp_path / "downloads").resolve()


def test_save_without_attachments_exits_1(
    cli: Callable[..., Result], server: SandboxServer
) -> None:
    address = _new_box(cli)
    message = server.state.add_sample(address, "plain")
    result = cli("save", message.id)
    assert result.code == 1
    assert result.out == ""
    assert "no attachments" in _one_line(result.err)


def test_rm_and_rm_box(cli: Callable[..., Result], server: SandboxServer) -> None:
    address = _new_box(cli)
    message = server.state.add_sample(address, "plain")
    assert cli("messages", address).code == 0

    assert cli("rm", message.id).code == 0
    assert message.id not in _stored_messages(address)
    assert server.state.list_messages(server.api_key, address)[1] == []
    again = cli("rm", message.id)
    assert again.code == 2
    assert _one_line(again.err)

    assert cli("rm-box", address).code == 0
    assert not server.state.is_live_address(address)
    assert cli("boxes").out.split("\t")[1] == "deleted"
    unknown = cli("rm-box", "never-was@example.com")
    assert unknown.code == 2
    assert "Not found" in _one_line(unknown.err)


# --- exit codes for keys and usage ----------------------------------------------------------


def test_a_wrong_key_exits_3(cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "wrong-key-0123456789abcdef"
    monkeypatch.setenv("TEMPMAIL_API_KEY", wrong)
    result = cli("new")
    assert result.code == 3
    assert "rejected" in _one_line(result.err)
    assert wrong not in result.err


def test_no_key_exits_3_before_any_request(
    cli: Callable[..., Result], server: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEMPMAIL_API_KEY")
    before = server.state.quota().used
    result = cli("messages", "someone@example.com")
    assert result.code == 3
    assert "TEMPMAIL_API_KEY" in _one_line(result.err)
    assert server.state.quota().used == before


@pytest.mark.parametrize(
    "argv",
    [
        ["messages"],
        ["wait", "a@b.example", "--from", "("],
        ["code", "a@b.example", "--timeout", "-1"],
        ["read", "x", "--json", "--text"],
        ["--demo", "new"],
    ],
)
def test_usage_errors_exit_2_with_one_line(cli: Callable[..., Result], argv: list[str]) -> None:
    result = cli(*argv)
    assert result.code == 2
    assert result.out == ""
    assert _one_line(result.err)


# --- as a real process ---------------------------------------------------------------------


def _process(sandbox: SandboxServer, *args: str, key: str | None = None) -> Result:
    env = dict(os.environ)
    env.update(
        TEMPMAIL_BASE_URL=sandbox.base_url,
        TEMPMAIL_POLL_INTERVAL="1",
        TEMPMAIL_API_KEY=sandbox.api_key if key is None else key,
    )
    done = subprocess.run(
        [sys.executable, "-m", "tempmail_tui", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    _assert_clean(sandbox.api_key, done.stdout, done.stderr)
    return Result(done.returncode, done.stdout, done.stderr)


def test_process_new_then_code_from_smtp(server: SandboxServer) -> None:
    made = _process(server, "new")
    assert made.code == 0, made.err
    address = _one_line(made.out)
    assert _process(server, "boxes").out.startswith(address + "\t")

    thread = _after_polls(
        server,
        1,
        lambda: _smtp(
            server,
            address,
            "Confirm your address",
            "Your verification code is 905531",
            "Accounts <no-reply@accounts.example.com>",
        ),
    )
    code = _process(server, "code", address, "--timeout", "30")
    thread.join()
    assert code.code == 0, code.err
    assert code.out == "905531\n"
    assert code.err == ""


def test_process_exit_3_for_a_wrong_key_and_for_no_key(server: SandboxServer) -> None:
    rejected = _process(server, "new", key="sbx_not-the-right-key-at-all")
    assert rejected.code == 3
    assert "rejected" in _one_line(rejected.err)
    missing = _process(server, "new", key="")
    assert missing.code == 3
    assert "TEMPMAIL_API_KEY" in _one_line(missing.err)
    assert missing.out == ""
