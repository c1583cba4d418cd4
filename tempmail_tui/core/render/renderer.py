"""Mail bodies as readable, bounded, safe text with styled ranges, ready for the reader.

HTML is laid out by ``document.render_html``, one linear pass over the project's own
tokenizer, so no mail can make it loop, grow quadratically or crash, and it runs in the
caller's thread (the service calls it off the UI thread).  Plain text is cleaned and its
web addresses become links.  Input and output are bounded, with a notice when cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tempmail_tui.core.html.links import MAX_LINKS, bare_urls
from tempmail_tui.core.render.document import MAX_MARKS, Mark, render_html, terminal_link
from tempmail_tui.core.sanitize import ELLIPSIS, clean_text, coerce_text

__all__ = ["HtmlRenderer", "Rendered", "Source"]

Source = Literal["html", "plain"]


@dataclass(frozen=True, slots=True)
class Rendered:
    """A mail body ready for display: clean text, its web links, styled ranges and origin."""

    text: str
    # Absolute http(s) links: for HTML in the order the text numbers them ``[1]``, ``[2]``;
    # for plain text in the order they are written.  No duplicates.
    links: tuple[str, ...]
    # One line for the reader when the text is shortened, else None.
    notice: str | None
    source: Source
    # Styled ranges of ``text`` (headings, emphasis, links), in no particular order.
    marks: tuple[Mark, ...] = ()


def _describe_size(characters: int) -> str:
    if characters >= 1_000_000:
        return f"{characters / 1_000_000:g} MB"
    if characters >= 1_000:
        return f"{characters / 1_000:g} KB"
    return f"{characters} characters"


def _plain_links(text: str) -> tuple[tuple[str, ...], tuple[Mark, ...]]:
    """The web addresses written in plain text, each once, and a link range for each use."""
    links: dict[str, None] = {}
    marks: list[Mark] = []
    for offset, url in bare_urls(text):
        target = terminal_link(url)
        if target is None:
            continue
        if len(links) < MAX_LINKS:
            links.setdefault(url, None)
        if len(marks) < MAX_MARKS:
            marks.append(Mark(offset, offset + len(url), "link", target))
    return tuple(links), tuple(marks)


class HtmlRenderer:
    """Turns mail bodies into display text; thread-safe, as it keeps no state between calls."""

    def __init__(self, *, max_input: int = 5_000_000, max_output: int = 2_000_000) -> None:
        if max_input < 1 or max_output < 1:
            raise ValueError("renderer bounds must be positive")
        self.max_input = max_input
        self.max_output = max_output

    def render(self, content: object, *, is_html: bool) -> Rendered:
        """Return ``content`` as clean display text; HTML is laid out, plain text cleaned."""
        text = coerce_text(content)
        notices: list[str] = []
        if len(text) > self.max_input:
            text = text[: self.max_input]
            notices.append(
                f"The message is over {_describe_size(self.max_input)}; "
                "only its beginning is shown."
            )
        source: Source
        if not is_html:
            body, source = clean_text(text), "plain"
            links, marks = _plain_links(body)
        elif not text.strip():
            body, source, links, marks = "", "plain", (), ()
        else:
            converted = render_html(text)
            body, source = converted.text, "html"
            links, marks = converted.links, converted.marks
        if len(body) > self.max_output:
            cut = self.max_output - 1
            body = body[:cut] + ELLIPSIS
            marks = tuple(
                Mark(mark.start, min(mark.end, cut), mark.style, mark.url)
                for mark in marks
                if mark.start < cut
            )
            notices.append(
                f"The text is over {_describe_size(self.max_output)}; only its beginning is shown."
            )
        notice = " ".join(dict.fromkeys(notices)) or None
        return Rendered(text=body, links=links, notice=notice, source=source, marks=marks)
