"""A data directory (or store file) that cannot be written: the archive is still read and shown.

Permission bits do not stop root, and the tests may run as root. The store is made
unwritable in one of three ways:

- ``directory``: the store's directory is read-only (mode 0555);
- ``file``: the store file is read-only (mode 0400) in a writable directory;
- ``mount``: the whole data directory is a read-only bind mount (root only, in a mount
  namespace of the child's own, so nothing leaks out).

For the first two, a root test runs its child as ``nobody`` (the owner of the store, who
cannot write there) through ``setpriv``; any other user runs it as itself. Where a way
cannot be set up on this machine, its test says why and skips.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tempmail_tui.cli import main
from tempmail_tui.core.store import STORE_READ_ONLY_MESSAGE, Store, StoreReadOnlyError
from tempmail_tui.sandbox.server import SandboxServer

from .test_store_shared import box, message

REPO = Path(__file__).resolve().parent.parent
ROOT = os.geteuid() == 0


def _nobody() -> tuple[int, int]:
    """The (uid, gid) a root test runs its children as."""
    try:
        import pwd

        entry = pwd.getpwnam("nobody")
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        return 65534, 65534


def _give(path: Path) -> None:
    """Make ``nobody`` own a path and everything under it."""
    for item in [path, *path.rglob("*")]:
        os.chown(item, *_nobody())


@dataclass(frozen=True)
class Place:
    """A data directory holding a store the child cannot write, and the child's home."""

    locked: str
    home: Path
    data: Path
    store: Path
    address: str

    def env(self) -> dict[str, str]:
        """The child's environment: its own home, this data directory, no key or keyring."""
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "XDG_DATA_HOME": str(self.data),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_STATE_HOME": str(self.home / "state"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "PYTHONDONTWRITEBYTECODE": "1",
            "TZ": "UTC",
        }

    def prefix(self) -> list[str]:
        """What the child's command starts with to see the store as unwritable."""
        if self.locked == "mount":
            # A mount namespace of its own (private propagation: unshare's default).
            script = 'mount --bind -o ro "$0" "$0" && exec "$@"'
            return ["unshare", "-m", "sh", "-c", script, str(self.data)]
        if ROOT:
            # setpriv executes the program before root's rights go, so an interpreter
            # installed under /root still starts (subprocess's user= would not).
            uid, gid = _nobody()
            return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups"]
        return []

    def run(
        self, argv: list[str], timeout: float = 60, extra: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run Python in a child process that sees the store as unwritable."""
        return subprocess.run(
            [*self.prefix(), sys.executable, *argv],
            env={**self.env(), **(extra or {})},
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def check(self, *modules: str) -> None:
        """Skip, saying why, when such a child cannot be run here or could still write."""
        tool = self.prefix()[0] if self.prefix() else None
        if tool is not None and shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed: cannot make the store unwritable as root")
        code = (
            f"import {', '.join(('sys', 'tempmail_tui', *modules))}\n"
            "print('started', flush=True)\n"
            "try:\n"
            "    open(sys.argv[1], 'ab').close()\n"
            "except OSError:\n"
            "    print('refused')\n"
        )
        target = self.store if self.locked == "file" else self.store.parent / "probe"
        probe = self.run(["-c", code, str(target)])
        if "started" not in probe.stdout:
            pytest.skip(f"cannot run a child that way here: {probe.stderr[-300:]}")
        if "refused" not in probe.stdout:
            pytest.skip(f"the store is still writable here ({self.locked})")


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A fresh sandbox server (HTTP only)."""
    with SandboxServer(api_key="tmk_test_key_0123456789abcdef", smtp_port=None) as server:
        yield server


def _stored_place(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, locked: str
) -> Iterator[Place]:
    """A store filled by the real CLI, then made unwritable in the ``locked`` way."""
    if locked == "mount" and not ROOT:
        pytest.skip("a read-only bind mount needs root")
    # Not under pytest's tmp_path: that is private to the user running the tests.
    base = Path(tempfile.mkdtemp(prefix="tempmail-ro-"))
    data = base / "data"
    store_dir = data / "tempmail-tui"
    try:
        base.chmod(0o755)
        home = base / "home"
        home.mkdir()
        monkeypatch.setenv("XDG_DATA_HOME", str(data))
        monkeypatch.setenv("TEMPMAIL_BASE_URL", sandbox.base_url)
        monkeypatch.setenv("TEMPMAIL_API_KEY", sandbox.api_key)
        assert main(["new"]) == 0
        store = store_dir / "store.sqlite3"
        with Store.open(store) as made:
            (address,) = [b.email for b in made.mailboxes()]
        sandbox.state.deliver(address, subject="stored before", text="kept")
        assert main(["messages", address]) == 0
        data.chmod(0o755)
        if locked != "mount" and ROOT:
            _give(home)
            _give(store_dir)
        if locked == "directory":
            store_dir.chmod(0o555)
        elif locked == "file":
            store.chmod(0o400)
        yield Place(locked, home, data, store, address)
    finally:
        if store_dir.exists():
            store_dir.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["directory", "file", "mount"])
def place(
    request: pytest.FixtureRequest, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Place]:
    """A stored box the child cannot write: directory, file or file system read-only."""
    yield from _stored_place(sandbox, monkeypatch, request.param)


def test_store_opened_read_only_reads_and_refuses_writes_clearly(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    with Store.open(path) as writer:
        writer.add_mailbox(box("a@example.com"))
        writer.sync_messages("a@example.com", [message("m1")])
    with Store.open(path, read_only=True) as store:
        assert store.read_only and store.fallback_reason is None and store.path == path
        assert [b.email for b in store.mailboxes()] == ["a@example.com"]
        assert [m.id for m in store.messages("a@example.com")] == ["m1"]
        assert [m.id for m in store.search("hello")] == ["m1"]
        # A sync that changes nothing writes nothing, so it succeeds.
        assert not store.sync_messages("a@example.com", [message("m1")]).any
        with pytest.raises(StoreReadOnlyError, match=STORE_READ_ONLY_MESSAGE):
            store.sync_messages("a@example.com", [message("m1"), message("m2")])
        with pytest.raises(StoreReadOnlyError, match="read-only"):
            store.add_mailbox(box("b@example.com"))
        with pytest.raises(StoreReadOnlyError):
            store.mark_seen("m1")
        assert [m.id for m in store.messages("a@example.com")] == ["m1"]


def test_boxes_lists_a_store_it_cannot_write(place: Place) -> None:
    place.check()
    done = place.run(["-m", "tempmail_tui", "boxes"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(place.address + "\t"), (done.stdout, done.stderr)
    assert "\tlive\t" in done.stdout and "1 unread" in done.stdout
    assert "cannot be written" in done.stderr and "new mail is not kept" in done.stderr
    assert "Traceback" not in done.stderr
    listed = place.run(["-m", "tempmail_tui", "boxes", "--json"])
    assert listed.returncode == 0, listed.stderr
    assert [b["email"] for b in json.loads(listed.stdout)] == [place.address]


def test_messages_prints_new_mail_a_store_cannot_keep(place: Place, sandbox: SandboxServer) -> None:
    place.check()
    sandbox.state.deliver(place.address, subject="arrived since", text="not kept")
    server = {"TEMPMAIL_BASE_URL": sandbox.base_url, "TEMPMAIL_API_KEY": sandbox.api_key}
    done = place.run(["-m", "tempmail_tui", "messages", place.address], extra=server)
    assert done.returncode == 0, done.stderr
    assert "arrived since" in done.stdout and "stored before" in done.stdout
    assert "the messages are printed but not kept" in done.stderr
    assert done.stderr.count("but not kept") == 1
    assert "Traceback" not in done.stderr


# As root, the app's HTML converter (a child process of its own) may not start as nobody
# when Python is installed under /root: the mount way keeps the child root.
@pytest.mark.parametrize("locked", ["mount" if ROOT else "directory"])
def test_reader_shows_a_store_it_cannot_write_with_a_notice(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, locked: str
) -> None:
    for place in _stored_place(sandbox, monkeypatch, locked):
        place.check("tempmail_tui.ui.app", "textual")
        # New on the server since: shown from memory, as the store cannot take it.
        sandbox.state.deliver(place.address, subject="arrived since", text="not kept")
        out = place.home / "record.json"
        argv = ["-m", "tests.store_driver", str(place.store), sandbox.base_url]
        argv += [sandbox.api_key, "2", str(out)]
        done = place.run(argv, timeout=90)
        assert done.returncode == 0, done.stderr[-3000:]
        record = json.loads(out.read_text())
        assert record["read_only"] and not record["in_memory"], record
        assert record["boxes"] == [place.address], record
        assert record["sidebar"] == 1
        assert record["subjects"] == ["arrived since", "stored before"]
        assert "read-only" in (record["store_notice"] or "").lower()
        assert "read-only" in record["status"].lower()
        warnings = [text for severity, text in record["toasts"] if severity == "warning"]
        assert any("cannot be written" in t and "new mail is not kept" in t for t in warnings)
        errors = [text for severity, text in record["toasts"] if severity == "error"]
        assert any(
            t.startswith("Creating a mailbox failed: the local store is read-only") for t in errors
        ), record["toasts"]
        assert not any("protocol" in t.lower() for t in errors), errors
        # Nothing was written: the file still holds only what the CLI stored.
        with Store.open(place.store, read_only=True) as after:
            assert [m.subject for m in after.messages(place.address)] == ["stored before"]
            assert [b.email for b in after.mailboxes()] == [place.address]
