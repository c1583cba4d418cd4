"""Archived boxes in the reader: archive, not traffic (no requests, grouped, forgettable)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static

from tempmail_tui.api.models import Attachment, Mailbox, Message
from tempmail_tui.core.store import Store
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.app import TempMailApp
from tempmail_tui.ui.screens.dialogs import ConfirmDialog, LabelDialog
from tempmail_tui.ui.screens.main import MainScreen
from tempmail_tui.ui.widgets.box_groups import GROUP_PREFIX, SidebarRows, fit_address
from tempmail_tui.ui.widgets.mailbox_list import MailboxList

from .app_helpers import make_app, wait_for
from .test_app import SIZE, sidebar, table

NOW = datetime.now(UTC)
_LOCAL = NOW.astimezone()
#: Minutes before NOW the timed-out box ended: 5, or less just after local midnight, so it
#: still ended today (a run at 00:03 put it under yesterday's group).
TIMED_OUT_AGO = min(
    5.0, (_LOCAL - _LOCAL.replace(hour=0, minute=0, second=0, microsecond=0)).seconds / 120
)


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A fresh sandbox server (HTTP only)."""
    with SandboxServer(api_key="tmk_test_key_0123456789abcdef", smtp_port=None) as server:
        yield server


def _box(email: str, *, minutes: float = 10) -> Mailbox:
    return Mailbox(
        id=1,
        email=email,
        domain=email.rpartition("@")[2],
        created_at=NOW - timedelta(minutes=20),
        expire_at=NOW + timedelta(minutes=minutes),
        expires_in_seconds=int(minutes * 60),
    )


def _message(mid: str, mailbox: str, *, attachment: bool = False) -> Message:
    attachments = ()
    if attachment:
        url = f"http://127.0.0.1:1/api/messages/{mid}/attachments/report.pdf"
        attachments = (Attachment("report.pdf", "pdf", 1234, url),)
    return Message(
        id=mid,
        subject=f"Subject of {mid}",
        from_name="Sender",
        from_email="sender@example.org",
        to=mailbox,
        received_at=NOW - timedelta(minutes=5),
        is_seen=True,
        is_html=False,
        content="kept here",
        attachments=attachments,
    )


@dataclass
class Seeded:
    """The boxes a test's store starts with."""

    live: str
    deleted: str
    expired: str
    timed_out: str

    @property
    def archived(self) -> list[str]:
        return [self.deleted, self.expired, self.timed_out]


def seed(sandbox: SandboxServer, tmp_path: Path) -> Seeded:
    """A store with one live box (on the sandbox) and three archived ones with mail."""
    live = sandbox.state.create_mailbox().email
    seeded = Seeded(
        live=live,
        deleted="deletedbox@mailsink.test",
        expired="expiredbox@mailsink.test",
        timed_out="timedoutbox@mailsink.test",
    )
    with Store.open(tmp_path / "store.sqlite3") as store:
        for email in seeded.archived:
            # Two ended today (so they are under Today, open); the expired one days ago.
            minutes = {seeded.timed_out: -TIMED_OUT_AGO, seeded.expired: -3 * 24 * 60}.get(
                email, 10
            )
            store.add_mailbox(_box(email, minutes=minutes))
            store.sync_messages(email, [_message(f"m-{email[:4]}", email, attachment=True)])
        store.mark_mailbox_gone(seeded.deleted, "deleted")
        store.mark_mailbox_gone(seeded.expired, "expired")
        store.add_mailbox(_box(live))
    return seeded


def count_listings(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every box the sandbox is asked to list (404s included)."""
    asked: list[str] = []
    original = sandbox.state.list_messages

    def listing(key: str, email: str) -> Any:
        asked.append(email)
        return original(key, email)

    monkeypatch.setattr(sandbox.state, "list_messages", listing)
    return asked


def record_toasts(app: TempMailApp, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the text of every toast the app shows."""
    shown: list[str] = []
    original: Callable[..., None] = app.notify

    def notify(message: str, **kwargs: Any) -> None:
        shown.append(str(message))
        original(message, **kwargs)

    monkeypatch.setattr(app, "notify", notify)
    return shown


def index_of(app: TempMailApp, email: str) -> int:
    return sidebar(app).get_option_index(email)


def option_ids(app: TempMailApp) -> list[str | None]:
    return [o.id for o in sidebar(app).options]


TODAY = GROUP_PREFIX + "day:" + NOW.astimezone().date().isoformat()
OLDER = GROUP_PREFIX + "day:" + (NOW - timedelta(days=3)).astimezone().date().isoformat()


async def open_archive(app: TempMailApp, pilot: Any) -> None:
    """Open every closed group of archived boxes with Enter on its header."""
    sidebar(app).focus()
    for key in [k for k in sidebar(app).shown_ids() if k.startswith(GROUP_PREFIX)]:
        if key not in sidebar(app).open_groups:
            sidebar(app).highlighted = index_of(app, key)
            await pilot.press("enter")
            await wait_for(pilot, lambda k=key: k in sidebar(app).open_groups, what="group open")


async def started(sandbox: SandboxServer, app: TempMailApp, pilot: Any) -> None:
    """Wait until the boxes are listed and the live box's first check is done."""
    await wait_for(pilot, lambda: len(app.main.boxes) == 4, what="boxes listed")
    # Answered by the sandbox (counted in its quota), not only started.
    await wait_for(pilot, lambda: sandbox.state.quota().used >= 1, what="first check")
    await pilot.pause(0.2)


async def test_start_up_lists_the_live_boxes_before_it_reads_the_archive(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded = seed(sandbox, tmp_path)
    # In order: each read of the boxes or counts (archive included or not), each sidebar.
    events: list[tuple[str, object]] = []
    read_boxes, read_counts = Store.mailboxes, Store.unread_counts

    def mailboxes(self: Store, *, include_gone: bool = True) -> Any:
        events.append(("boxes", include_gone))
        return read_boxes(self, include_gone=include_gone)

    def unread_counts(self: Store, *, include_gone: bool = True) -> Any:
        events.append(("counts", include_gone))
        return read_counts(self, include_gone=include_gone)

    show_parts = MailboxList.show_parts

    def shown(self: MailboxList, live: list[Any], archived: list[Any], **kwargs: Any) -> None:
        events.append(("shown", ([r.email for r in live], [r.email for r in archived])))
        show_parts(self, live, archived, **kwargs)

    paint = MainScreen._compositor_refresh

    def painted(self: MainScreen) -> None:
        paint(self)
        events.append(("painted", None))

    monkeypatch.setattr(Store, "mailboxes", mailboxes)
    monkeypatch.setattr(Store, "unread_counts", unread_counts)
    monkeypatch.setattr(MailboxList, "show_parts", shown)
    monkeypatch.setattr(MainScreen, "_compositor_refresh", painted)
    app = make_app(sandbox, tmp_path, background_interval=600)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.main.archive_listed, what="the archive read")
        await pilot.pause()
        assert len(app.main.boxes) == 4
    whole = events.index(("boxes", True))
    before = events[:whole]
    # The first reads leave the gone boxes out, and the sidebar lists the live box (and the
    # one timed out since, still in state live) before any archived box is read.
    reads = [e for e in before if e[0] in ("boxes", "counts")]
    assert reads == [("boxes", False), ("counts", False)]
    listed = [e[1] for e in before if e[0] == "shown"]
    assert listed and listed[0] == ([seeded.live], [seeded.timed_out])
    # ... and the archive is read only once a frame has drawn them.
    first = next(i for i, e in enumerate(before) if e[0] == "shown" and e[1] == listed[0])
    assert ("painted", None) in before[first:]
    # Then the whole archive: every box listed, in its groups.
    assert [e for e in events[whole:] if e[0] in ("boxes", "counts")][:2] == [
        ("boxes", True),
        ("counts", True),
    ]
    last = [e[1] for e in events if e[0] == "shown"][-1]
    assert isinstance(last, tuple) and set(last[1]) == set(seeded.archived)


async def test_highlighting_archived_boxes_sends_no_request_and_shows_no_warning(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded = seed(sandbox, tmp_path)
    app = make_app(sandbox, tmp_path, background_interval=600)
    async with app.run_test(size=SIZE) as pilot:
        await started(sandbox, app, pilot)
        asked = count_listings(sandbox, monkeypatch)
        toasts = record_toasts(app, monkeypatch)
        await open_archive(app, pilot)
        for email in seeded.archived:
            sidebar(app).highlighted = index_of(app, email)
            await wait_for(pilot, lambda e=email: table(app).mailbox == e, what=email)
            assert table(app).row_count == 1  # its stored mail is shown
            await pilot.pause(1.5)
        # The live box keeps its own schedule (every second while the list shows it, as on
        # a group's header, and a slow machine can open the archive past a second): only
        # the archived ones must never be asked about.
        assert not set(asked) & set(seeded.archived), asked
        # `R` (refresh) on an archived box says why nothing is checked, and checks nothing.
        await pilot.press("R")
        # Waited for, not slept for: on a loaded machine the toast can take longer than a
        # fixed pause; a request, had one been sent, would be counted by then too. The live
        # box may be polled meanwhile on its own schedule; the archived ones never are.
        await wait_for(pilot, lambda: any("is archived" in t for t in toasts), what="toast")
        assert not set(asked) & set(seeded.archived), asked
        assert not any("gone from the server (expired" in t for t in toasts), toasts
        # Its attachments are said to be gone before any save dialog, not after a 404.
        sidebar(app).highlighted = index_of(app, seeded.deleted)
        await wait_for(pilot, lambda: table(app).mailbox == seeded.deleted, what="deleted box")
        table(app).focus()
        await pilot.press("s")
        await wait_for(
            pilot, lambda: any("no longer on the server" in t for t in toasts), what="toast"
        )
        await pilot.pause(0.1)
        assert isinstance(app.screen, MainScreen)  # no save dialog
        gone = [t for t in toasts if "no longer on the server" in t]
        assert seeded.deleted in gone[0], toasts
        assert not (tmp_path / "downloads").exists() or not any((tmp_path / "downloads").iterdir())
        # Back on the live box, it is checked again.
        sidebar(app).highlighted = index_of(app, seeded.live)
        await wait_for(pilot, lambda: seeded.live in asked, what="live box checked")


async def test_a_box_deleted_elsewhere_shows_as_deleted_not_expired(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    seeded = seed(sandbox, tmp_path)
    app = make_app(sandbox, tmp_path, background_interval=600)
    async with app.run_test(size=SIZE) as pilot:
        await started(sandbox, app, pilot)
        # The CLI deletes the live box (another connection to the same store).
        sandbox.state.delete_mailbox(sandbox.api_key, seeded.live)
        with Store.open(tmp_path / "store.sqlite3") as other:
            other.mark_mailbox_gone(seeded.live, "deleted")
        await pilot.press("R")  # the reader meets the 404 or the store change first
        await wait_for(
            pilot,
            lambda: not any(b.email == seeded.live and b.is_live for b in app.main.boxes),
            what="box archived",
        )
        await pilot.pause(1.0)
        box = next(b for b in app.main.boxes if b.email == seeded.live)
        assert box.state == "deleted"
        prompt = str(sidebar(app).get_option(seeded.live).prompt)
        assert "deleted" in prompt and "expired" not in prompt


async def test_d_on_an_archived_box_forgets_it_and_its_mail_locally(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded = seed(sandbox, tmp_path)
    app = make_app(sandbox, tmp_path, background_interval=600)
    async with app.run_test(size=SIZE) as pilot:
        await started(sandbox, app, pilot)
        asked = count_listings(sandbox, monkeypatch)
        await open_archive(app, pilot)
        sidebar(app).highlighted = index_of(app, seeded.expired)
        await wait_for(pilot, lambda: table(app).mailbox == seeded.expired, what="expired box")
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirm")
        text = " ".join(str(s.content) for s in app.screen.query(Static))
        assert "Forget" in text and seeded.expired in text
        assert "It expired on the server" in text and "1 stored message goes with it" in text
        await pilot.press("escape")  # cancelled: nothing forgotten
        await pilot.pause(0.3)
        assert any(b.email == seeded.expired for b in app.main.boxes)

        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirm")
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: all(b.email != seeded.expired for b in app.main.boxes),
            what="box forgotten",
        )
        await wait_for(pilot, lambda: table(app).mailbox != seeded.expired, what="list moved on")
        # The list moves on to a box that may be live (and checked); nothing archived is asked.
        assert not set(asked) & set(seeded.archived)
    with Store.open(tmp_path / "store.sqlite3") as store:
        assert store.mailbox(seeded.expired) is None
        assert store.message(f"m-{seeded.expired[:4]}") is None
        assert store.search("Subject") and all(
            m.mailbox != seeded.expired for m in store.search("Subject")
        )


async def test_archived_boxes_are_grouped_by_day_below_the_live_ones_and_collapse(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded = seed(sandbox, tmp_path)
    app = make_app(sandbox, tmp_path, background_interval=600)
    async with app.run_test(size=SIZE) as pilot:
        await started(sandbox, app, pilot)
        asked = count_listings(sandbox, monkeypatch)
        # The live box, then Today open (the newest group) and the older day closed: its
        # box is not even an option.
        assert option_ids(app)[:2] == [seeded.live, TODAY]
        assert set(option_ids(app)[2:4]) == {seeded.deleted, seeded.timed_out}
        assert option_ids(app)[4:] == [OLDER]
        assert "▾ Today (2)" in str(sidebar(app).get_option(TODAY).prompt)
        assert "▸" in str(sidebar(app).get_option(OLDER).prompt)
        assert "(1)" in str(sidebar(app).get_option(OLDER).prompt)
        assert sidebar(app).selected_email == seeded.live

        sidebar(app).focus()
        await pilot.press("down")  # onto a header: the list keeps the live box's mail
        assert sidebar(app).on_header and sidebar(app).selected_email is None
        await pilot.pause(1.2)  # a store reload and a tick pass
        assert sidebar(app).on_header and table(app).mailbox == seeded.live
        # No box is selected, but the one whose mail is shown is still polled fast.
        assert app.main.watched_email() == seeded.live
        await pilot.press("space")  # closes Today
        await wait_for(pilot, lambda: len(option_ids(app)) == 3, what="today closed")
        assert sidebar(app).on_header and "▸ Today" in str(sidebar(app).get_option(TODAY).prompt)
        await pilot.press("right")  # opens it again
        await wait_for(pilot, lambda: len(option_ids(app)) == 5, what="today opened")
        await pilot.press("down")  # into the group
        first = option_ids(app)[2]
        await wait_for(pilot, lambda: table(app).mailbox == first, what="archived box shown")
        assert app.main.watched_email() == first
        await pilot.press("left")  # from a box: up to its header
        assert sidebar(app).on_header
        await pilot.press("left")  # closes it
        await wait_for(pilot, lambda: len(option_ids(app)) == 3, what="today closed by left")
        # Enter on the older day's header opens it.
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: seeded.expired in option_ids(app), what="older opened")
        assert sidebar(app).on_header
        # A click on a header toggles it too.
        await pilot.click(sidebar(app), offset=(3, 3))
        await wait_for(pilot, lambda: len(option_ids(app)) == 6, what="today opened by a click")
        assert not set(asked) & set(seeded.archived)


@pytest.mark.parametrize("size", [(80, 24), (60, 15)])
async def test_long_addresses_are_shortened_in_the_middle_never_wrapped(
    sandbox: SandboxServer, tmp_path: Path, size: tuple[int, int]
) -> None:
    long = sandbox.state.create_mailbox(username="eagermaplesyrupwithpancakes7371").email
    domain = long.rpartition("@")[2]
    with Store.open(tmp_path / "store.sqlite3") as store:
        store.add_mailbox(_box(long))
    app = make_app(sandbox, tmp_path, background_interval=600)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: table(app).mailbox == long, what="box shown")
        await pilot.pause(0.3)
        bar = sidebar(app)
        width = bar.scrollable_content_region.width
        lines = [
            "".join(seg.text for seg in bar.render_line(y)).rstrip() for y in range(bar.size.height)
        ]
        first = lines[0]
        assert "…" in first and first.endswith("@" + domain), lines
        assert first.startswith("eager") and len(first) <= width
        # Nothing of the address spills onto the next line.
        assert not any("7371" in line or "pancakes" in line for line in lines[1:]), lines
        # The full address stays in the list's header.
        assert long in str(table(app).border_title)


@pytest.mark.parametrize(
    ("email", "width", "shown"),
    [
        ("short@mailsink.test", 22, "short@mailsink.test"),
        ("eagermaple7371@mailsink.test", 22, "eager…71@mailsink.test"),
        ("eagermaplesyrupwithpancakes7371@mailsink.test", 24, "eagerm…371@mailsink.test"),
        # A domain that leaves no room for the name: the whole address is cut in the middle.
        ("a@verylongdomainnamehere.example.test", 22, "a@verylongdoma…le.test"),
        ("eagermaple7371@mailsink.test", 0, "eagermaple7371@mailsink.test"),
    ],
)
def test_fit_address_cuts_the_middle_of_the_name(email: str, width: int, shown: str) -> None:
    fitted = fit_address(email, width)
    assert fitted == shown
    assert width == 0 or len(fitted) <= width


async def test_a_box_deleted_with_d_stays_selected_in_the_opened_archive(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    seeded = seed(sandbox, tmp_path)
    app = make_app(sandbox, tmp_path, background_interval=600)
    async with app.run_test(size=SIZE) as pilot:
        await started(sandbox, app, pilot)
        await open_archive(app, pilot)
        # Closed by hand: the deleted box's group (Today) must open again to show it.
        sidebar(app).highlighted = index_of(app, TODAY)
        await pilot.press("enter")
        await wait_for(pilot, lambda: TODAY not in sidebar(app).open_groups, what="closed")
        sidebar(app).highlighted = index_of(app, seeded.live)
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirm")
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: any(b.email == seeded.live and b.state == "deleted" for b in app.main.boxes),
            what="box deleted",
        )
        await pilot.pause(0.5)
        # Now archived, it is still the selected box: the group opened to keep it in view.
        assert TODAY in sidebar(app).open_groups
        assert sidebar(app).selected_email == seeded.live
        assert table(app).mailbox == seeded.live
        assert option_ids(app)[0] == TODAY


async def test_l_labels_a_box_a_bad_label_keeps_the_old_and_t_groups_by_label(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    seeded = seed(sandbox, tmp_path)
    with Store.open(tmp_path / "store.sqlite3") as store:
        store.set_labels(seeded.deleted, ("old label",))
    app = make_app(sandbox, tmp_path, background_interval=600)
    async with app.run_test(size=SIZE) as pilot:
        await started(sandbox, app, pilot)
        sidebar(app).focus()
        sidebar(app).highlighted = index_of(app, seeded.deleted)
        await wait_for(pilot, lambda: table(app).mailbox == seeded.deleted, what="box shown")
        assert "# old label" in str(sidebar(app).get_option(seeded.deleted).prompt)
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, LabelDialog), what="label dialog")
        field = app.screen.query_one("#labels", Input)
        assert field.value == "old label"
        # Typing adds to the labels there: the cursor is after them and nothing is selected.
        await pilot.press(*", checkout")
        assert field.value == "old label, checkout"
        field.value = "checkout, " + "x" * 65
        await pilot.press("enter")
        await pilot.pause(0.2)
        # Refused in the dialog, said there; nothing stored.
        assert isinstance(app.screen, LabelDialog)
        error = str(app.screen.query_one("#error", Static).content)
        assert "A label is at most 64 characters." in error
        with Store.open(tmp_path / "store.sqlite3") as store:
            assert store.mailbox(seeded.deleted).labels == ("old label",)  # type: ignore[union-attr]
        field.value = ""
        await pilot.press(*"ticket 7, shop", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), what="dialog closed")
        await wait_for(
            pilot,
            lambda: "# ticket 7, shop" in str(sidebar(app).get_option(seeded.deleted).prompt),
            what="labels shown",
        )
        with Store.open(tmp_path / "store.sqlite3") as store:
            assert store.mailbox(seeded.deleted).labels == ("ticket 7", "shop")  # type: ignore[union-attr]
        # Grouped by label, the box is found under each of its labels; it stays selected.
        await pilot.press("t")
        await pilot.pause(0.1)
        headers = [i for i in option_ids(app) if i and i.startswith(GROUP_PREFIX)]
        assert headers == [
            GROUP_PREFIX + "label:shop",
            GROUP_PREFIX + "label:ticket 7",
            GROUP_PREFIX + "label:",
        ]
        assert sidebar(app).selected_email == seeded.deleted
        assert "by label" in str(sidebar(app).border_subtitle)
        # `/` from the sidebar filters the boxes by address or label.
        sidebar(app).focus()
        await pilot.press("slash", *"ticket")
        await wait_for(pilot, lambda: seeded.live not in option_ids(app), what="filtered")
        assert {sidebar(app).email_of(i) for i in option_ids(app)} == {None, seeded.deleted}
        assert app.main.filter_text == ""  # the message list is not filtered
        await pilot.press("escape")
        await wait_for(pilot, lambda: seeded.live in option_ids(app), what="filter cleared")
        assert app.focused is sidebar(app)


async def test_reading_an_archived_boxs_mail_updates_its_count_and_ticks_skip_the_archive(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded = seed(sandbox, tmp_path)
    unseen = replace(_message("m-unseen", seeded.deleted), is_seen=False)
    with Store.open(tmp_path / "store.sqlite3") as store:
        store.sync_messages(seeded.deleted, [_message("m-dele", seeded.deleted), unseen])
    app = make_app(sandbox, tmp_path, background_interval=600)
    async with app.run_test(size=SIZE) as pilot:
        await started(sandbox, app, pilot)

        def prompt() -> str:
            return str(sidebar(app).get_option(seeded.deleted).prompt)

        assert "1 unread · archived: deleted" in prompt()
        # Ticks with nothing changed do not walk the archived boxes.
        walks: list[int] = []
        real = SidebarRows._archive

        def counting(self: SidebarRows, *args: Any) -> None:
            walks.append(1)
            real(self, *args)

        monkeypatch.setattr(SidebarRows, "_archive", counting)
        for _ in range(3):
            app.main.refresh_sidebar()
        assert walks == []
        # Reading its unread message: the archived box's count goes, at once.
        sidebar(app).highlighted = index_of(app, seeded.deleted)
        await wait_for(pilot, lambda: table(app).row_count == 2, what="its mail listed")
        table(app).focus()
        table(app).move_cursor(row=[r.value for r in table(app).rows].index("m-unseen"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "unread" not in prompt(), what="count updated")
        assert walks and prompt().endswith("archived: deleted")
