"""HTML mail as a terminal reader shows it: plain text with styled ranges, as w3m or aerc do.

One linear pass over the tokens of ``core.html.tokenizer``: whitespace collapsed, blocks
on their own lines, headings and emphasis as styled ranges (``Mark``) rather than
Markdown, lists bulleted or numbered, quotes marked ``>``, small tables in aligned
columns, an image as its alt text, and each web link as its text followed by ``[n]``,
with the numbered list of addresses at the end.  It hides what the other readers of mail
hide (``core.html.text``): scripts, styles, titles and the other raw blocks, templates and
comments.  Every piece of text is cleaned before it is written, so the ranges never move.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from urllib.parse import quote

from tempmail_tui.core.html.links import MAX_LINKS, usable_link
from tempmail_tui.core.html.tokenizer import attributes, feed
from tempmail_tui.core.render.table import Move, Table, column_layout
from tempmail_tui.core.sanitize import clean_text, coerce_text

__all__ = [
    "MAX_INDENT_LEVELS",
    "MAX_MARKS",
    "HtmlText",
    "Mark",
    "render_html",
    "strip_html",
    "terminal_link",
]

# Deeper list and quote levels are not indented further, so the text stays linear in size.
MAX_INDENT_LEVELS = 5
# Styled ranges beyond this are not kept: the text is still shown, plainer.
MAX_MARKS = 50_000
LINKS_TITLE = "Links:"
RULE = "─" * 24
# The characters an OSC 8 target may hold: printable ASCII (the rest is percent-encoded).
_URL_SAFE = "".join(chr(code) for code in range(0x21, 0x7F))
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")

_PARAGRAPH_TAGS = frozenset(
    {
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol",
        "dl", "form", "figure", "address", "center", "fieldset",
    }
)  # fmt: skip
_LINE_TAGS = frozenset(
    {
        "div", "li", "dt", "dd", "tr", "section", "article", "header", "footer", "nav",
        "aside", "main", "details", "summary", "figcaption", "caption", "option", "legend",
        "body", "textarea", "xmp",
    }
)  # fmt: skip
# The style of the text inside an element.
_STYLED = {
    **dict.fromkeys(("h1", "h2", "h3", "h4", "h5", "h6"), "heading"),
    **dict.fromkeys(("b", "strong"), "bold"),
    **dict.fromkeys(("i", "em", "cite", "var"), "italic"),
    **dict.fromkeys(("code", "kbd", "samp", "tt"), "code"),
}


@dataclass(frozen=True, slots=True)
class Mark:
    """A styled range of the text: heading, bold, italic, code, dim, or a link to ``url``."""

    start: int
    end: int
    style: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class HtmlText:
    """An HTML mail as text, its styled ranges and its web links in the order they are numbered.

    A ``link`` mark's address is its ``terminal_link`` target; ``links`` are as written.
    """

    text: str
    marks: tuple[Mark, ...]
    links: tuple[str, ...]


def terminal_link(url: str) -> str | None:
    """``url`` as the target of a terminal hyperlink: a usable http(s) URL in printable ASCII."""
    # Stricter than a browser, which drops controls at the ends: an address carrying any
    # control character but the white space around an attribute value is no hyperlink.
    if _CONTROL.search(url.strip(" \t\n\r")) is not None:
        return None
    usable = usable_link(url)
    if usable is None:
        return None
    # usable_link refused controls, spaces and bidi; anything else non-ASCII is encoded.
    target = usable if usable.isascii() else quote(usable, safe=_URL_SAFE)
    if not all(0x21 <= ord(character) < 0x7F for character in target):
        return None
    return target


class _Open:
    """A styled range or link being read: its style, address and start (None: no text yet)."""

    __slots__ = ("number", "start", "style", "url")

    def __init__(self, style: str, url: str | None = None, number: int = 0) -> None:
        self.style = style
        self.url = url
        self.number = number
        self.start: int | None = None


class _Builder:
    """Accumulates the text and its marks: whitespace collapsed, blocks on their own lines."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.marks: list[Mark] = []
        self.links: dict[str, tuple[int, str]] = {}  # url: (number, target)
        self._newlines = 0  # line breaks owed before the next text (at most 2)
        self._gap = ""  # space owed before the next text on the same line
        self._line_start = True
        self._quote_depth = 0
        self._pre_depth = 0
        self._lists: list[list[int]] = []  # one [counter] per open list; -1 = bullets
        self._depths: dict[str, int] = {}  # how deep each style's elements are open
        self._styles: dict[str, _Open] = {}  # one open range a style
        self._anchor: _Open | None = None
        self._unstarted: list[_Open] = []  # ranges that start at the next text
        self._tables: list[Table] = []
        self._broke_at = 0  # where the last line break was written

    # -- output

    def _emit(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def _put(self, text: str) -> None:
        if self._newlines and self.parts:
            self._emit("\n" * self._newlines)
            self._line_start = True
            self._broke_at = self.length
        self._newlines = 0
        if self._line_start:
            if self._quote_depth:
                self._emit("> " * min(self._quote_depth, MAX_INDENT_LEVELS))
            self._line_start = False
        elif self._gap:
            self._emit(self._gap)
        self._gap = ""
        if self._unstarted:
            for opened in self._unstarted:
                opened.start = self.length
            self._unstarted.clear()
        if self._tables:
            self._tables[-1].content(self.length)
        self._emit(text)

    def _break(self, count: int) -> None:
        if self.parts:
            self._newlines = max(self._newlines, count)

    def _mark(self, start: int, end: int, style: str, url: str | None = None) -> None:
        if end > start and len(self.marks) < MAX_MARKS:
            self.marks.append(Mark(start, end, style, url))

    def text(self, data: str) -> None:
        """Add character data, collapsing whitespace outside ``<pre>``."""
        if not data:
            return
        if self._pre_depth:
            shown = clean_text(data)
            if shown:
                self._put(shown)
                self._line_start = shown.endswith("\n")
            return
        # Split before cleaning: str.split reads some controls as spaces, as search does;
        # and after: invisible characters removed between spaces leave runs of them.
        cleaned = clean_text(" ".join(data.split()))
        shown = " ".join(cleaned.split())
        if (data[0].isspace() or cleaned[:1].isspace()) and not self._gap:
            self._gap = " "
        if shown:
            self._put(shown)
            if data[-1].isspace() or cleaned[-1:].isspace():
                self._gap = " "

    # -- tags

    def start(self, name: str, data: str) -> None:
        """Handle a start tag."""
        if name in _LINE_TAGS or (name in ("ul", "ol") and self._lists):
            self._break(1)  # a nested list continues its parent item
        elif name in _PARAGRAPH_TAGS:
            self._break(2)
        style = _STYLED.get(name)
        if style is not None:
            self._open_style(style)
        if name == "br":
            if self.parts:
                self._newlines = min(self._newlines + 1, 2)
        elif name == "hr":
            self._break(2)
            self._put(RULE)
            self._mark(self.length - len(RULE), self.length, "dim")
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
            if self._after_block_cell():
                self._break(2)  # a cell of paragraphs is not followed on its last line
            elif not self._line_start:
                self._gap = "  "
            if self._tables:
                self._close_cell()
                self._tables[-1].open_cell(header=name == "th")
                if name == "th":
                    self._open_style("bold")
        elif name == "tr":
            if self._tables:
                self._close_cell()
                self._tables[-1].open_row(self.length)
        elif name == "table":
            self._open_table()
        elif name == "img":
            alt = attributes(data).get("alt", "")
            if alt.strip():
                self.text(alt)
        elif name == "a":
            self._open_anchor(attributes(data).get("href"))
        elif name == "area":
            self._area(attributes(data).get("href"))

    def end(self, name: str) -> None:
        """Handle an end tag."""
        if name in _LINE_TAGS or (name in ("ul", "ol") and len(self._lists) > 1):
            self._break(1)
        elif name in _PARAGRAPH_TAGS:
            self._break(2)
        style = _STYLED.get(name)
        if style is not None:
            self._close_style(style)
        if name == "blockquote":
            self._quote_depth = max(self._quote_depth - 1, 0)
        elif name == "pre":
            self._pre_depth = max(self._pre_depth - 1, 0)
        elif name in ("ul", "ol"):
            if self._lists:
                self._lists.pop()
        elif name == "a":
            self._close_anchor()
        elif name in ("td", "th"):
            if self._tables:
                self._close_cell()
        elif name == "table" and self._tables:
            self._close_table()

    def _close_cell(self) -> None:
        """End the open cell of the innermost table, and the bold of a header cell."""
        table = self._tables[-1]
        if table.cell is not None and table.cell.header:
            self._close_style("bold")
        table.close_cell(self.length)

    def _after_block_cell(self) -> bool:
        """Whether the cell before, in this row, ran over more than one line."""
        if not self._tables or not self._tables[-1].rows or not self._tables[-1].rows[-1]:
            return False
        before = self._tables[-1].rows[-1][-1].start
        return before is not None and self._broke_at > before

    def _list_item(self) -> None:
        self._break(1)
        indent = "  " * min(max(len(self._lists) - 1, 0), MAX_INDENT_LEVELS)
        if self._lists and self._lists[-1][0] >= 0:
            self._lists[-1][0] += 1
            marker = f"{self._lists[-1][0]}."
        else:
            marker = "•"
        self._put(f"{indent}{marker}")
        self._gap = " "

    # -- styles and links

    def _open_style(self, style: str) -> None:
        depth = self._depths.get(style, 0)
        self._depths[style] = depth + 1
        if not depth:
            opened = _Open(style)
            self._styles[style] = opened
            self._unstarted.append(opened)

    def _close_style(self, style: str) -> None:
        depth = self._depths.get(style, 0)
        if depth == 1:
            self._finish(self._styles.pop(style))
        self._depths[style] = max(depth - 1, 0)

    def _finish(self, opened: _Open) -> None:
        if opened.start is None:
            if opened in self._unstarted:
                self._unstarted.remove(opened)
            return
        self._mark(opened.start, self.length, opened.style, opened.url)

    def _number(self, href: str | None) -> tuple[int, str] | None:
        """The number of a link and its hyperlink target; None for a link not offered."""
        url = usable_link(href or "")
        target = None if url is None else terminal_link(url)
        if url is None or target is None:
            return None
        numbered = self.links.get(url)
        if numbered is None:
            if len(self.links) >= MAX_LINKS:
                return None
            numbered = self.links[url] = (len(self.links) + 1, target)
        return numbered

    def _open_anchor(self, href: str | None) -> None:
        self._close_anchor()  # links do not nest: a new one ends the last
        numbered = self._number(href)
        if numbered is not None:
            self._anchor = _Open("link", numbered[1], numbered[0])
            self._unstarted.append(self._anchor)

    def _close_anchor(self) -> None:
        anchor, self._anchor = self._anchor, None
        if anchor is None:
            return
        marker = f"[{anchor.number}]"
        if anchor.start is None:
            # A link that shows nothing (an image without alt text) is its number alone.
            self._unstarted.remove(anchor)
            self._put(marker)
        else:
            self._mark(anchor.start, self.length, "link", anchor.url)
            # The number follows the text at once; a space owed inside the link comes after.
            if self._tables:
                self._tables[-1].content(self.length)
            self._emit(marker)
        self._mark(self.length - len(marker), self.length, "dim")

    def _area(self, href: str | None) -> None:
        numbered = self._number(href)
        if numbered is not None:
            self._put(f"[{numbered[0]}]")
            self._mark(self.length - len(str(numbered[0])) - 2, self.length, "dim")

    # -- tables

    def _open_table(self) -> None:
        if self._tables:
            self._tables[-1].grid = False  # a table holding a table is read linearly
        state = (self._newlines, self._gap, self._line_start)
        quoted = self._quote_depth > 0
        self._tables.append(Table(self.length, len(self.parts), len(self.marks), state, quoted))

    def _close_table(self) -> None:
        self._close_cell()
        table = self._tables.pop()
        if not table.grid:
            return  # before any copy: a table holding tables must cost nothing here
        written = "".join(self.parts[table.parts :])
        lines = column_layout(table, written)
        if lines is None:
            return
        # Write the table again, as aligned columns, from where it started.
        del self.parts[table.parts :]
        self.length = table.offset
        self._newlines, self._gap, self._line_start = table.state
        moves: list[Move] = []  # (old start, old end, new start) a piece of a cell
        for line, pieces in lines:
            self._put(line)
            line_offset = self.length - len(line)
            moves.extend((start, end, line_offset + column) for start, end, column in pieces)
            self._break(1)
        self._break(2)  # the table is a paragraph of its own, as before it was laid out
        moves.sort()
        self._move_marks(table, moves)

    def _move_marks(self, table: Table, moves: list[Move]) -> None:
        """Move the ranges written inside a table to where its cells now are."""
        starts = [old for old, _, _ in moves]

        def moved(position: int) -> int:
            if position < table.offset:
                return position
            index = bisect_right(starts, position) - 1
            if index < 0:
                return moves[0][2] if moves else self.length
            old_start, old_end, new_start = moves[index]
            return new_start + min(position, old_end) - old_start

        self.marks[table.marks :] = [
            Mark(moved(mark.start), moved(mark.end), mark.style, mark.url)
            for mark in self.marks[table.marks :]
            if moved(mark.end) > moved(mark.start)
        ]
        for opened in (*self._styles.values(), self._anchor):
            if opened is not None and opened.start is not None:
                opened.start = moved(opened.start)

    # -- the end

    def finish(self) -> HtmlText:
        """Close what is still open and return the text, its marks and its numbered links."""
        self._close_anchor()
        for style in list(self._styles):
            self._finish(self._styles.pop(style))
        while self._tables:
            self._close_table()
        if self.links:
            self._newlines = 2
            self._gap, self._quote_depth, self._unstarted = "", 0, []
            self._put(LINKS_TITLE)
            self._mark(self.length - len(LINKS_TITLE), self.length, "heading")
            for url, (number, target) in self.links.items():
                self._newlines = 1
                self._put(f"[{number}] ")
                self._mark(self.length - len(str(number)) - 3, self.length - 1, "dim")
                self._emit(url)
                self._mark(self.length - len(url), self.length, "link", target)
        return HtmlText("".join(self.parts), tuple(self.marks), tuple(self.links))


def render_html(html: str) -> HtmlText:
    """Return HTML as clean display text with its styled ranges and numbered web links."""
    builder = _Builder()
    feed(coerce_text(html), builder)
    return builder.finish()


def strip_html(html: str) -> str:
    """Return the readable text of HTML, cleaned for display (``render_html`` without styles)."""
    return render_html(html).text
