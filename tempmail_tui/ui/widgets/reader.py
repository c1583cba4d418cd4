"""The reader pane: headers, the body as plain text, and the attachments."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tempmail_tui.core.format import full_local_time, human_size
from tempmail_tui.core.reading import ReadingAids
from tempmail_tui.core.render import Rendered
from tempmail_tui.core.sanitize import clean_line, clean_text
from tempmail_tui.core.store import StoredMessage

# Beyond this the pane shows a cut body: laying out megabytes of text would stall the UI.
MAX_SHOWN_CHARS = 400_000


def header_text(message: StoredMessage) -> Text:
    """The header block of a message, every field cleaned."""
    text = Text()
    rows = (
        ("From", clean_line(message.sender, max_chars=300)),
        ("To", clean_line(message.to, max_chars=300)),
        ("Date", full_local_time(message.received_at)),
        ("Subject", clean_line(message.subject, max_chars=1000) or "(no subject)"),
    )
    for label, value in rows:
        text.append(f"{label:>8}: ", style="bold")
        text.append(value)
        text.append("\n")
    if message.archived:
        text.append(
            "          archived: no longer on the server, shown from the local store\n",
            style="italic dim",
        )
    text.rstrip()
    return text


def attachments_text(message: StoredMessage) -> Text:
    """The attachment list with sizes, or an empty text."""
    text = Text()
    if not message.attachments:
        return text
    text.append(f"Attachments ({len(message.attachments)}) — press s to save\n", style="bold")
    for index, attachment in enumerate(message.attachments, start=1):
        name = clean_line(attachment.name, max_chars=200) or "(unnamed)"
        text.append(f"  {index}. ")
        text.append(name)
        text.append(f"  {human_size(attachment.size)}\n", style="dim")
    text.rstrip()
    return text


def aids_text(aids: ReadingAids) -> Text:
    """The line above the body with the best code and how many links there are."""
    text = Text()
    if aids.code:
        text.append(" Code ", style="bold reverse")
        text.append(f" {aids.code} ", style="bold")
        text.append(" c copies it", style="dim")
    if aids.links:
        if aids.code:
            text.append("   ")
        count = len(aids.links)
        text.append(f"{count} link{'s' * (count != 1)}", style="bold")
        text.append(" · l lists them", style="dim")
    return text


def body_text(rendered: Rendered) -> Text:
    """The body to show, cut with a notice when it is too long to lay out quickly."""
    body = rendered.text
    text = Text()
    if rendered.notice:
        text.append(clean_line(rendered.notice) + "\n\n", style="italic yellow")
    if len(body) > MAX_SHOWN_CHARS:
        text.append(body[:MAX_SHOWN_CHARS])
        text.append(
            f"\n\n[… cut: {len(body) - MAX_SHOWN_CHARS:,} more characters not shown]",
            style="italic yellow",
        )
    else:
        text.append(body or "(empty message)")
    return text


def source_text(message: StoredMessage) -> Text:
    """The raw content as received (cleaned of control sequences), for the source view."""
    raw = clean_text(message.content, max_chars=MAX_SHOWN_CHARS)
    kind = "HTML" if message.is_html else "plain text"
    text = Text(f"Raw source ({kind}, {len(message.content):,} characters)\n\n", style="italic")
    text.append(raw)
    return text


class ReaderPane(VerticalScroll):
    """A scrollable pane showing one message."""

    can_focus = True

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.message: StoredMessage | None = None
        self.rendered: Rendered | None = None
        self.aids: ReadingAids | None = None
        self.show_source = False
        self.border_title = "Reader"

    def compose(self) -> ComposeResult:
        """The header, attachment and body blocks."""
        yield Static(id="headers")
        yield Static(id="attachments")
        yield Static(id="aids")
        yield Static(Text("Select a message and press Enter to read it.", style="dim"), id="body")

    def show_message(
        self, message: StoredMessage, rendered: Rendered | None, aids: ReadingAids | None = None
    ) -> None:
        """Show a message; ``rendered`` is None while its body is still being converted."""
        same = self.message is not None and self.message.id == message.id
        self.message, self.rendered, self.aids = message, rendered, aids
        if not same:
            self.show_source = False
        self._refresh_view(scroll_home=not same)

    def toggle_source(self) -> bool:
        """Switch between the readable body and the raw source; True if now showing source."""
        if self.message is None:
            return False
        self.show_source = not self.show_source
        self._refresh_view(scroll_home=True)
        return self.show_source

    def clear_message(self, hint: str = "No message selected.") -> None:
        """Empty the pane."""
        self.message, self.rendered, self.aids = None, None, None
        self.query_one("#headers").display = False
        self.query_one("#attachments").display = False
        self.query_one("#aids").display = False
        self.query_one("#body", Static).update(Text(hint, style="dim"))
        self.border_subtitle = ""

    def _refresh_view(self, *, scroll_home: bool) -> None:
        """Redraw the blocks from the current message."""
        message = self.message
        if message is None:
            return
        headers = self.query_one("#headers", Static)
        headers.update(header_text(message))
        headers.display = True
        attachments = self.query_one("#attachments", Static)
        attachments.update(attachments_text(message))
        attachments.display = bool(message.attachments)
        aids = self.query_one("#aids", Static)
        aids_line = aids_text(self.aids) if self.aids is not None else Text()
        aids.update(aids_line)
        aids.display = bool(aids_line) and not self.show_source
        body = self.query_one("#body", Static)
        if self.show_source:
            body.update(source_text(message))
            self.border_subtitle = "source · v for text"
        elif self.rendered is None:
            body.update(Text("Converting…", style="dim italic"))
            self.border_subtitle = ""
        else:
            body.update(body_text(self.rendered))
            self.border_subtitle = (
                "HTML as text · v for source" if message.is_html else "plain text · v for source"
            )
        if scroll_home:
            self.scroll_home(animate=False)
