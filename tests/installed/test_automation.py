"""The automation front ends as a user gets them: the wheel's pytest plugin, `run`, the Python API.

Everything runs from the venv the wheel was installed into, against a sandbox started by hand
from the same install, with private XDG directories, no key store and no network.
"""

from __future__ import annotations

import json
import socket
import subprocess
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .artifacts import Installed, isolated_env, run_step

pytestmark = [pytest.mark.slow]

KEY = "installed-sandbox-key"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Sandbox:
    """A `tempmail-tui sandbox` process of the installed script, and how to reach it."""

    base_url: str
    smtp_port: int
    env: dict[str, str]


@pytest.fixture
def sandbox(installed: Installed, tmp_path: Path) -> Iterator[Sandbox]:
    """The installed script's sandbox, with the user's environment pointed at it."""
    env = isolated_env(tmp_path)
    port, smtp = _free_port(), _free_port()
    process = subprocess.Popen(
        [
            *(str(installed.script), "sandbox", "--port", str(port), "--smtp-port", str(smtp)),
            *("--api-key", KEY, "--no-samples"),
        ],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                socket.create_connection(("127.0.0.1", smtp), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the installed sandbox did not start (status {process.poll()})")
                time.sleep(0.2)
        user = dict(env, TEMPMAIL_API_KEY=KEY, TEMPMAIL_BASE_URL=f"http://127.0.0.1:{port}/api")
        yield Sandbox(user["TEMPMAIL_BASE_URL"], smtp, user)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _sender_script(smtp_port: int) -> str:
    """A one-line program that mails a code to the address given as its argument."""
    return (
        "import smtplib,sys;from email.message import EmailMessage as M;m=M();"
        "m['From']='Shop <no-reply@shop.example>';m['To']=sys.argv[1];"
        "m['Subject']='Your verification code';m.set_content('Your code is 604213.');"
        f"s=smtplib.SMTP('127.0.0.1',{smtp_port},timeout=10);s.send_message(m);s.quit()"
    )


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.timeout(180)
def test_run_prints_the_code_and_leaves_no_box(
    installed: Installed, sandbox: Sandbox, tmp_path: Path
) -> None:
    """`run --code -- COMMAND {address}` prints the mailed code; the box is gone afterwards."""
    done = _run(
        [
            *(str(installed.script), "run", "--code", "--timeout", "60", "--json", "--"),
            *(str(installed.python), "-c", _sender_script(sandbox.smtp_port), "{address}"),
        ],
        sandbox.env,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["code"] == "604213"
    boxes = _run([str(installed.script), "boxes", "--json"], sandbox.env, tmp_path)
    assert boxes.returncode == 0, boxes.stderr
    (box,) = [b for b in json.loads(boxes.stdout) if b["email"] == result["address"]]
    assert box["state"] == "deleted"


@pytest.mark.timeout(180)
def test_the_python_api_example_works_against_the_sandbox(
    installed: Installed, sandbox: Sandbox, tmp_path: Path
) -> None:
    """The README's example, run with `python -c` from the installed venv."""
    script = textwrap.dedent(
        f"""
        import smtplib, subprocess, sys
        from tempmail_tui import TempMail
        with TempMail() as mail:
            box = mail.new(label="signup-test")
            subprocess.run([sys.executable, "-c", {_sender_script(sandbox.smtp_port)!r},
                            box.address], check=True)
            msg = box.wait(subject=r"verif", timeout=60)
            print(msg.code, box.labels)
            box.delete()
        """
    )
    done = _run([str(installed.python), "-c", script], sandbox.env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["604213", "('signup-test',)"]


@pytest.mark.timeout(300)
def test_a_user_test_file_passes_with_the_plugin_from_the_wheel(
    installed: Installed, tmp_path: Path
) -> None:
    """pytest finds the plugin by its entry point; a ten-line test passes with no key or network."""
    run_step(
        [str(installed.python), "-m", "pip", "install", "--quiet", "pytest"],
        "installing pytest beside the wheel",
        cwd=tmp_path,
    )
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_signup.py").write_text(
        textwrap.dedent(
            """
            import smtplib
            from email.message import EmailMessage

            def test_signup_sends_a_code(tempmail, tempmail_smtp):
                box = tempmail.new(label="signup")
                mail = EmailMessage()
                mail["From"], mail["To"], mail["Subject"] = "a@shop.example", box.address, "Code"
                mail.set_content("Your code is 771204.")
                with smtplib.SMTP(*tempmail_smtp) as smtp:
                    smtp.send_message(mail)
                assert box.wait(timeout=30).code == "771204"

            def test_the_package_is_left_to_python():
                import tempmail_tui.automation.sync as sync

                # Not pytest's assert rewriting, which the plugin's distribution is marked for.
                assert type(sync.__spec__.loader).__name__ == "SourceFileLoader"
            """
        ),
        encoding="utf-8",
    )
    env = isolated_env(tmp_path)
    pytest_argv = [str(installed.python), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    done = _run(pytest_argv, env, project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
