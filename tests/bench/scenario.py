"""Shared set-up: a sandbox with long-lived boxes, a seeded store and the app's environment."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tempmail_tui.api.models import Mailbox
from tempmail_tui.core.config import Config
from tempmail_tui.core.paths import APP_NAME, STORE_FILENAME
from tempmail_tui.core.store import Store
from tempmail_tui.sandbox.records import SandboxMailbox
from tempmail_tui.sandbox.server import SandboxServer

from .mail import small_html

#: The repository root: subprocesses run from here so ``tempmail_tui`` and ``tests`` import.
ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BENCH_KEY = "tmk_bench_key_0123456789abcdef0123"
#: Boxes outlive every run, so the schedule never sees one expire.
BOX_TTL = 4 * 3600


def isolate_process() -> None:
    """Make this process behave like the tests: UTC times, no keyring, no user settings."""
    os.environ["TZ"] = "UTC"
    time.tzset()
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    for name in ("TEMPMAIL_API_KEY", "TEMPMAIL_BASE_URL", "TEMPMAIL_POLL_INTERVAL"):
        os.environ.pop(name, None)


@contextmanager
def sandbox() -> Iterator[SandboxServer]:
    """A running sandbox (HTTP only) whose boxes live for hours."""
    server = SandboxServer(api_key=BENCH_KEY, smtp_port=None, mailbox_ttl=BOX_TTL)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    """A temporary directory removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"tempmail-bench-{prefix}-") as name:
        yield Path(name)


def fill_box(server: SandboxServer, email: str, count: int, *, start: int = 0) -> None:
    """Deliver ``count`` small HTML mails, a minute apart, oldest first."""
    now = server.state.now()
    for index in range(start, start + count):
        server.state.deliver(
            email,
            subject=f"Notice {index}: your weekly account update",
            from_name=f"Sender {index % 40}",
            from_email=f"sender{index % 40}@example.org",
            html=small_html(index),
            received_at=now - timedelta(minutes=count - (index - start)),
        )


def as_mailbox(box: SandboxMailbox, now: datetime) -> Mailbox:
    """The API record of a sandbox mailbox, as the client would have parsed it."""
    return Mailbox(
        id=box.id,
        email=box.email,
        domain=box.domain,
        created_at=box.created_at,
        expire_at=box.expire_at,
        expires_in_seconds=int((box.expire_at - now).total_seconds()),
        email_token=box.email_token,
    )


def seed_store(path: Path, boxes: Sequence[SandboxMailbox]) -> None:
    """Write a store that knows these boxes; the first one is listed first (selected)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    # The sidebar lists the newest added first: add in reverse so boxes[0] ends on top.
    with Store.open(path) as store:
        for box in reversed(boxes):
            store.add_mailbox(as_mailbox(box, now))


def store_path(data_home: Path) -> Path:
    """Where the app keeps its store under this ``XDG_DATA_HOME``."""
    return data_home / APP_NAME / STORE_FILENAME


def app_environment(server: SandboxServer, home: Path) -> dict[str, str]:
    """A clean environment for running the app as a process against the sandbox."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "TEMPMAIL_BASE_URL": server.base_url,
        "TEMPMAIL_API_KEY": server.api_key,
        "TEMPMAIL_DOWNLOAD_DIR": str(home / "downloads"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "PYTHONPATH": str(ROOT),
    }


def app_config(
    server: SandboxServer,
    home: Path,
    *,
    poll_interval: float | None = None,
    background_interval: float | None = None,
) -> Config:
    """The configuration of an in-process app; the intervals default to the product's."""
    defaults = Config()
    return Config(
        base_url=server.base_url,
        api_key=server.api_key,
        api_key_source="flag",
        download_dir=home / "downloads",
        poll_interval=poll_interval if poll_interval is not None else defaults.poll_interval,
        background_interval=(
            background_interval if background_interval is not None else defaults.background_interval
        ),
        bell=False,
    )


@dataclass(frozen=True)
class Boxes:
    """Boxes created in the sandbox for one run, first one selected."""

    emails: tuple[str, ...]

    @property
    def selected(self) -> str:
        """The box the app selects (listed first)."""
        return self.emails[0]


def create_boxes(
    server: SandboxServer, count: int, *, mail_each: int = 3, prefix: str = "bench"
) -> tuple[Boxes, list[SandboxMailbox]]:
    """Create ``count`` boxes with a few mails each."""
    made = [
        server.state.create_mailbox(username=f"{prefix}{index}", domain=None)
        for index in range(count)
    ]
    for box in made:
        fill_box(server, box.email, mail_each)
    return Boxes(tuple(b.email for b in made)), made
