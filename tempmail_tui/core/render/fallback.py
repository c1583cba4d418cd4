"""The fallback text of an HTML mail: what is shown when html2text fails or takes too long.

A simple pass over the tokens of ``core.html.tokenizer``, linear like them: whitespace
collapsed, blocks on their own lines, lists numbered or bulleted, quotes marked, an image
as its alt text and each link as ``[text][n]`` with the numbered list at the end, as
html2text writes them.  It hides what the other readers of mail hide (``core.html.text``):
scripts, styles, titles and the other raw blocks, templates and comments.
"""

from __future__ import annotations

from tempmail_tui.core.html.tokenizer import (
    attributes,
    feed,
)
from tempmail_tui.core.render_worker import tidy_text
from tempmail_tui.core.sanitize import clean_text, coerce_text

__all__ = ["MAX_INDENT_LEVELS", "strip_html"]

# Deeper list and quote levels are not indented further in the fallback text, so that its
# size stays linear in the input.
MAX_INDENT_LEVELS = 5
# Tab and newlines are removed from URLs by browsers (WHATWG URL parser).
_URL_STRIPPED = str.maketrans("", "", "\t\n\r")

_PARAGRAPH_TAGS = frozenset(
    {
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "table",
        "ul",
        "ol",
        "dl",
        "form",
        "figure",
        "address",
        "center",
        "fieldset",
    }
)
_LINE_TAGS = frozenset(
    {
        "div",
        "li",
        "dt",
        "dd",
        "tr",
        "section",
        "article",
        "header",
        "footer",
        "nav",
        "aside",
        "main",
        "details",
        "summary",
        "figcaption",
        "caption",
        "option",
        "legend",
        "body",
        "textarea",
        "xmp",
    }
)


class _TextBuilder:
    """Accumulates fallback text: whitespace collapsed, blocks on their own lines."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.link_numbers: dict[str, int] = {}
        self._newlines = 0  # line breaks owed before the next text (at most 2)
        self._gap = ""  # space owed before the next text on the same line
        self._line_start = True
        self._quote_depth = 0
        self._pre_depth = 0
        self._lists: list[list[int]] = []  # one [counter] per open list; -1 = bullets
        self._anchors: list[tuple[int, int] | None] = []  # (link number, parts length)

    # -- output

    def _put(self, text: str) -> None:
        if self._newlines and self.parts:
            self.parts.append("\n" * self._newlines)
            self._line_start = True
        self._newlines = 0
        if self._line_start:
            if self._quote_depth:
                self.parts.append("> " * min(self._quote_depth, MAX_INDENT_LEVELS))
            self._line_start = False
        elif self._gap and self.parts[-1] != "[":
            # No space straight after an anchor's opening bracket: "[text]", not "[ text]".
            self.parts.append(self._gap)
        self._gap = ""
        self.parts.append(text)

    def _break(self, count: int) -> None:
        if self.parts:
            self._newlines = max(self._newlines, count)

    def text(self, data: str) -> None:
        """Add character data, collapsing whitespace outside ``<pre>``."""
        if not data:
            return
        if self._pre_depth:
            self._put(data)
            self._line_start = data.endswith("\n")
            return
        words = data.split()
        if data[0].isspace() and not self._gap:
            self._gap = " "
        if words:
            self._put(" ".join(words))
            if data[-1].isspace():
                self._gap = " "

    # -- tags

    def start(self, name: str, data: str) -> None:
        """Handle a start tag."""
        if name in _LINE_TAGS or (name in ("ul", "ol") and self._lists):
            self._break(1)  # a nested list continues its parent item
        elif name in _PARAGRAPH_TAGS:
            self._break(2)
        if name == "br":
            if self.parts:
                self._newlines = min(self._newlines + 1, 2)
        elif name == "hr":
            self._break(2)
            self._put("* * *")
            self._break(2)
        elif name == "blockquote":
            self._quote_depth += 1
        elif name == "pre":
            self._pre_depth += 1
        elif name in ("ul", "ol"):
            self._lists.append([0 if name == "ol" else -1])
        elif name == "li":
            self._list_item()
        elif name in ("td", "th"):
            if not self._line_start:
                self._gap = "  "
        elif name == "img":
            alt = attributes(data).get("alt", "")
            if alt.strip():
                self.text(alt)
        elif name == "a":
            self._open_anchor(attributes(data).get("href"))

    def end(self, name: str) -> None:
        """Handle an end tag."""
        if name in _LINE_TAGS or (name in ("ul", "ol") and len(self._lists) > 1):
            self._break(1)
        elif name in _PARAGRAPH_TAGS:
            self._break(2)
        if name == "blockquote":
            self._quote_depth = max(self._quote_depth - 1, 0)
        elif name == "pre":
            self._pre_depth = max(self._pre_depth - 1, 0)
        elif name in ("ul", "ol"):
            if self._lists:
                self._lists.pop()
        elif name == "a" and self._anchors:
            self._close_anchor(self._anchors.pop())

    def _list_item(self) -> None:
        self._break(1)
        indent = "  " * min(max(len(self._lists) - 1, 0), MAX_INDENT_LEVELS)
        if self._lists and self._lists[-1][0] >= 0:
            self._lists[-1][0] += 1
            marker = f"{self._lists[-1][0]}."
        else:
            marker = "*"
        self._put(f"{indent}{marker}")
        self._gap = " "

    def _open_anchor(self, href: str | None) -> None:
        href = (href or "").strip().translate(_URL_STRIPPED)
        if not href or href.startswith("#"):
            self._anchors.append(None)
            return
        number = self.link_numbers.setdefault(href, len(self.link_numbers) + 1)
        self._put("[")
        self._anchors.append((number, len(self.parts)))

    def _close_anchor(self, anchor: tuple[int, int] | None) -> None:
        if anchor is None:
            return
        number, parts_at_open = anchor
        if len(self.parts) == parts_at_open:
            self.parts.append("link")
        # A space owed inside the anchor goes after it: "[text][1] more".
        gap, self._gap = self._gap, ""
        self.parts.append(f"][{number}]")
        self._gap = gap

    def finish(self) -> str:
        """Close what is still open and return the text with its reference list."""
        while self._anchors:
            self._close_anchor(self._anchors.pop())
        text = tidy_text("".join(self.parts))
        if self.link_numbers:
            references = "\n".join(
                f"   [{number}]: <{href}>" for href, number in self.link_numbers.items()
            )
            text = f"{text}\n\n{references}" if text else references
        return text


def strip_html(html: str) -> str:
    """Return the readable text of HTML by a simple linear pass, cleaned for display.

    Scripts, styles, titles and templates are dropped; blocks start new lines; an image
    is its alt text; each link is ``[text][n]`` with the numbered list at the end.
    """
    builder = _TextBuilder()
    feed(coerce_text(html), builder)
    return clean_text(builder.finish())
