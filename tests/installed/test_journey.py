"""The installed console script on a real pty: first run, boxes, a real mail, every reader key."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import smtplib
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest

from .artifacts import Installed, isolated_env, logged_failures
from .terminal import Expected, Terminal, spawn, strip_escapes

pytestmark = [pytest.mark.slow]

SIZES = [pytest.param(120, 36, id="120x36"), pytest.param(80, 24, id="80x24")]

API_KEY = "journey-key-7Hq2Zp9Lm4"
CODE = "482913"
SUBJECT = "Zephyrine sign-up"
SENDER_NAME = "Journey Sender"
VERIFY_URL = "https://zephyr.example/verify?token=jQ7x2Lm"
HELP_URL = "https://zephyr.example/help/faq"
RENAMED_USER = "jr42"
ADDED_USER = "ext7"
ADDED_DOMAIN = "inbox.test"
# A random sandbox address: adjective + noun + four digits at one of its free domains.
SANDBOX_ADDRESS = re.compile(r"\b[a-z]+\d{4}@(?:inbox|tempbox|mailsink)\.test\b")
# The mail's row in the list: the sender (cut short in a narrow list), then the subject in the
# next column; the reader and the toasts put other text between the two.
MAIL_ROW = re.compile(rf"{SENDER_NAME[:9]}\S*\s+{SUBJECT}")
# The sidebar's width in columns (app.tcss: 34, or 26 under 100 columns).
SIDEBAR_WIDE, SIDEBAR_NARROW = 34, 26


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def accepts(port: int) -> bool:
    """Whether something accepts TCP connections on this loopback port."""
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


@dataclass
class Sandbox:
    """The installed script's sandbox server, running as a process."""

    process: subprocess.Popen[bytes]
    log: Path
    base_url: str
    smtp_port: int
    api_key: str

    def output(self) -> str:
        """What the sandbox has printed so far."""
        return self.log.read_text("utf-8", "replace")

    def create_mailbox(self, username: str, domain: str) -> str:
        """Create a mailbox through the sandbox's control API (outside the app); its address."""
        request = urllib.request.Request(
            self.base_url.removesuffix("/api") + "/_sandbox/mailboxes",
            data=json.dumps({"username": username, "domain": domain}).encode(),
            headers={"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            body = json.load(answer)
        return str(body["data"]["email"])


@pytest.fixture
def sandbox(installed: Installed, tmp_path: Path) -> Iterator[Sandbox]:
    """``tempmail-tui sandbox`` from the installed venv, on free ports, until the test ends."""
    port, smtp_port = free_port(), free_port()
    log = tmp_path / "sandbox.log"
    argv = [str(installed.script), "sandbox", "--port", str(port), "--smtp-port", str(smtp_port)]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*argv, "--api-key", API_KEY],
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=isolated_env(tmp_path / "sandbox"),
            cwd=tmp_path,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while "Press Ctrl-C to stop." not in log.read_text("utf-8", "replace"):
            assert process.poll() is None, f"the sandbox exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"the sandbox never started:\n{log.read_text()}"
            time.sleep(0.05)
        banner = log.read_text("utf-8")
        url = re.search(r"base URL : (\S+)", banner)
        assert url is not None, banner
        assert url.group(1) == f"http://127.0.0.1:{port}/api", banner
        assert f"SMTP     : 127.0.0.1:{smtp_port}" in banner, banner
        while not (accepts(port) and accepts(smtp_port)):
            assert time.monotonic() < deadline, (
                f"the sandbox does not accept connections:\n{banner}"
            )
            time.sleep(0.05)
        yield Sandbox(process, log, url.group(1), smtp_port, API_KEY)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def send_mail(smtp_port: int, to: str, attachments: dict[str, bytes]) -> None:
    """Deliver the journey's mail over SMTP: text and HTML with a code and two links, files."""
    mail = EmailMessage()
    mail["From"] = f"{SENDER_NAME} <noreply@zephyr.example>"
    mail["To"] = to
    mail["Subject"] = SUBJECT
    mail.set_content(
        f"Welcome to Zephyrine.\n\nYour verification code is {CODE}\n\n"
        f"Confirm your address: {VERIFY_URL}\nQuestions: {HELP_URL}\n"
    )
    mail.add_alternative(
        "<html><body><h1>Welcome to Zephyrine</h1>"
        f"<p>Your verification code is <b>{CODE}</b></p>"
        f'<p><a href="{VERIFY_URL}">Confirm your address</a></p>'
        f'<p>Questions? <a href="{HELP_URL}">Read the FAQ</a></p>'
        "</body></html>",
        subtype="html",
    )
    for name, data in attachments.items():
        mail.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
        smtp.send_message(mail)


def columns(text: str, width: int) -> str:
    """The leftmost ``width`` columns of a screen text (where the sidebar is drawn)."""
    return "\n".join(line[:width] for line in text.splitlines())


def in_sidebar(needle: str, width: int) -> Callable[[str], bool]:
    """A screen condition: the sidebar shows ``needle``."""

    def check(text: str) -> bool:
        """Whether the sidebar's columns show the text."""
        return needle in columns(text, width)

    check.__name__ = f"{needle!r} in the sidebar"
    return check


def fill(term: Terminal, text: str, echo: re.Pattern[str], empty: Expected, what: str) -> None:
    """Type into the focused input until it shows exactly ``text`` (cleared before each try)."""
    # Two races in Textual's Input lose typed keys: it selects its text on focus a refresh
    # after the dialog is drawn (a key typed before is overwritten by the next), and a key
    # right after ctrl+u is dropped. People type slower; the test waits for the empty field
    # after clearing, checks what it typed, and tries again.
    for _ in range(3):
        term.send("ctrl+u")
        term.wait_for(empty, 5, what=f"{what}: the field cleared")
        term.type(text)
        with contextlib.suppress(AssertionError):
            term.wait_for(echo, 3, what=what)
            return
    term.wait_for(echo, 1, what=what)


def exactly(text: str) -> re.Pattern[str]:
    """The text on screen not as part of a longer word or address."""
    return re.compile(rf"(?<![\w@.-]){re.escape(text)}(?![\w@.-])")


def step(term: Terminal, expected: Expected, what: str, timeout: float = 20) -> str:
    """Wait for a step's proof on screen and check nothing crashed on the way."""
    text = term.wait_for(expected, timeout, what=what)
    term.assert_no_traceback()
    return text


@pytest.mark.timeout(300)
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_journey(
    installed: Installed, sandbox: Sandbox, tmp_path: Path, width: int, height: int
) -> None:
    """Every dialog, screen and toast of a working session appears in the installed app."""
    downloads = tmp_path / "downloads"
    env = isolated_env(tmp_path / "app")
    env.update(
        TEMPMAIL_BASE_URL=sandbox.base_url,
        TEMPMAIL_DOWNLOAD_DIR=str(downloads),
        TEMPMAIL_POLL_INTERVAL="1",
        COLUMNS=str(width),
        LINES=str(height),
    )
    sidebar = SIDEBAR_WIDE if width >= 100 else SIDEBAR_NARROW
    files = {"report.bin": secrets.token_bytes(3000), "logo.dat": secrets.token_bytes(700)}
    term = spawn([str(installed.script)], env, tmp_path, width, height)
    try:
        # First run with no key anywhere: the key dialog, masked input, then connected.
        step(term, "Paste your Temp Mail User API key", "the API-key dialog", timeout=40)
        masked = re.compile(f"(?<!•)•{{{len(API_KEY)}}}(?!•)")
        fill(term, API_KEY, masked, lambda text: "•" not in text, "the masked key")
        assert API_KEY not in term.screen_text()
        term.send("enter")
        term.wait_gone("Paste your Temp Mail User API key", what="the closed key dialog")

        # A new box; the quota bar shows the server's figures once it has answered.
        term.send("n")
        text = step(term, "Created ", "the 'Created' toast")
        step(term, re.compile(r"[\d,]+/50,000 used"), "the quota figures")
        created = set(SANDBOX_ADDRESS.findall(term.screen_text()))
        assert len(created) == 1, f"one new address on screen, got {created}:\n{text}"
        (address,) = created
        domain = address.partition("@")[2]

        # A real mail over SMTP shows up in the list by itself.
        send_mail(sandbox.smtp_port, address, files)
        step(term, MAIL_ROW, "the delivered mail in the list", timeout=30)

        # Rename: the dialog, a new user name, the new address in the sidebar.
        term.send("r")
        step(term, "Rename or switch mailbox", "the rename dialog")
        fill(term, RENAMED_USER, exactly(RENAMED_USER), "user name", "the new user name")
        term.send("enter")
        term.wait_gone("Rename or switch mailbox", what="the closed rename dialog")
        renamed = f"{RENAMED_USER}@{domain}"
        step(term, f"Renamed to {renamed}", "the 'Renamed' toast")
        step(term, in_sidebar(renamed, sidebar), "the renamed box in the sidebar")

        # Add an address that exists on the server; it is selected once added.
        added = sandbox.create_mailbox(ADDED_USER, ADDED_DOMAIN)
        term.send("a")
        step(term, "Add an existing address", "the add-address dialog")
        fill(term, added, exactly(added), "name@example.com", "the typed address")
        term.send("enter")
        term.wait_gone("Add an existing address", what="the closed add-address dialog")
        step(term, f"Added {added}", "the 'Added' toast")
        step(term, in_sidebar(added, sidebar), "the added box in the sidebar")
        step(term, f"Messages — {added}", "the added box selected")

        # Delete that box: confirm with y; it stays listed, archived.
        term.send("D")
        step(term, "on the server?", "the delete-box confirmation")
        term.send("y")
        term.wait_gone("on the server?", what="the closed confirmation")
        step(term, f"Deleted {added}", "the 'Deleted' toast")
        step(term, in_sidebar("archived: deleted", sidebar), "the archived box")

        # Back to the renamed box (first in the sidebar), then open the mail.
        term.send("shift+tab")
        term.send("home")
        term.send("enter")
        step(term, f"Messages — {renamed}", "the renamed box selected")
        step(term, MAIL_ROW, "the mail in the renamed box")
        term.send("enter")
        step(term, f"Subject: {SUBJECT}", "the open mail's headers")
        step(term, "HTML as text · v for source", "the body shown as text")
        # Into the reader and to its end: on a short terminal the body is below the headers.
        term.send("tab")
        term.send("end")
        step(term, re.compile(rf"Your verification code is\W+{CODE}"), "the body")

        # The raw source (the HTML as received) and back.
        term.send("v")
        step(term, "source · v for text", "the raw source view")
        term.send("end")
        step(term, "</body></html>", "the HTML tags of the raw source")
        term.send("v")
        term.wait_gone("</body></html>", what="the text view again")
        step(term, "HTML as text · v for source", "the body shown as text again")

        # Copy the code, list the links, copy the address.
        term.send("c")
        step(term, f"Copied code {CODE}", "the 'Copied code' toast")
        term.send("l")
        step(term, "Links (2)", "the links dialog")
        step(term, VERIFY_URL, "the verify link in the dialog")
        step(term, HELP_URL, "the second link in the dialog")
        term.send("escape")
        term.wait_gone("Links (2)", what="the closed links dialog")
        term.send("y")
        step(term, f"Copied {renamed}", "the 'Copied address' toast")

        # The filter: a word that matches nothing empties the list; Escape clears it.
        term.send("/")
        step(term, "filter: sender, subject or body", "the filter field")
        term.type("nomatchword")
        step(term, "— filter: nomatch", "the filter in the list title")
        term.wait_gone(MAIL_ROW, what="the filtered list")
        term.send("escape")
        term.wait_gone("filter: sender, subject or body", what="the hidden filter field")
        step(term, MAIL_ROW, "the mail back in the list")

        # The archive search finds the mail by a word of its subject.
        term.send("f")
        step(term, "Search all stored mail", "the archive search screen")
        term.type("Zephyrine")
        step(term, "1 match", "the search result count")
        step(term, re.compile(rf"{SENDER_NAME} · {re.escape(renamed)}"), "the search result")
        term.send("escape")
        term.wait_gone("Search all stored mail", what="the closed search screen")

        # Save every attachment; the files are the bytes that were sent.
        term.send("s")
        step(term, "Save attachments", "the save dialog")
        step(term, "All 2 attachments", "the save-all choice")
        term.send("enter")
        term.wait_gone("Save attachments", what="the closed save dialog")
        step(term, "Saved report.bin", "the 'Saved' toast")
        deadline = time.monotonic() + 20
        while {p.name for p in downloads.glob("*")} != set(files):
            assert time.monotonic() < deadline, f"downloads: {sorted(downloads.glob('*'))}"
            time.sleep(0.1)
        for name, data in files.items():
            assert (downloads / name).read_bytes() == data, f"{name} differs from what was sent"

        # Delete the message: confirm with y; its row goes.
        term.send("d")
        step(term, f"Delete the message {SUBJECT}?", "the delete-message confirmation")
        term.send("y")
        term.wait_gone(f"Delete the message {SUBJECT}?", what="the closed confirmation")
        step(term, "Message deleted", "the 'Message deleted' toast")
        term.wait_gone(MAIL_ROW, what="the list without the mail")

        # Help, then the command palette.
        term.send("?")
        step(term, "Esc, q or ? closes", "the help screen's closing hint")
        step(term, "y  Copy address", "the help screen's key list")
        term.send("escape")
        term.wait_gone("Esc, q or ? closes", what="the closed help screen")
        term.send("ctrl+p")
        step(term, "Search for commands", "the command palette")
        term.type("renam")
        step(term, "Rename the selected mailbox", "the Rename command in the palette")
        term.send("escape")
        term.wait_gone("Search for commands", what="the closed command palette")

        # The sidebar hides and comes back.
        term.send("b")
        term.wait_gone("Mailboxes", what="the hidden sidebar")
        term.send("b")
        step(term, "Mailboxes", "the sidebar again")

        # The typed key was never drawn, nor written in clear anywhere in the output.
        assert API_KEY not in strip_escapes(term.raw)
        assert API_KEY.encode() not in term.raw

        term.send("q")
        status = term.wait_exit(20)
        term.assert_no_traceback()
        assert status == 0, f"exit status {status}; screen:\n{term.dump()}"
    finally:
        term.close()
    assert "Traceback" not in sandbox.output(), sandbox.output()
    assert not logged_failures(tmp_path / "app"), "\n".join(logged_failures(tmp_path / "app"))
    # Nor was the key kept anywhere on disk (no keyring here: it was for this session only).
    for path in (tmp_path / "app").rglob("*"):
        if path.is_file():
            assert API_KEY.encode() not in path.read_bytes(), f"the API key is in {path}"


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_key_typed_as_the_first_frame_shows_is_not_lost(
    installed: Installed, sandbox: Sandbox, tmp_path: Path, width: int, height: int
) -> None:
    """? typed the moment the first frame's footer shows opens the help once the reader is up."""
    env = isolated_env(tmp_path / "app")
    env.update(TEMPMAIL_BASE_URL=sandbox.base_url, TEMPMAIL_API_KEY=API_KEY)
    term = spawn([str(installed.script)], env, tmp_path, width, height)
    try:
        # The first frame's status line, with the footer's keys under it.
        step(term, "Starting…", "the first frame", timeout=40)
        term.send("?")
        step(term, "Esc, q or ? closes", "the help screen, opened by the early ?")
        term.send("escape")
        term.wait_gone("Esc, q or ? closes", what="the closed help screen")
        term.send("q")
        status = term.wait_exit(20)
        assert status == 0, f"exit status {status}; screen:\n{term.dump()}"
    finally:
        term.close()
    assert not logged_failures(tmp_path / "app"), "\n".join(logged_failures(tmp_path / "app"))
