"""Deterministic scenes of the app (fixed clock, fixed mail) for screenshots and snapshot tests."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from tempmail_tui.api.models import Mailbox
from tempmail_tui.core.config import Config
from tempmail_tui.core.session import remember_mailbox
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.app import TempMailApp

#: The moment every scene is frozen at.
FROZEN = datetime(2026, 6, 28, 10, 57, 25, tzinfo=UTC)
SCENE_KEY = "tmk_scene_0000000000000000000000"

NEWSLETTER = """<html><head><style>.x{color:#333}</style></head><body>
<table width="100%"><tr><td><h1>Release notes — June</h1>
<p>Hello, here is what changed this month in <b>Acme Cloud</b>:</p>
<ul><li>Faster builds (up to 40%)</li><li>New regions: Zürich and São Paulo</li>
<li>Dark mode for the dashboard</li></ul>
<p><img src="https://cdn.example.com/hero.png" alt="A chart of build times"></p>
<p>Read the <a href="https://acme.example.com/blog/june">full post</a> or
<a href="https://acme.example.com/changelog">the changelog</a>.</p>
<p style="font-size:11px">Acme Inc., 1 Main St. <a href="https://acme.example.com/unsub">Unsubscribe</a></p>
</td></tr></table></body></html>"""

VERIFICATION = """<html><body><p>Hi there,</p><p>Your verification code is</p>
<p style="font-size:28px;letter-spacing:6px"><strong>482915</strong></p>
<p>Or confirm with this link:
<a href="https://app.example.com/verify?token=Zx81kQ">Confirm my email</a></p>
<p>The code expires in 10 minutes.</p></body></html>"""


@dataclass
class Scene:
    """A running sandbox and an app pointed at it, both at the frozen time."""

    server: SandboxServer
    app: TempMailApp
    email: str


def build_scene(directory: Path, *, low_quota: bool = False) -> Scene:
    """Start a sandbox with a known mailbox and mail, and an app that already knows the box."""
    server = SandboxServer(api_key=SCENE_KEY, smtp_port=None)
    server.start()
    state = server.state
    state.set_clock(lambda: FROZEN)
    state.set_quota(
        limit=50_000,
        used=49_700 if low_quota else 1_240,
        reset_at=datetime(2026, 7, 1, tzinfo=UTC),
    )
    box = state.create_mailbox(username="qa-signup", domain="inbox.test")
    state.deliver(
        box.email,
        subject="Your order #88231 has shipped",
        from_name="Parcel Co",
        from_email="track@parcel.example",
        text="Tracking: 1Z999AA10123456784\nExpected: Tue 30 Jun\n",
        received_at=FROZEN - timedelta(hours=20),
    )
    state.deliver(
        box.email,
        subject="Acme Cloud — what's new in June",
        from_name="Acme Cloud",
        from_email="news@acme.example.com",
        html=NEWSLETTER,
        attachments=[("release-notes.txt", b"Acme Cloud release notes\n" * 20)],
        received_at=FROZEN - timedelta(minutes=42),
    )
    state.deliver(
        box.email,
        subject="482915 is your verification code",
        from_name="Example App",
        from_email="no-reply@app.example.com",
        html=VERIFICATION,
        received_at=FROZEN - timedelta(minutes=2),
    )
    directory.mkdir(parents=True, exist_ok=True)
    remember_mailbox(
        Mailbox(
            id=box.id,
            email=box.email,
            domain=box.domain,
            created_at=box.created_at,
            expire_at=box.expire_at,
            expires_in_seconds=600,
            email_token=box.email_token,
        ),
        store_path=directory / "store.sqlite3",
    )
    config = Config(
        base_url=server.base_url,
        api_key=SCENE_KEY,
        api_key_source="flag",
        download_dir=directory / "downloads",
        bell=False,
    )
    app = TempMailApp(config, store_path=directory / "store.sqlite3", clock=lambda: FROZEN)
    return Scene(server, app, box.email)


async def _until(pilot: Pilot[object], ready: Callable[[], object], tries: int = 100) -> None:
    """Let the app run until ``ready()`` holds, or ``tries`` pauses of 50 ms have passed."""
    for _ in range(tries):
        if ready():
            return
        await pilot.pause(0.05)


async def settle(pilot: Pilot[object], scene: Scene) -> None:
    """Wait until the boxes (the archive too) are read and the first poll has filled the list."""
    from tempmail_tui.ui.widgets.message_table import MessageTable

    def ready() -> bool:
        # The auto-pilot may start before the nested widgets are mounted.
        tables = scene.app.main.query(MessageTable)
        service = scene.app.service
        listed = scene.app.main.archive_listed  # start-up's second read (the archive) is in
        return bool(
            tables and tables.first().row_count == 3 and service and service.quota and listed
        )

    await _until(pilot, ready, 200)
    await pilot.pause(0.2)


async def open_newsletter(pilot: Pilot[object], scene: Scene) -> None:
    """Open the HTML newsletter in the reader."""
    from tempmail_tui.ui.widgets.reader import ReaderPane

    await settle(pilot, scene)
    await pilot.press("down", "enter")
    await _until(pilot, lambda: scene.app.main.query_one(ReaderPane).rendered is not None, 200)
    await _drawn_after_open(pilot, scene)
    await pilot.pause(0.2)


async def _drawn_after_open(pilot: Pilot[object], scene: Scene) -> None:
    """Wait until the open mail's row, the counts and the quota are redrawn (a frame later)."""
    from tempmail_tui.ui.widgets.message_table import MessageTable
    from tempmail_tui.ui.widgets.reader import ReaderPane

    opened = scene.app.main.query_one(ReaderPane).message

    def drawn_read() -> bool:
        row = scene.app.main.query_one(MessageTable).drawn_from(opened.id) if opened else None
        return row is None or row.is_seen

    await _until(pilot, drawn_read)


async def rename_dialog(pilot: Pilot[object], scene: Scene) -> None:
    """Open the rename dialog."""
    await settle(pilot, scene)
    # The domains are fetched (and counted in the quota) before `r`, and the bar given a
    # tick to show it: otherwise the picture depends on whether a tick fell between the
    # request and the dialog (the bar behind a dialog is not redrawn).
    service = scene.app.service
    assert service is not None
    await scene.app.io.run(service.domains())
    await pilot.pause(1.2)
    await pilot.press("r")
    await _until(pilot, lambda: scene.app.screen.query(Input))
    # A blinking cursor would make every picture of the dialog differ.
    for field in scene.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause(0.3)


async def save_dialog(pilot: Pilot[object], scene: Scene) -> None:
    """Open the save dialog on the newsletter's attachment."""
    from textual.widgets import OptionList

    from tempmail_tui.ui.screens.dialogs import SaveDialog

    # What opening the mail changed is drawn a frame after its body; open_newsletter waits
    # for it, as the screen behind a dialog is not redrawn.
    await open_newsletter(pilot, scene)
    await pilot.press("s")
    await _until(
        pilot,
        lambda: (
            isinstance(scene.app.screen, SaveDialog) and isinstance(scene.app.focused, OptionList)
        ),
    )
    await pilot.pause(0.2)


SHOTS: dict[str, tuple[Callable[[Pilot[object], Scene], Awaitable[None]], bool]] = {
    "main": (settle, False),
    "reading-html": (open_newsletter, False),
    "rename-dialog": (rename_dialog, False),
    "save-dialog": (save_dialog, False),
    "quota-warning": (settle, True),
}


async def _shoot(name: str, target: Path, size: tuple[int, int]) -> None:
    import tempfile

    action, low = SHOTS[name]
    with tempfile.TemporaryDirectory() as tmp:
        # Paths on screen are shown from ~: a home in the scene keeps them short and stable.
        os.environ["HOME"] = tmp
        scene = build_scene(Path(tmp), low_quota=low)
        try:
            async with scene.app.run_test(size=size) as pilot:
                await action(pilot, scene)  # type: ignore[arg-type]
                scene.app.save_screenshot(filename=f"{name}.svg", path=str(target))
        finally:
            scene.server.stop()


def main(argv: list[str] | None = None) -> int:
    """Write every scene as an SVG into the folder given (default ``screenshots``)."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0] if args else "screenshots")
    target.mkdir(parents=True, exist_ok=True)
    for name in SHOTS:
        asyncio.run(_shoot(name, target, (120, 36)))
        print(f"wrote {target / (name + '.svg')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
