"""Tests for the command line: auth commands, help, exit codes and keeping the key hidden."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError

from tempmail_tui.cli import main
from tempmail_tui.console import main as console_main
from tempmail_tui.core import credentials, logfile
from tempmail_tui.core.config import DEFAULT_BASE_URL, Config

CANARY = "canarykey-7f3a9c2e41d84b6f9a0e5c1d2b3a4f5e"
REPO = Path(__file__).resolve().parent.parent
ENV_VARS = (
    "TEMPMAIL_BASE_URL",
    "TEMPMAIL_API_KEY",
    "TEMPMAIL_DOWNLOAD_DIR",
    "TEMPMAIL_POLL_INTERVAL",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
)


class MemoryKeyring(KeyringBackend):
    """A complete in-memory keyring backend; never chosen automatically."""

    priority = -10.0

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring's __init__ is unannotated
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.entries[(service, username)]
        except KeyError:
            raise PasswordDeleteError("not found") from None

    @property
    def stored(self) -> str | None:
        return self.entries.get((credentials.KEYRING_SERVICE, credentials.KEYRING_USERNAME))


class PlaintextKeyring(MemoryKeyring):
    """Stands for keyrings.alt's base64-only file backend, which is not installed here."""


class UntouchableKeyring(MemoryKeyring):
    """Fails the test if anything reads it."""

    def get_password(self, service: str, username: str) -> str | None:
        raise AssertionError("the keyring was read")


class TtyInput(io.StringIO):
    """Standard input that claims to be a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No TEMPMAIL_* from the developer's shell; private XDG dirs; keyring restored after."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def memory() -> MemoryKeyring:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture
def no_keyring() -> None:
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]


def _assert_hidden(*texts: str) -> None:
    for text in texts:
        assert CANARY not in text
        assert CANARY[:-4] not in text


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def _stdin(monkeypatch: pytest.MonkeyPatch, stream: io.StringIO) -> None:
    monkeypatch.setattr(sys, "stdin", stream)


# --- auth set ------------------------------------------------------------------------------


def test_auth_set_reads_one_line_from_a_pipe(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, io.StringIO(f"  {CANARY}  \nsecond line is ignored\n"))
    assert main(["auth", "set"]) == 0
    assert memory.stored == CANARY
    out, err = capsys.readouterr()
    assert credentials.mask_key(CANARY) in out
    assert err == ""
    _assert_hidden(out, err)


def test_auth_set_prompts_without_echo_on_a_terminal(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts: list[str] = []

    def fake_getpass(prompt: str = "Password: ", stream: object = None) -> str:
        # getpass needs a real terminal, which a test run does not have.
        prompts.append(prompt)
        return CANARY

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    _stdin(monkeypatch, TtyInput(""))
    assert main(["auth", "set"]) == 0
    assert prompts and "API key" in prompts[0]
    assert memory.stored == CANARY
    _assert_hidden(*capsys.readouterr())


def test_auth_set_empty_input_is_a_usage_error(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, io.StringIO("\n"))
    assert main(["auth", "set"]) == 2
    assert "empty" in _one_line(capsys.readouterr().err)
    assert memory.stored is None


def test_auth_set_refuses_a_key_with_spaces(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, io.StringIO(f"{CANARY} {CANARY}\n"))
    assert main(["auth", "set"]) == 2
    out, err = capsys.readouterr()
    _one_line(err)
    _assert_hidden(out, err)
    assert memory.stored is None


def test_auth_set_without_keyring_gives_advice_and_exit_3(
    no_keyring: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, io.StringIO(CANARY + "\n"))
    assert main(["auth", "set"]) == 3
    out, err = capsys.readouterr()
    line = _one_line(err)
    assert "no keyring backend" in line
    assert "TEMPMAIL_API_KEY" in line and "keyrings.alt" in line
    _assert_hidden(out, err)


class WatchedTty(TtyInput):
    """A terminal whose every read is recorded."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.reads = 0

    def readline(self, size: int | None = -1) -> str:
        self.reads += 1
        return super().readline(size)


@pytest.mark.parametrize(
    ("backend", "said"),
    [
        ("keyring.backends.null.Keyring", "turned off"),
        ("keyring.backends.fail.Keyring", "no keyring backend"),
    ],
)
def test_auth_set_without_keyring_says_so_before_asking(
    backend: str, said: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The backend named in the environment, as a user turns the keyring off.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backend)
    keyring.set_keyring(keyring.core.load_keyring(backend))
    prompts: list[str] = []

    def fake_getpass(prompt: str = "Password: ", stream: object = None) -> str:
        prompts.append(prompt)
        return CANARY

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    terminal = WatchedTty(CANARY + "\n")
    _stdin(monkeypatch, terminal)
    assert main(["auth", "set"]) == 3
    out, err = capsys.readouterr()
    assert said in _one_line(err) and "TEMPMAIL_API_KEY" in err
    assert prompts == [] and terminal.reads == 0  # never asked for the key
    _assert_hidden(out, err)
    # A pipe is left unread too, for whatever reads it next.
    piped = io.StringIO(CANARY + "\n")
    _stdin(monkeypatch, piped)
    assert main(["auth", "set"]) == 3
    assert piped.tell() == 0


def test_auth_set_warns_about_a_plaintext_keyring_and_a_shadowing_env(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    keyring.set_keyring(PlaintextKeyring())
    monkeypatch.setenv("TEMPMAIL_API_KEY", "envkey-99998888777766665555")
    _stdin(monkeypatch, io.StringIO(CANARY + "\n"))
    assert main(["auth", "set"]) == 0
    out, err = capsys.readouterr()
    assert "INSECURE" in out
    assert "plain file" in err
    assert "TEMPMAIL_API_KEY is set" in out
    _assert_hidden(out, err)


# --- auth status ---------------------------------------------------------------------------


def test_auth_status_with_a_keyring_key(
    memory: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    memory.set_password(credentials.KEYRING_SERVICE, credentials.KEYRING_USERNAME, CANARY)
    assert main(["auth", "status"]) == 0
    out, err = capsys.readouterr()
    assert f"{credentials.mask_key(CANARY)} (from the OS keyring)" in out
    assert "MemoryKeyring" in out
    _assert_hidden(out, err)


def test_auth_status_prefers_the_environment(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    memory.set_password(
        credentials.KEYRING_SERVICE, credentials.KEYRING_USERNAME, "keyringkey-1234567890123456"
    )
    monkeypatch.setenv("TEMPMAIL_API_KEY", CANARY)
    assert main(["auth", "status"]) == 0
    out, err = capsys.readouterr()
    assert f"{credentials.mask_key(CANARY)} (from TEMPMAIL_API_KEY)" in out
    _assert_hidden(out, err)


def test_auth_status_without_any_key_exits_3(
    no_keyring: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["auth", "status"]) == 3
    out, _ = capsys.readouterr()
    assert "none found" in out
    assert "no keyring backend" in out
    assert "auth set" in out


def test_auth_status_reports_a_bad_environment_key(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TEMPMAIL_API_KEY", CANARY + "\x1b[2J")
    assert main(["auth", "status"]) == 3
    out, err = capsys.readouterr()
    assert "TEMPMAIL_API_KEY is set but unusable" in out
    assert "\x1b" not in out
    _assert_hidden(out, err)


# --- auth clear ----------------------------------------------------------------------------


def test_auth_clear(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    memory.set_password(credentials.KEYRING_SERVICE, credentials.KEYRING_USERNAME, CANARY)
    assert main(["auth", "clear"]) == 0
    assert memory.stored is None
    assert "Removed" in capsys.readouterr().out
    monkeypatch.setenv("TEMPMAIL_API_KEY", CANARY)
    assert main(["auth", "clear"]) == 0
    out, err = capsys.readouterr()
    assert "No API key was in the keyring" in out
    assert "still set" in out
    _assert_hidden(out, err)


def test_auth_clear_without_keyring_exits_3(
    no_keyring: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["auth", "clear"]) == 3
    assert "no keyring backend" in _one_line(capsys.readouterr().err)


# --- parsing and exit codes ----------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [["bogus"], ["auth"], ["auth", "nope"], ["--poll-interval"], ["sandbox", "--port", "70000"]],
)
def test_usage_errors_are_one_line_and_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "--help" in _one_line(err)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("tempmail-tui 0.")


# --- wiring to the UI (through the console script) and the sandbox -----------------------
# The Textual app and the server are other modules' work; these tests put a recording
# stand-in where each is imported, to check what the command line hands over.


def _fake_module(monkeypatch: pytest.MonkeyPatch, name: str, attr: str, func: object) -> None:
    module = types.ModuleType(name)
    setattr(module, attr, func)
    monkeypatch.setitem(sys.modules, name, module)


def test_tui_gets_the_merged_config(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    memory.set_password(credentials.KEYRING_SERVICE, credentials.KEYRING_USERNAME, CANARY)
    calls: list[tuple[Config, bool]] = []

    def run_app(config: Config, *, demo: bool) -> tuple[int, str | None]:
        calls.append((config, demo))
        return 7, None

    _fake_module(monkeypatch, "tempmail_tui.ui.app", "run_app", run_app)
    monkeypatch.setenv("TEMPMAIL_POLL_INTERVAL", "30")
    argv = ["--base-url", "https://flag.example/api", "--poll-interval", "2", "--no-bell"]
    argv += ["--download-dir", str(tmp_path / "dl")]
    assert console_main(argv) == 7
    ((config, demo),) = calls
    assert demo is False
    assert config.base_url == "https://flag.example/api"
    assert config.poll_interval == 2.0
    assert config.bell is False
    assert config.download_dir == tmp_path / "dl"
    # The keyring is read by the app after its first frame, not before launch.
    assert (config.api_key, config.api_key_source) == (None, None)


def test_demo_ignores_configured_key_and_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    keyring.set_keyring(UntouchableKeyring())
    calls: list[tuple[Config, bool]] = []

    def run_app(config: Config, *, demo: bool) -> tuple[int, str | None]:
        calls.append((config, demo))
        return 0, None

    _fake_module(monkeypatch, "tempmail_tui.ui.app", "run_app", run_app)
    monkeypatch.setenv("TEMPMAIL_API_KEY", CANARY)
    monkeypatch.setenv("TEMPMAIL_BASE_URL", "https://real.example/api")
    assert console_main(["--demo", "--base-url", "https://flag.example/api"]) == 0
    ((config, demo),) = calls
    assert demo is True
    assert config.api_key is None and config.api_key_source is None
    assert config.base_url == DEFAULT_BASE_URL
    assert "ignored with --demo" in capsys.readouterr().err


def test_the_command_line_alone_has_no_reader(capsys: pytest.CaptureFixture[str]) -> None:
    # The command line never imports the UI: without the console script's reader it says so.
    assert main([]) == 2
    assert "name a command" in _one_line(capsys.readouterr().err)


def test_config_error_stops_before_the_ui(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def run_app(config: Config, *, demo: bool) -> int:
        raise AssertionError("the UI must not start")

    _fake_module(monkeypatch, "tempmail_tui.ui.app", "run_app", run_app)
    monkeypatch.setenv("TEMPMAIL_BASE_URL", "gopher://example.com")
    assert console_main([]) == 2
    assert "TEMPMAIL_BASE_URL" in _one_line(capsys.readouterr().err)


def test_unexpected_errors_are_one_line_without_the_key(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def run_app(config: Config, *, demo: bool) -> int:
        raise RuntimeError(f"boom with {config.api_key}")

    _fake_module(monkeypatch, "tempmail_tui.ui.app", "run_app", run_app)
    monkeypatch.setenv("TEMPMAIL_API_KEY", CANARY)
    assert console_main([]) == 1
    out, err = capsys.readouterr()
    assert "RuntimeError" in _one_line(err)
    _assert_hidden(out, err)


def test_a_crashed_app_exits_non_zero_with_one_line_pointing_to_the_log(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def run_app(config: Config, *, demo: bool) -> tuple[int, str | None]:
        # What the app does when an error stops it: the traceback goes to the log.
        logging.getLogger("tempmail_tui.ui.app").critical("stopped", exc_info=ValueError("x"))
        return 1, "ValueError: x"

    _fake_module(monkeypatch, "tempmail_tui.ui.app", "run_app", run_app)
    assert console_main(["--demo"]) == 1
    err = _one_line(capsys.readouterr().err)
    setup = logfile.current()
    assert setup is not None
    assert err == (
        "tempmail-tui: stopped by an unexpected error: ValueError: x; "
        f"the details are in {setup.path}"
    )
    assert "ValueError: x" in setup.path.read_text(encoding="utf-8")


def test_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def run_app(config: Config, *, demo: bool) -> int:
        raise KeyboardInterrupt

    _fake_module(monkeypatch, "tempmail_tui.ui.app", "run_app", run_app)
    assert console_main(["--demo"]) == 130


def test_sandbox_arguments_are_passed_through(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, object]] = []

    def run_foreground(**kwargs: object) -> int:
        calls.append(kwargs)
        return 0

    _fake_module(monkeypatch, "tempmail_tui.sandbox.server", "run_foreground", run_foreground)
    assert main(["sandbox", "--port", "0", "--smtp-port", "2526", "--no-samples"]) == 0
    assert main(["sandbox", "--api-key", "sandbox-key"]) == 0
    assert calls == [
        {"port": 0, "smtp_port": 2526, "api_key": None, "samples": False, "replayed": []},
        {
            "port": 8025,
            "smtp_port": 1025,
            "api_key": "sandbox-key",
            "samples": True,
            "replayed": [],
        },
    ]


# --- as a real process ---------------------------------------------------------------------


def _run(args: list[str], tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env.update(
        PYTHONPATH=str(REPO),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        **extra,
    )
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_auth_status_subprocess_never_shows_the_key(tmp_path: Path) -> None:
    done = _run(
        ["-m", "tempmail_tui", "auth", "status"],
        tmp_path,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        TEMPMAIL_API_KEY=CANARY,
    )
    assert done.returncode == 0, done.stderr
    assert f"{credentials.mask_key(CANARY)} (from TEMPMAIL_API_KEY)" in done.stdout
    assert "no keyring backend" in done.stdout
    _assert_hidden(done.stdout, done.stderr)


def test_broken_keyring_configuration_is_not_a_crash(tmp_path: Path) -> None:
    done = _run(
        ["-m", "tempmail_tui", "auth", "status"],
        tmp_path,
        PYTHON_KEYRING_BACKEND="no.such.module.Keyring",
    )
    assert done.returncode == 3
    assert "Traceback" not in done.stdout + done.stderr
    assert "ModuleNotFoundError" in done.stdout


def test_help_documents_every_setting(tmp_path: Path) -> None:
    done = _run(["-m", "tempmail_tui", "--help"], tmp_path)
    assert done.returncode == 0
    for name in ENV_VARS:
        assert name in done.stdout
    for option in ("--base-url", "--download-dir", "--poll-interval", "--demo", "--no-bell"):
        assert option in done.stdout
    for key in ("background_interval", "reserve_fraction", "desktop_notifications", "timeout"):
        assert key in done.stdout
    assert str(tmp_path / "config" / "tempmail-tui" / "config.toml") in done.stdout
    assert "sandbox" in done.stdout and "auth" in done.stdout


def test_cli_import_and_help_stay_light(tmp_path: Path) -> None:
    code = (
        "import sys, contextlib, io\n"
        "from tempmail_tui.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])\n"
        "heavy = ('textual', 'httpx', 'keyring', 'html2text', 'starlette', 'uvicorn')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = _run(["-c", code], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
