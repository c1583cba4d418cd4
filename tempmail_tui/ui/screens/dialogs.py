"""Modal dialogs: confirm, rename, labels, add an address, save, links (the key: key_dialog)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from tempmail_tui.api.models import Attachment, Domain
from tempmail_tui.core.format import display_path, human_size
from tempmail_tui.core.labels import LabelError, parse_label_list
from tempmail_tui.core.reading import NumberedLink
from tempmail_tui.core.sanitize import clean_line

USERNAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$")
EMAIL_RE = re.compile(r"^[^\s@/?#\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")


def username_problem(value: str) -> str | None:
    """Why a user name would be refused, or None when it is acceptable."""
    if not value:
        return "Enter a user name."
    if not USERNAME_RE.match(value):
        return "Use 1-64 letters, digits, dots, dashes or underscores (not at the ends)."
    if ".." in value:
        return "A user name cannot contain two dots in a row."
    return None


def address_problem(value: str) -> str | None:
    """Why an address typed by hand would be refused, or None when it looks valid."""
    if not value:
        return "Enter an address such as name@example.com."
    if not EMAIL_RE.match(value) or "." not in value.rpartition("@")[2]:
        return "That does not look like an address (name@domain)."
    return None


class _Dialog(ModalScreen[object]):
    """Common behaviour: Escape cancels and the styles live in dialogs.tcss."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        # A field or list focused keeps its own left and right: these reach only buttons.
        Binding("left", "step_button(-1)", "Previous button", show=False),
        Binding("right", "step_button(1)", "Next button", show=False),
    ]

    def action_cancel(self) -> None:
        """Close without a result."""
        self.dismiss(None)

    def action_step_button(self, step: int) -> None:
        """Move the focus to the button beside the focused one."""
        focused = self.focused
        if not isinstance(focused, Button):
            return
        buttons = list(focused.parent.query_children(Button)) if focused.parent else [focused]
        index = (buttons.index(focused) + step) % len(buttons)
        buttons[index].focus()


class FormDialog(_Dialog):
    """A dialog with fields, an OK button (id ``ok``) and Cancel: Enter or OK submits."""

    def _submit(self) -> None:
        """Validate the fields and dismiss with the result, or show what is wrong."""
        raise NotImplementedError

    def _problem(self, text: str) -> None:
        """Show why the input cannot be accepted."""
        self.query_one("#error", Static).update(Text(text))

    @staticmethod
    def _form_end(ok: str) -> ComposeResult:
        """The line that says what is wrong, then OK (named ``ok``) and Cancel."""
        yield Static(id="error", classes="dialog-error")
        with Horizontal(classes="buttons"):
            yield Button(ok, variant="primary", id="ok")
            yield Button("Cancel", id="cancel")

    @on(Input.Submitted)
    def _entered(self) -> None:
        self._submit()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)


class ConfirmDialog(_Dialog):
    """Ask a yes/no question; dismisses with True or None."""

    BINDINGS = [
        *_Dialog.BINDINGS,
        Binding("y", "confirm", "Yes", show=False),
        Binding("n", "cancel", "No", show=False),
    ]

    def __init__(self, title: str, question: Text, *, confirm_label: str = "Delete") -> None:
        super().__init__()
        self._title, self._question, self._confirm_label = title, question, confirm_label

    def compose(self) -> ComposeResult:
        """A question and two buttons."""
        with Vertical(classes="dialog"):
            yield Label(self._title, classes="dialog-title")
            yield Static(self._question, classes="dialog-text")
            with Horizontal(classes="buttons"):
                yield Button(self._confirm_label, variant="error", id="confirm")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        """Focus Cancel so a stray Enter does not delete anything."""
        self.query_one("#cancel", Button).focus()

    def action_confirm(self) -> None:
        """Answer yes."""
        self.dismiss(True)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(True if event.button.id == "confirm" else None)


@dataclass(frozen=True, slots=True)
class RenameRequest:
    """A new user name and domain for a mailbox."""

    username: str
    domain: str


class RenameDialog(FormDialog):
    """Choose a new user name and a domain; validated before anything is sent."""

    def __init__(self, current: str, domains: Sequence[Domain]) -> None:
        super().__init__()
        self._current = current
        self._domains = list(domains)

    def compose(self) -> ComposeResult:
        """A name input, a domain picker and buttons."""
        user, _, domain = self._current.rpartition("@")
        names = [d.domain for d in self._domains]
        options = [
            (Text(f"{clean_line(d.domain)}  ({clean_line(d.type)})"), d.domain)
            for d in self._domains
        ]
        with Vertical(classes="dialog"):
            yield Label("Rename or switch mailbox", classes="dialog-title")
            yield Static(Text(f"Current: {clean_line(self._current)}"), classes="dialog-text")
            yield Input(value=clean_line(user), placeholder="user name", id="username")
            yield Select(
                options,
                value=domain if domain in names else (names[0] if names else Select.BLANK),
                allow_blank=not names,
                id="domain",
            )
            yield from self._form_end("Rename")

    def on_mount(self) -> None:
        """Start in the name field."""
        self.query_one("#username", Input).focus()

    def _submit(self) -> None:
        username = self.query_one("#username", Input).value.strip()
        domain = self.query_one("#domain", Select).value
        problem = username_problem(username)
        if problem is None and not isinstance(domain, str):
            problem = "Choose a domain."
        if problem is not None:
            self._problem(problem)
            return
        assert isinstance(domain, str)
        self.dismiss(RenameRequest(username, domain))


@dataclass(frozen=True, slots=True)
class LabelEdit:
    """A box's labels as the user left them (empty: no labels)."""

    labels: tuple[str, ...]


class LabelDialog(FormDialog):
    """Edit a mailbox's labels as one line separated by commas; a bad one is said inline."""

    def __init__(self, email: str, labels: Sequence[str]) -> None:
        super().__init__()
        self._email = email
        self._labels = tuple(labels)

    def compose(self) -> ComposeResult:
        """The address, a field holding the labels, and buttons."""
        with Vertical(classes="dialog"):
            yield Label("Labels", classes="dialog-title")
            about = Text("What ")
            about.append(clean_line(self._email), style="bold")
            about.append(
                " is for (a site, a test run, a ticket), to find it later: labels separated "
                "by commas, none to clear them."
            )
            yield Static(about, classes="dialog-text")
            yield Input(
                value=", ".join(clean_line(label) for label in self._labels),
                placeholder="shop.example, run 42, TICKET-123",
                id="labels",
                # Labels are added to more often than replaced: the cursor waits after them.
                select_on_focus=False,
            )
            yield from self._form_end("Save")

    def on_mount(self) -> None:
        """Start in the field."""
        self.query_one("#labels", Input).focus()

    def _submit(self) -> None:
        try:
            labels = parse_label_list(self.query_one("#labels", Input).value)
        except LabelError as error:
            # The dialog stays open with what was typed; the box keeps its labels.
            text = str(error)
            self._problem(text[:1].upper() + text[1:] + ".")
            return
        self.dismiss(LabelEdit(labels))


class AddressDialog(FormDialog):
    """Type an existing address to follow."""

    def compose(self) -> ComposeResult:
        """An address input and buttons."""
        with Vertical(classes="dialog"):
            yield Label("Add an existing address", classes="dialog-title")
            yield Static(
                Text("The address must belong to this API key's account."), classes="dialog-text"
            )
            yield Input(placeholder="name@example.com", id="address")
            yield from self._form_end("Add")

    def on_mount(self) -> None:
        """Start in the address field."""
        self.query_one("#address", Input).focus()

    def _submit(self) -> None:
        value = self.query_one("#address", Input).value.strip()
        problem = address_problem(value)
        if problem is not None:
            self._problem(problem)
            return
        self.dismiss(value.lower())


ALL = "__all__"

#: Seconds after which a digit typed in the links dialog starts a new number.
DIGIT_PAUSE = 1.5


class SaveDialog(_Dialog):
    """Choose one attachment or all of them; dismisses with the chosen list."""

    def __init__(self, attachments: Sequence[Attachment], directory: Path) -> None:
        super().__init__()
        self._attachments = list(attachments)
        self._directory = directory

    def compose(self) -> ComposeResult:
        """The list of attachments with an "all" entry first."""
        total = sum(max(0, a.size) for a in self._attachments)
        options: list[Option] = []
        if len(self._attachments) > 1:
            label = Text(f"All {len(self._attachments)} attachments  ({human_size(total)})")
            options.append(Option(label, id=ALL))
        for index, attachment in enumerate(self._attachments):
            label = Text(clean_line(attachment.name, max_chars=120) or "(unnamed)")
            label.append(f"  {human_size(attachment.size)}", style="dim")
            options.append(Option(label, id=str(index)))
        with Vertical(classes="dialog"):
            yield Label("Save attachments", classes="dialog-title")
            yield Static(Text(f"Into {display_path(self._directory)}"), classes="dialog-text")
            yield OptionList(*options, id="choices")
            yield Static(Text("Enter saves · Esc cancels", style="dim"), classes="dialog-text")

    def on_mount(self) -> None:
        """Start on the first choice."""
        self.query_one("#choices", OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == ALL:
            self.dismiss(list(self._attachments))
        else:
            self.dismiss([self._attachments[int(event.option.id or 0)]])


log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LinkChoice:
    """A link picked in the links dialog and what to do with it."""

    url: str
    open: bool


class LinksDialog(_Dialog):
    """The message's web links, numbered as in the body; Enter copies, o opens."""

    BINDINGS = [
        *_Dialog.BINDINGS,
        Binding("o", "open", "Open in browser"),
        *(Binding(str(d), f"digit({d})", f"Link number {d}", show=False) for d in range(10)),
    ]

    def __init__(self, links: Sequence[NumberedLink]) -> None:
        super().__init__()
        self._links = list(links)
        # The digits typed so far and when the last came (a pause starts a new number).
        self._typed = ""
        self._typed_at = 0.0

    def compose(self) -> ComposeResult:
        """The numbered list, the best link marked."""
        options = []
        for index, link in enumerate(self._links):
            label = Text()
            label.append(f"[{link.number}] " if link.number else "[★] ", style="bold")
            if link.best:
                label.append("★ ", style="bold yellow")
            label.append(link.url)
            options.append(Option(label, id=str(index)))
        with Vertical(classes="dialog wide"):
            yield Label(Text(f"Links ({len(self._links)})"), classes="dialog-title")
            yield OptionList(*options, id="links")
            yield Static(
                Text(
                    "Enter or its number copies · o opens in the browser · Esc closes", style="dim"
                ),
                classes="dialog-text",
            )

    def on_mount(self) -> None:
        """Start on the best link, else the first."""
        links = self.query_one("#links", OptionList)
        best = next((i for i, link in enumerate(self._links) if link.best), 0)
        links.highlighted = best if self._links else None
        links.focus()

    def _current(self) -> NumberedLink | None:
        index = self.query_one("#links", OptionList).highlighted
        return self._links[index] if index is not None and self._links else None

    def action_digit(self, digit: int) -> None:
        """Pick link [n] by its number: at once when no longer number starts so, else highlight."""
        now = time.monotonic()
        typed = (self._typed if now - self._typed_at < DIGIT_PAUSE else "") + str(digit)
        if not self._starting(typed):
            typed = str(digit)  # a fresh number, not the end of the last one
        self._typed, self._typed_at = typed, now
        starting = self._starting(typed)
        if not starting:
            self.notify(f"No link [{typed}].", severity="warning", timeout=2, markup=False)
            self._typed = ""
            return
        exact = next((i for i in starting if self._links[i].number == int(typed)), None)
        if exact is not None and len(starting) == 1:
            self.dismiss(LinkChoice(self._links[exact].url, open=False))
            return
        self.query_one("#links", OptionList).highlighted = starting[0] if exact is None else exact

    def _starting(self, typed: str) -> list[int]:
        """The links whose number starts with these digits."""
        return [
            index
            for index, link in enumerate(self._links)
            if link.number and str(link.number).startswith(typed)
        ]

    def action_open(self) -> None:
        """Open the highlighted link."""
        link = self._current()
        if link is not None:
            self.dismiss(LinkChoice(link.url, open=True))

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(LinkChoice(self._links[int(event.option.id or 0)].url, open=False))
