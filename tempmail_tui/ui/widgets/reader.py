"""The reader pane: headers, the body as plain text, and the attachments."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Span, Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.strip import Strip
from textual.visual import VisualType
from textual.widgets import Static

from tempmail_tui.core.format import full_local_time, human_size
from tempmail_tui.core.reading import ReadingAids
from tempmail_tui.core.render import Mark, Rendered, terminal_link
from tempmail_tui.core.sanitize import clean_line, clean_text
from tempmail_tui.core.store import MessageSummary, StoredMessage
from tempmail_tui.ui.keys import SCROLL_KEYS
from tempmail_tui.ui.widgets.body_lines import LongText, long_text, wrap_offsets

# Beyond this the pane shows a cut body: laying out megabytes of text would stall the UI.
MAX_SHOWN_CHARS = 400_000
# A longer body is wrapped here and drawn a line at a time, as it scrolls into view: laid
# out whole by Static, a 300 KB newsletter's text held the UI for most of a second.
LAZY_MIN_CHARS = 20_000
# How the renderer's styled ranges look: text attributes only, so every theme reads them.
MARK_STYLES = {
    "heading": Style(bold=True, underline=True),
    "bold": Style(bold=True),
    "italic": Style(italic=True),
    "code": Style(bold=True),
    "dim": Style(dim=True),
}


#: What the pane says while no message is open.
SELECT_HINT = "Select a message and press Enter to read it."


def header_text(message: MessageSummary) -> Text:
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


def attachments_text(message: MessageSummary) -> Text:
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


def aids_text(aids: ReadingAids, width: int | None = None) -> Text:
    """The line above the body with the best code and how many links there are.

    Where ``width`` cells cannot hold both, the links go on a line of their own: wrapped as
    words, the line broke inside "l lists them" (80x24 with the sidebar).
    """
    parts: list[Text] = []
    if aids.code:
        code = Text()
        code.append(" Code ", style="bold reverse")
        code.append(f" {aids.code} ", style="bold")
        code.append(" c copies it", style="dim")
        parts.append(code)
    if aids.links:
        count = len(aids.links)
        links = Text()
        links.append(f"{count} link{'s' * (count != 1)}", style="bold")
        links.append(" · l lists them", style="dim")
        parts.append(links)
    line = Text("   ").join(parts)
    if width is None or line.cell_len <= width:
        return line
    return Text("\n").join(parts)


def mark_style(mark: Mark) -> Style | None:
    """The style of a range; a link is underlined and, if its address is safe, a hyperlink."""
    if mark.style != "link":
        return MARK_STYLES.get(mark.style)
    # Checked again here, where it reaches the terminal: an OSC 8 target must be a
    # plain http(s) address in printable ASCII, with nothing a terminal could misread.
    target = terminal_link(mark.url or "")
    if target is None:
        return None
    return Style(underline=True, link=target)


def mark_spans(marks: Sequence[Mark], offset: int, limit: int) -> list[Span]:
    """The spans of the renderer's ranges, moved by ``offset`` and cut at ``limit``."""
    spans: list[Span] = []
    for mark in marks:
        style = mark_style(mark)
        if style is not None and mark.start < limit:
            spans.append(Span(mark.start + offset, min(mark.end, limit) + offset, style))
    return spans


def body_parts(rendered: Rendered) -> tuple[str, list[Span]]:
    """The body to show as clean text and its styled spans, cut with a notice when too long.

    Built from strings: Rich would scan a long body again for control codes, and the text
    is already clean.  The renderer's ranges become spans; its text is never read as markup.
    """
    body = rendered.text
    parts: list[str] = []
    spans: list[Span] = []
    if rendered.notice:
        parts.append(clean_line(rendered.notice) + "\n\n")
        spans.append(Span(0, len(parts[0]), "italic yellow"))
    spans.extend(mark_spans(rendered.marks, len("".join(parts)), min(len(body), MAX_SHOWN_CHARS)))
    if len(body) > MAX_SHOWN_CHARS:
        parts.append(body[:MAX_SHOWN_CHARS])
        start = sum(len(part) for part in parts)
        parts.append(f"\n\n[… cut: {len(body) - MAX_SHOWN_CHARS:,} more characters not shown]")
        spans.append(Span(start, start + len(parts[-1]), "italic yellow"))
    else:
        parts.append(body or "(empty message)")
    return "".join(parts), spans


def body_text(rendered: Rendered) -> Text:
    """The body to show, cut with a notice when it is too long to lay out quickly."""
    plain, spans = body_parts(rendered)
    return Text(plain, spans=spans)


def source_parts(message: StoredMessage) -> tuple[str, list[Span]]:
    """The raw content as received (cleaned of control sequences) and its styled spans."""
    raw = clean_text(message.content, max_chars=MAX_SHOWN_CHARS)
    kind = "HTML" if message.is_html else "plain text"
    plain = f"Raw source ({kind}, {len(message.content):,} characters)\n\n{raw}"
    return plain, [Span(0, len(plain), "italic")]


def source_text(message: StoredMessage) -> Text:
    """The raw content as received (cleaned of control sequences), for the source view."""
    plain, spans = source_parts(message)
    return Text(plain, spans=spans)


@dataclass(frozen=True)
class PreparedBody:
    """A message's readable body made ready off the UI thread, for the rendering it came from."""

    rendered: Rendered
    text: LongText | None  # None: short enough to show the ordinary way
    plain: str
    spans: list[Span]


def prepare_body(rendered: Rendered, widths: Sequence[int]) -> PreparedBody:
    """The body of a rendering as the reader shows it, laid out at ``widths`` when long.

    Making the spans (each link checked again) and cutting a 300 KB newsletter into lines
    takes a tenth of a second: done here, in a thread, the UI only swaps it in.
    """
    plain, spans = body_parts(rendered)
    text = long_text(plain, spans, widths) if len(plain) > LAZY_MIN_CHARS else None
    return PreparedBody(rendered, text, plain, spans)


class BodyView(Static):
    """The body block: a Static, but a long text is wrapped once and drawn only where visible.

    Static lays out and renders the whole text on every update, resize and refresh, which
    is fine for a mail and a stall of most of a second for a newsletter. ``content`` gives
    the text shown either way.
    """

    def __init__(self, content: VisualType = "", *, id: str | None = None) -> None:
        super().__init__(content, id=id)
        # The long text drawn here (clean, tabs expanded, spans ordered), or None.
        self._long: LongText | None = None
        self._text: Text | None = None

    @property
    def content(self) -> VisualType:
        """The content shown (a long text as a ``Text``, built when first asked for)."""
        if self._long is None:
            return super().content
        if self._text is None:
            self._text = Text(self._long.plain, spans=list(self._long.spans))
        return self._text

    @content.setter
    def content(self, content: VisualType) -> None:
        self.update(content)

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        """Show new content; a long text is drawn here a line at a time."""
        if isinstance(content, Text) and len(content) > LAZY_MIN_CHARS:
            self.show_long(content.plain, content.spans, layout=layout)
            return
        self._long, self._text = None, None
        super().update(content, layout=layout)

    def show(self, plain: str, spans: Sequence[Span] = ()) -> None:
        """Show clean text with its spans, drawn here line by line when it is long."""
        if len(plain) > LAZY_MIN_CHARS:
            self.show_long(plain, spans)
        else:
            self.update(Text(plain, spans=list(spans)))

    def show_long(self, plain: str, spans: Sequence[Span] = (), *, layout: bool = True) -> None:
        """Show a long text that is already clean (no control characters), with its spans."""
        self.show_laid_out(long_text(plain, spans), layout=layout)

    def show_laid_out(self, text: LongText, *, layout: bool = True) -> None:
        """Show a long text laid out beforehand (see ``long_text``)."""
        self._long, self._text = text, None
        # Static's own content stays empty: nothing of it is drawn.
        super().update("", layout=layout)

    def _wrapped(self, width: int) -> list[tuple[int, int]]:
        """Where each line of the long text starts and ends at this width (cut once a width)."""
        assert self._long is not None
        lines = self._long.lines
        if width not in lines:
            if len(lines) >= 4:
                lines.clear()  # widths of a resize: only the latest ones are drawn again
            lines[width] = wrap_offsets(self._long.plain, width)
        return lines[width]

    def _line_spans(self, start: int, end: int) -> list[Span]:
        """The spans over ``[start, end)``, in order, found without scanning them all."""
        assert self._long is not None
        long = self._long
        found: list[Span] = []
        index = bisect_left(long.starts, end) - 1
        while index >= 0 and long.reach[index] > start:
            span = long.spans[index]
            if span.end > start:
                found.append(span)
            index -= 1
        found.reverse()
        return found

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """The number of lines, counted from the wrapped text when it is long."""
        if self._long is None:
            return super().get_content_height(container, viewport, width)
        return len(self._wrapped(width)) if width > 0 else 0

    def render_line(self, y: int) -> Strip:
        """One line of the body; a long text renders only the lines asked for."""
        if self._long is None:
            return super().render_line(y)
        width = self.size.width
        base = self.visual_style.rich_style
        lines = self._wrapped(width)
        if not 0 <= y < len(lines):
            return Strip.blank(width, base)
        start, end = lines[y]
        line = Text(self._long.plain[start:end], end="")
        for span in self._line_spans(start, end):
            line.stylize(span.style, max(span.start, start) - start, min(span.end, end) - start)
        segments = Segment.apply_style(line.render(self.app.console), base)
        return Strip(segments).adjust_cell_length(width, base)


class ReaderPane(VerticalScroll):
    """A scrollable pane showing one message."""

    BINDINGS = list(SCROLL_KEYS)
    can_focus = True

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # The message shown: its summary from the list until it is read, then with its body.
        self.message: MessageSummary | None = None
        self.rendered: Rendered | None = None
        self.aids: ReadingAids | None = None
        self.show_source = False
        self.border_title = "Reader"
        # What the body block was last made from (see _refresh_view).
        self._body_from: tuple[str, object] | None = None
        # The last body prepared off the UI thread (see show_message).
        self._prepared: PreparedBody | None = None

    def body_widths(self) -> tuple[int, ...]:
        """The widths the body may be drawn at: as now, and beside a vertical scrollbar."""
        width = self.query_one("#body", BodyView).size.width
        if width <= 0:
            return ()
        return (width, max(1, width - self.styles.scrollbar_size_vertical))

    def compose(self) -> ComposeResult:
        """The header, attachment and body blocks."""
        yield Static(id="headers")
        yield Static(id="attachments")
        yield Static(id="aids")
        yield BodyView(Text(SELECT_HINT, style="dim"), id="body")

    def show_message(
        self,
        message: MessageSummary,
        rendered: Rendered | None,
        aids: ReadingAids | None = None,
        prepared: PreparedBody | None = None,
    ) -> None:
        """Show a message; ``rendered`` is None while its body is still being converted.

        ``prepared`` is its body made ready off the UI thread (see ``prepare_body``).
        """
        same = self.message is not None and self.message.id == message.id
        self.message, self.rendered, self.aids = message, rendered, aids
        if prepared is not None and prepared.rendered is rendered:
            self._prepared = prepared
        if not same:
            self.show_source = False
        self._refresh_view(scroll_home=not same)

    def update_summary(self, summary: MessageSummary) -> None:
        """The shown message as the list has it now (seen, archived), its body kept."""
        message = self.message
        if isinstance(message, StoredMessage) and message.id == summary.id:
            self.message = StoredMessage.of(summary, message.content)
        else:
            self.message = summary

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
        self._body_from = None
        self.border_subtitle = ""

    def on_resize(self) -> None:
        """Fit the code and links line to the new width."""
        if self.message is not None:
            self._show_aids()

    def _show_aids(self) -> None:
        """The code and links line, one line where the pane is wide enough, else two."""
        aids = self.query_one("#aids", Static)
        # As wide as the body beside a scroll bar: a long mail shows one after this line.
        bar = 0 if self.show_vertical_scrollbar else self.styles.scrollbar_size_vertical
        width = self.scrollable_content_region.width - bar
        line = (
            aids_text(self.aids, width if width > 0 else None) if self.aids is not None else Text()
        )
        aids.update(line)
        aids.display = bool(line) and not self.show_source

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
        self._show_aids()
        body = self.query_one("#body", BodyView)
        # The same body is not laid out twice: a message opened from the cache is shown
        # again when the server's copy arrives, with the very same rendering.
        made_from: tuple[str, object] = (
            ("source", message) if self.show_source else ("text", self.rendered)
        )
        unchanged = (
            self._body_from is not None
            and self._body_from[0] == made_from[0]
            and self._body_from[1] is made_from[1]
        )
        self._body_from = made_from
        if self.show_source:
            if unchanged:
                pass
            elif isinstance(message, StoredMessage):
                body.show(*source_parts(message))
            else:
                # The list holds no bodies: the source shows once the message is read.
                body.update(Text("Reading the message…", style="dim italic"))
            self.border_subtitle = "source · v for text"
        elif self.rendered is None:
            if not unchanged:
                body.update(Text("Converting…", style="dim italic"))
            self.border_subtitle = ""
        else:
            prepared = self._prepared
            if unchanged:
                pass
            elif prepared is not None and prepared.rendered is self.rendered:
                if prepared.text is not None:
                    body.show_laid_out(prepared.text)
                else:
                    body.show(prepared.plain, prepared.spans)
            else:
                body.show(*body_parts(self.rendered))
            self.border_subtitle = (
                "HTML as text · v for source" if message.is_html else "plain text · v for source"
            )
        if scroll_home:
            self.scroll_home(animate=False)
