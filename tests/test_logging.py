"""The log for bug reports: --log and TEMPMAIL_LOG, what it records, and the key kept out."""

from __future__ import annotations

import logging
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tempmail_tui.cli import main
from tempmail_tui.core import logfile, session
from tempmail_tui.sandbox.server import SandboxServer

KEY = "tmk_LOGCANARY0123456789abcdefXYZ"


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    """A sandbox the CLI is pointed at through the environment."""
    with SandboxServer(api_key=KEY, smtp_port=None) as server:
        monkeypatch.setenv("TEMPMAIL_BASE_URL", server.base_url)
        monkeypatch.setenv("TEMPMAIL_API_KEY", KEY)
        yield server


def test_log_flag_records_requests_with_durations_and_never_the_key(
    sandbox: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "logs" / "run.log"
    assert main(["--log", str(path), "new"]) == 0
    address = capsys.readouterr().out.strip()
    text = path.read_text(encoding="utf-8")
    assert re.search(r"tempmail-tui \S+ started \(pid \d+\)", text)
    assert re.search(r"POST /api/emails -> 200 in \d+ ms", text), text
    assert KEY not in text and KEY[8:24] not in text
    # Owner-only: the log names mailboxes.
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert address


def test_log_env_var_records_poll_decisions(
    sandbox: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "env.log"
    monkeypatch.setenv("TEMPMAIL_LOG", str(path))
    assert main(["new"]) == 0
    address = capsys.readouterr().out.strip()
    assert main(["--poll-interval", "1", "wait", address, "--timeout", "2"]) == 1
    text = path.read_text(encoding="utf-8")
    assert re.search(r"poll plan normal: selected every \d+ s", text), text
    # The query (it names the box) is left out of request lines; the schedule's line names it.
    assert re.search(r"GET /api/messages -> 200 in \d+ ms", text), text
    assert f"check of {address} ended: ok" in text
    assert KEY not in text


def test_unwritable_log_path_is_a_clear_usage_error(
    sandbox: SandboxServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    assert main(["--log", str(blocker / "x.log"), "boxes"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tempmail-tui: cannot write the log file ")
    assert len(err.strip().splitlines()) == 1


def test_unexpected_cli_error_points_to_the_default_log_with_the_traceback(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(**kwargs: object) -> object:
        raise RuntimeError(f"injected failure holding {KEY}")

    monkeypatch.setattr(session, "known_boxes", broken)
    assert main(["boxes"]) == 1
    err = capsys.readouterr().err.strip()
    default = logfile.current()
    assert default is not None and not default.detailed
    assert err == (
        f"tempmail-tui: unexpected error (RuntimeError); the details are in {default.path}; "
        "please report it"
    )
    text = default.path.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "in broken" in text
    assert KEY not in text and "injected failure holding tmk_…" in text


def test_default_log_keeps_debug_detail_out_and_is_created_only_when_needed(
    sandbox: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new"]) == 0
    setup = logfile.current()
    assert setup is not None and not setup.detailed
    # Nothing went wrong, so there is nothing to say: no file, not even its directory.
    assert not setup.path.parent.exists()
    logging.getLogger("tempmail_tui.test").warning("a warning is kept")
    assert "a warning is kept" in setup.path.read_text(encoding="utf-8")
