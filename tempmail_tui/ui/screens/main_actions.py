"""What the main screen's keys do to boxes and messages: create, rename, delete, save, copy."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.widgets import Static

from tempmail_tui.core.format import display_path, human_size
from tempmail_tui.core.sanitize import clean_line
from tempmail_tui.core.store import MessageSummary
from tempmail_tui.ui.events import BoxesChanged, SaveProgress
from tempmail_tui.ui.failures import guarded
from tempmail_tui.ui.screens.main_view import MailView
from tempmail_tui.ui.widgets.message_table import MessageTable
from tempmail_tui.ui.widgets.reader import ReaderPane

#: Seconds between two progress lines of a save.
PROGRESS_EVERY = 0.1


@dataclass
class ProgressLines:
    """A save's progress callback: posts the line to show, at most ten times a second."""

    name: str
    post: Callable[[SaveProgress], object]
    shown: float = field(default=-PROGRESS_EVERY)

    def __call__(self, done: int, total: int | None) -> None:
        """Called on the I/O thread: post the line, never wait for the UI there."""
        now = time.monotonic()
        # A fast download must not flood the queue; the last line always shows.
        if now - self.shown < PROGRESS_EVERY and done != total:
            return
        self.shown = now
        share = f" ({done * 100 // total}%)" if total else ""
        line = f"Saving {self.name}: {human_size(done)}"
        line += f" of {human_size(total)}{share}" if total else ""
        self.post(SaveProgress(line))


class MailActions(MailView):
    """The part of the main screen that acts on the user's keys, through the service only."""

    # Boxes -----------------------------------------------------------------------------

    @work(group="action")
    async def action_new_box(self) -> None:
        """Create a random mailbox and select it."""
        if not self._ready():
            return
        service = self.host.service
        assert service is not None
        try:
            box = await self.host.io.run(service.create_mailbox())
        except Exception as error:
            self.report("Creating a mailbox", error)
            return
        self.request_succeeded()
        self.toast(f"Created {box.email} — press y to copy it")
        self.expect_mail(box.email)
        self.post_message(BoxesChanged(select=box.email))
        self.refresh_quota()

    @work(group="action")
    async def action_rename_box(self) -> None:
        """Rename the selected mailbox after choosing a name and domain."""
        # Dialogs load on first use: their widgets are not on the first frame.
        from tempmail_tui.ui.screens.dialogs import RenameDialog, RenameRequest

        box = self.selected_box()
        if not self._ready() or box is None:
            return
        if box not in self.live_boxes():
            self.toast("This mailbox is no longer live; it cannot be renamed.", severity="warning")
            return
        service = self.host.service
        assert service is not None
        try:
            domains = await self.host.io.run(service.domains())
        except Exception as error:
            self.report("Loading domains", error)
            return
        request = await self.app.push_screen_wait(RenameDialog(box.email, domains.domains))
        if not isinstance(request, RenameRequest):
            return
        try:
            renamed = await self.host.io.run(
                service.rename_mailbox(box.email, request.username, request.domain)
            )
        except Exception as error:
            self.report("Renaming the mailbox", error)
            return
        self.request_succeeded()
        self.toast(f"Renamed to {renamed.email}")
        self.expect_mail(renamed.email)
        self.post_message(BoxesChanged(select=renamed.email))
        self.refresh_quota()

    @work(group="action")
    async def action_delete_box(self) -> None:
        """Delete the selected mailbox on the server after confirming."""
        # Dialogs load on first use: their widgets are not on the first frame.
        from tempmail_tui.ui.screens.dialogs import ConfirmDialog

        box = self.selected_box()
        if not self._ready() or box is None:
            return
        if not self.is_live(box.email):
            # Gone from the server already: what is left to delete is the copy here.
            self.forget_box(box.email)
            return
        question = Text("Delete ")
        question.append(clean_line(box.email), style="bold")
        question.append(" on the server?\nIts mail stays readable here as archived.")
        if await self.app.push_screen_wait(ConfirmDialog("Delete mailbox", question)) is not True:
            return
        service = self.host.service
        assert service is not None
        try:
            await self.host.io.run(service.delete_mailbox(box.email))
        except Exception as error:
            self.report("Deleting the mailbox", error)
            return
        self.request_succeeded()
        self.toast(f"Deleted {box.email}")
        self.post_message(BoxesChanged())
        self.refresh_quota()

    @work(group="action")
    async def forget_box(self, email: str) -> None:
        """Remove an archived box and its stored mail from this machine, after confirming."""
        # Dialogs load on first use: their widgets are not on the first frame.
        from tempmail_tui.ui.screens.dialogs import ConfirmDialog

        service = self.host.service
        assert service is not None
        try:
            archived = await self.host.io.run(service.archive.box(email))
        except Exception as error:
            self.report("Reading the archived mailbox (on this machine)", error)
            return
        count = archived.messages
        mail = f"{count} stored message{'s' * (count != 1)}"
        question = Text("Forget ")
        question.append(clean_line(email), style="bold")
        gone = {"expired": "It expired", "deleted": "It was deleted"}.get(
            archived.state, "It is gone"
        )
        question.append(f" on this machine?\n{gone} on the server; its {mail}")
        question.append(" go with it." if count != 1 else " goes with it.")
        dialog = ConfirmDialog("Forget mailbox locally", question, confirm_label="Forget")
        if await self.app.push_screen_wait(dialog) is not True:
            return
        try:
            await self.host.io.run(service.archive.forget([email]))
        except Exception as error:
            self.report("Forgetting the mailbox (on this machine)", error)
            return
        self.toast(f"Forgot {email} and its {mail}")
        self.post_message(BoxesChanged())

    @work(group="action")
    async def action_label_box(self) -> None:
        """Label the selected mailbox with what it is for (a site, a test run, a ticket)."""
        # Dialogs load on first use: their widgets are not on the first frame.
        from tempmail_tui.ui.screens.dialogs import LabelDialog, LabelEdit

        box = self.selected_box()
        if not self._ready():
            return
        if box is None:
            self.toast("Highlight a mailbox to label first.")
            return
        edit = await self.app.push_screen_wait(LabelDialog(box.email, box.labels))
        if not isinstance(edit, LabelEdit) or edit.labels == box.labels:
            return
        service = self.host.service
        assert service is not None
        try:
            # Local only (no request): archived boxes can be labelled too.
            await self.host.io.run(service.set_labels(box.email, edit.labels))
        except Exception as error:
            self.report("Labelling the mailbox (on this machine)", error)
            return
        shown = ", ".join(edit.labels) if edit.labels else "no labels"
        self.toast(f"{box.email}: {shown}", timeout=3)
        self.post_message(BoxesChanged(select=box.email))

    @work(group="action")
    async def action_add_address(self) -> None:
        """Follow an existing address typed by hand."""
        # Dialogs load on first use: their widgets are not on the first frame.
        from tempmail_tui.ui.screens.dialogs import AddressDialog

        if not self._ready():
            return
        address = await self.app.push_screen_wait(AddressDialog())
        if not isinstance(address, str):
            return
        service = self.host.service
        assert service is not None
        try:
            box = await self.host.io.run(service.add_address(address))
        except Exception as error:
            self.report(f"Adding {address}", error)
            return
        self.request_succeeded()
        self.toast(f"Added {box.email}")
        self.post_message(BoxesChanged(select=box.email))

    def action_copy_address(self) -> None:
        """Copy the selected mailbox's address to the clipboard (OSC 52, works over SSH)."""
        email = self.selected_email
        if email is None:
            self.toast("No mailbox selected.")
            return
        self.app.copy_to_clipboard(email)
        self.toast(f"Copied {email}")
        if self.is_live(email):
            self.expect_mail(email)

    # Messages --------------------------------------------------------------------------

    @work(group="action")
    async def action_delete_message(self) -> None:
        """Delete the message under the cursor after confirming."""
        # Dialogs load on first use: their widgets are not on the first frame.
        from tempmail_tui.ui.screens.dialogs import ConfirmDialog

        message = self.current_message()
        if not self._ready() or message is None:
            return
        question = Text("Delete the message ")
        question.append(clean_line(message.subject, max_chars=80) or "(no subject)", style="bold")
        question.append("?")
        if await self.app.push_screen_wait(ConfirmDialog("Delete message", question)) is not True:
            return
        service = self.host.service
        assert service is not None
        try:
            await self.host.io.run(service.delete_message(message.id))
        except Exception as error:
            self.report("Deleting the message", error)
            return
        self.request_succeeded()
        self.messages.pop(message.id, None)
        self.query_one(MessageTable).show(message.mailbox, self._ordered(), self.host.clock())
        reader = self.query_one(ReaderPane)
        if reader.message is not None and reader.message.id == message.id:
            reader.clear_message("Message deleted.")
        self.toast("Message deleted")
        self.refresh_quota()

    @work(group="save")
    async def action_save_attachments(self) -> None:
        """Save one or all attachments of the open (or highlighted) message."""
        # Dialogs load on first use: their widgets are not on the first frame.
        from tempmail_tui.ui.screens.dialogs import SaveDialog

        reader = self.query_one(ReaderPane)
        message = reader.message or self.current_message()
        if not self._ready() or message is None:
            return
        if not message.attachments:
            self.toast("This message has no attachments.")
            return
        gone = self._attachments_gone(message)
        if gone is not None:
            # Attachments are fetched on save: said now, not as a 404 after the dialog.
            self.toast(gone, severity="warning", timeout=8)
            return
        directory = self.host.config.download_dir
        chosen = await self.app.push_screen_wait(SaveDialog(message.attachments, directory))
        if not isinstance(chosen, list) or not chosen:
            return
        service = self.host.service
        assert service is not None
        transfer = self.query_one("#transfer", Static)
        saved: list[Path] = []
        for attachment in chosen:
            name = clean_line(attachment.name, max_chars=80) or "attachment"
            transfer.display = True
            transfer.update(Text(f"Saving {name}…"))

            progress = ProgressLines(name, self.post_message)

            try:
                path = await self.host.io.run(
                    service.save_attachment(message.id, attachment, directory, progress)
                )
            except Exception as error:
                self.report(f"Saving {name}", error)
                continue
            self.request_succeeded()
            saved.append(path)
        transfer.display = False
        if saved:
            names = ", ".join(clean_line(p.name, max_chars=60) for p in saved)
            self.toast(f"Saved {names} in {display_path(directory)}", timeout=8)
        self.refresh_quota()

    def _attachments_gone(self, message: MessageSummary) -> str | None:
        """Why a message's attachments can no longer be fetched (None: they can)."""
        if not self.is_live(message.mailbox):
            return (
                f"The attachments are no longer on the server: {message.mailbox} is archived "
                "(expired or deleted), and only the message's text is kept here."
            )
        if message.archived:
            return (
                "The attachments are no longer on the server: the message was deleted there, "
                "and only its text is kept here."
            )
        return None

    @on(SaveProgress)
    @guarded("Showing the save's progress")
    def _save_progress(self, event: SaveProgress) -> None:
        self.query_one("#transfer", Static).update(Text(event.line))

    def action_copy_code(self) -> None:
        """Copy the open message's verification code (OSC 52)."""
        reader = self.query_one(ReaderPane)
        if reader.message is None:
            self.toast("Open a message first (Enter).")
            return
        if reader.aids is None:
            self.toast("Still reading the message…", timeout=2)
            return
        if not reader.aids.code:
            self.toast("No verification code found in this message.", severity="warning")
            return
        self.app.copy_to_clipboard(reader.aids.code)
        self.toast(f"Copied code {reader.aids.code}")

    @work(group="links")
    async def action_links(self) -> None:
        """List the open message's links; Enter copies one, o opens it."""
        # Dialogs load on first use: their widgets are not on the first frame.
        from tempmail_tui.ui.screens.dialogs import LinkChoice, LinksDialog

        reader = self.query_one(ReaderPane)
        if reader.message is None or reader.aids is None:
            self.toast("Open a message first (Enter).")
            return
        if not reader.aids.links:
            self.toast("This message has no web links.")
            return
        choice = await self.app.push_screen_wait(LinksDialog(reader.aids.links))
        if not isinstance(choice, LinkChoice):
            return
        if choice.open:
            if await self.host.open_in_browser(choice.url):
                self.toast("Opened in the browser", timeout=3)
                return
            self.app.copy_to_clipboard(choice.url)
            self.toast("No browser can be opened here (no display): copied the link instead.")
            return
        self.app.copy_to_clipboard(choice.url)
        self.toast("Copied the link", timeout=3)
