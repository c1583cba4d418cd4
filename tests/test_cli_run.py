"""`tempmail-tui run`: the real process against the sandbox, its COMMAND sending mail over SMTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tempmail_tui.cli import main
from tempmail_tui.sandbox.faults import Faults
from tempmail_tui.sandbox.server import SandboxServer

REPO = Path(__file__).resolve().parent.parent

# COMMAND for the tests: mail a code and a link to argv[1] over SMTP on port argv[2].
SIGN_UP = """
import smtplib, sys
from email.message import EmailMessage
mail = EmailMessage()
mail["From"] = "Accounts <no-reply@accounts.example.com>"
mail["To"] = sys.argv[1]
mail["Subject"] = "Confirm your address"
mail.set_content("Your verification code is 905531. Confirm: https://accounts.example.com/verify?t=42")
with smtplib.SMTP("127.0.0.1", int(sys.argv[2]), timeout=10) as smtp:
    smtp.send_message(mail)
print("signed up", sys.argv[1], flush=True)
"""


@dataclass(frozen=True)
class Result:
    """What one run printed and returned."""

    code: int
    out: str
    err: str


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer() as sandbox:
        yield sandbox


def _env(sandbox: SandboxServer, key: str | None, interval: int = 1) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TEMPMAIL_BASE_URL=sandbox.base_url,
        TEMPMAIL_POLL_INTERVAL=str(interval),
        TEMPMAIL_API_KEY=sandbox.api_key if key is None else key,
    )
    return env


def _argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "tempmail_tui", "run", *args]


def _run(sandbox: SandboxServer, *args: str, key: str | None = None, interval: int = 1) -> Result:
    done = subprocess.run(
        _argv(*args),
        cwd=REPO,
        env=_env(sandbox, key, interval),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert sandbox.api_key not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return Result(done.returncode, done.stdout, done.stderr)


def _sign_up(sandbox: SandboxServer) -> list[str]:
    return ["--", sys.executable, "-c", SIGN_UP, "{address}", str(sandbox.smtp_port)]


def _address(result: Result) -> str:
    """The box run made, from its note on stderr."""
    for line in result.err.splitlines():
        if line.startswith("tempmail-tui: mailbox "):
            return line.removeprefix("tempmail-tui: mailbox ")
    raise AssertionError(result.err)


def test_run_prints_the_code_after_the_commands_output_and_deletes_the_box(
    server: SandboxServer,
) -> None:
    result = _run(server, "--timeout", "20", *_sign_up(server))
    assert result.code == 0, result.err
    address = _address(result)
    # COMMAND's output passes through first; run's result comes after it.
    assert result.out == f"signed up {address}\n905531\n"
    assert not server.state.is_live_address(address)


def test_run_looks_at_once_when_the_command_ends(server: SandboxServer) -> None:
    # The mail goes out after run's first look; the schedule's next one is 30 s away.
    late = "import time; time.sleep(0.5)\n" + SIGN_UP
    started = time.monotonic()
    result = _run(
        server,
        "--timeout",
        "25",
        *("--", sys.executable, "-c", late, "{address}", str(server.smtp_port)),
        interval=30,
    )
    assert result.code == 0, result.err
    assert result.out.endswith("905531\n")
    assert time.monotonic() - started < 15


def test_run_link(server: SandboxServer) -> None:
    result = _run(server, "--link", "--timeout", "20", *_sign_up(server))
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == "https://accounts.example.com/verify?t=42"


def test_run_message_json_is_one_object_with_the_record_and_status(server: SandboxServer) -> None:
    result = _run(
        server, "--message", "--json", "--label", "ci", "--timeout", "20", *_sign_up(server)
    )
    assert result.code == 0, result.err
    first, _, rest = result.out.partition("\n")
    assert first.startswith("signed up ")
    record = json.loads(rest)
    assert record["address"] == _address(result)
    assert record["command_status"] == 0
    assert record["result"] == "found"
    assert record["labels"] == ["ci"]
    assert record["kept"] is False
    assert record["message"]["subject"] == "Confirm your address"
    assert "code" not in record and "link" not in record
    assert "905531" in record["message"]["content"]
    assert not server.state.is_live_address(record["address"])


def test_run_sets_the_address_in_the_environment_and_keeps_the_box_with_keep(
    server: SandboxServer,
) -> None:
    # The address reaches COMMAND through TEMPMAIL_ADDRESS too.
    script = SIGN_UP.replace("sys.argv[1]", "__import__('os').environ['TEMPMAIL_ADDRESS']")
    result = _run(
        server,
        "--keep",
        "--timeout",
        "20",
        "--",
        sys.executable,
        "-c",
        script,
        "x",
        str(server.smtp_port),
    )
    assert result.code == 0, result.err
    address = _address(result)
    assert result.out == f"signed up {address}\n905531\n"
    assert server.state.is_live_address(address)


def test_run_times_out_with_1_and_deletes_the_box(server: SandboxServer) -> None:
    result = _run(server, "--timeout", "1", "--", sys.executable, "-c", "pass")
    assert result.code == 1
    assert result.out == ""
    assert "no new matching message within 1 s" in result.err
    assert not server.state.is_live_address(_address(result))


def test_a_failing_command_makes_run_exit_4_at_once(server: SandboxServer) -> None:
    started = time.monotonic()
    result = _run(server, "--timeout", "30", "--", sys.executable, "-c", "import sys; sys.exit(3)")
    assert result.code == 4
    assert time.monotonic() - started < 10  # not the 30 s timeout
    assert "the command exited with status 3" in result.err
    assert not server.state.is_live_address(_address(result))


def test_a_missing_command_exits_2_and_deletes_the_box(
    server: SandboxServer, tmp_path: Path
) -> None:
    missing = str(tmp_path / "no-such-command")
    result = _run(server, "--timeout", "30", "--", missing)
    assert result.code == 2
    assert f"cannot run {missing}: No such file or directory" in result.err
    assert not server.state.is_live_address(_address(result))


def test_no_command_is_a_usage_error_before_any_request(server: SandboxServer) -> None:
    before = server.state.quota().used
    assert main(["run", "--timeout", "30"]) == 2
    assert main(["run", "--code", "--link", "--", "true"]) == 2
    assert server.state.quota().used == before


def test_a_failed_delete_is_a_warning_that_keeps_the_real_status(server: SandboxServer) -> None:
    # COMMAND breaks the server for every later request: the wait gives up, then the delete fails.
    breaker = (
        "import json, sys, urllib.request\n"
        "request = urllib.request.Request(sys.argv[1] + '/faults', method='POST',"
        " data=json.dumps({'force_status': 500}).encode(),"
        " headers={'Authorization': 'Bearer ' + sys.argv[2], 'Content-Type': 'application/json'})\n"
        "urllib.request.urlopen(request).read()\n"
    )
    try:
        result = _run(
            server,
            "--timeout",
            "1.5",
            *("--", sys.executable, "-c", breaker, server.control_url, server.api_key),
        )
    finally:
        server.state.faults = Faults()
    assert result.code == 2, result.err
    assert "gave up after 1.5 s" in result.err
    address = _address(result)
    assert f"warning: could not delete the mailbox {address}" in result.err
    assert server.state.is_live_address(address)
    server.state.delete_mailbox(server.api_key, address)


@pytest.mark.parametrize(
    ("signum", "status", "said"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
def test_ctrl_c_or_sigterm_ends_the_command_and_deletes_the_box(
    server: SandboxServer, signum: int, status: int, said: str
) -> None:
    sleeper = "import sys, time; print(sys.argv[1], flush=True); time.sleep(60)"
    process = subprocess.Popen(
        _argv("--timeout", "60", "--", sys.executable, "-c", sleeper, "{address}"),
        cwd=REPO,
        env=_env(server, None),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        address = process.stdout.readline().strip()  # COMMAND runs: the box exists
        assert server.state.is_live_address(address)
        process.send_signal(signum)
        # The pipe closes only once COMMAND is gone too: it must have been terminated.
        _out, err = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == status, err
    assert said in err
    assert not server.state.is_live_address(address)


def test_a_rejected_key_exits_3_and_runs_nothing(server: SandboxServer, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    touch = ["--", sys.executable, "-c", f"open({str(marker)!r}, 'w')"]
    rejected = _run(server, *touch, key="sbx_not-the-right-key-at-all")
    assert rejected.code == 3
    assert "rejected" in rejected.err
    assert not marker.exists()


def test_no_key_exits_3_and_runs_nothing(
    server: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    marker = tmp_path / "ran"
    monkeypatch.setenv("TEMPMAIL_BASE_URL", server.base_url)
    assert main(["run", "--", sys.executable, "-c", f"open({str(marker)!r}, 'w')"]) == 3
    assert "TEMPMAIL_API_KEY" in capsys.readouterr().err
    assert not marker.exists()
