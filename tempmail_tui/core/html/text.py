"""The text of a mail as its reader sees it, from one walk over the tokens of its HTML.

The extractor reads a ``Document``: the visible text with its block breaks, the spans of
it that stand out (large, bold or letter-spaced: where codes are put) and the links with
what they say.  Search and the list filter read ``document_text``.  The renderer's
fallback builds its display text from the same tokens and hides the same things, so all
of them agree on what a mail says: hidden are scripts, styles, titles and the other raw
blocks of the tokenizer, templates and comments; an image is its alt text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tempmail_tui.core.html.links import LINK_ELEMENTS
from tempmail_tui.core.html.tokenizer import (
    RAW_HIDDEN,
    Kind,
    attributes,
    closes_itself,
    feed,
    tokens,
)
from tempmail_tui.core.sanitize import clean_text

__all__ = [
    "SPACES_RE",
    "Anchor",
    "Document",
    "document_text",
    "read_html",
    "read_text",
]

# Style sheets beyond this are not read for prominent classes: a bound on hostile CSS.
MAX_CSS_CHARS = 262_144

# White space a browser collapses, and the controls that ``str.split`` (and so the
# renderer's fallback) reads as white space: every reader splits words at the same places.
SPACES_RE = re.compile(r"[ \t\n\r\f\v\x1c-\x1f\x85]+")

_BLOCK_TAGS = frozenset(
    (
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
        "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
        "summary", "table", "tbody", "tfoot", "thead", "tr", "ul", "html",
    )
)  # fmt: skip
_VOID_TAGS = frozenset(
    (
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr",
    )
)  # fmt: skip
# The break a tag makes in the text where it starts and where it ends.
_START_BREAKS = {**dict.fromkeys(_BLOCK_TAGS, "\n"), "br": "\n", "td": "\t", "th": "\t"}
_END_BREAKS = {**dict.fromkeys(_BLOCK_TAGS, "\n"), "td": "\t", "th": "\t"}
_PRE_TAGS = frozenset({"pre", "textarea"})
_PROMINENT_TAGS = frozenset(
    ["b", "strong", "h1", "h2", "h3", "h4", "big", "code", "kbd", "samp", "tt", "mark"]
)
# How far up the open-element stack an end tag looks for its start tag: real mail nests a
# few dozen deep, and a bound keeps a flood of unmatched end tags linear.
_STACK_SEARCH = 64
# An anchor's text is kept from its first pieces only: enough to rank the link.
_ANCHOR_PIECES = 64
_STYLE = frozenset({"style"})

_FONT_SIZE_RE = re.compile(
    r"font-size\s*:\s*(?:([0-9]{1,4}(?:\.[0-9]{1,4})?)\s*(px|pt|em|rem|%)?|(x{0,2}-?large))",
    re.IGNORECASE,
)
_LETTER_SPACING_RE = re.compile(
    r"letter-spacing\s*:\s*([0-9]{0,4}(?:\.[0-9]{1,4})?)\s*(px|pt|em|rem)?", re.IGNORECASE
)
_FONT_WEIGHT_RE = re.compile(r"font-weight\s*:\s*(?:bold|bolder|[6-9]00)\b", re.IGNORECASE)
_CLASS_SELECTOR_RE = re.compile(r"\.([A-Za-z_][\w-]{0,100})")
_SIZE_DIMENSION_RE = re.compile(r"(?:^|[;\s])(?:width|height)\s*:\s*([0-9]{1,4})px", re.IGNORECASE)
_SIZE_LIMITS = {"px": 20.0, "pt": 15.0, "em": 1.3, "rem": 1.3, "%": 130.0}


def _style_is_prominent(style: str) -> bool:
    """Whether an inline style makes its text stand out: large, bold or letter-spaced."""
    style = style[:2000]
    for match in _FONT_SIZE_RE.finditer(style):
        if match.group(3):
            return True
        if not match.group(1):
            continue
        unit = (match.group(2) or "px").lower()
        if float(match.group(1)) >= _SIZE_LIMITS[unit]:
            return True
    for match in _LETTER_SPACING_RE.finditer(style):
        text = match.group(1)
        if text and text != "." and float(text) > 0:
            return True
    return _FONT_WEIGHT_RE.search(style) is not None


def _prominent_classes(css: str) -> frozenset[str]:
    """Class names that style sheet rules make large, bold or letter-spaced."""
    names: set[str] = set()
    for rule in css.split("}"):
        selectors, brace, declarations = rule.partition("{")
        if brace and _style_is_prominent(declarations):
            names.update(_CLASS_SELECTOR_RE.findall(selectors[-500:]))
    return frozenset(names)


def _style_sheets(html: str) -> str:
    """The text of the style sheets of a document, up to ``MAX_CSS_CHARS``."""
    sheets: list[str] = []
    size = 0
    for token in tokens(html, only=_STYLE):
        if token.kind is Kind.RAW and size < MAX_CSS_CHARS:
            sheet = token.data[: MAX_CSS_CHARS - size]
            sheets.append(sheet)
            size += len(sheet)
    return "\n".join(sheets)


@dataclass
class Anchor:
    """A link element: where it starts in the visible text, its href and what it shows."""

    offset: int
    href: str
    text: list[str] = field(default_factory=list)
    images: int = 0
    pixel: bool = False


@dataclass
class Document:
    """The visible text of a mail, the spans of it that stand out, and its link elements."""

    text: str
    prominent: list[tuple[int, int]]
    anchors: list[Anchor]


@dataclass(slots=True)
class _Open:
    """An element on the open-element stack and what it does to the text inside it."""

    name: str
    prominent: bool
    pre: bool


class _Walker:
    """Collects the text a reader would see, with line breaks, prominent spans and anchors."""

    def __init__(self, prominent_classes: frozenset[str]) -> None:
        self._classes = prominent_classes
        self._parts: list[str] = []
        self._length = 0
        self._last = "\n"
        self._prominent: list[tuple[int, int]] = []
        self._stack: list[_Open] = []
        self._open: dict[str, int] = {}  # how many elements of each name are on the stack
        self._prominent_depth = 0
        self._pre_depth = 0
        self._anchor: Anchor | None = None
        self._anchors: list[Anchor] = []

    def walk(self, html: str) -> Document:
        """Read every token of ``html`` and return the document."""
        feed(html, self)
        self._finish_anchor()
        return Document("".join(self._parts), self._prominent, self._anchors)

    # -- output

    def _emit(self, text: str, prominent: bool = False) -> None:
        if not text:
            return
        start = self._length
        self._parts.append(text)
        self._length += len(text)
        self._last = text[-1]
        if prominent:
            if self._prominent and self._prominent[-1][1] == start:
                self._prominent[-1] = (self._prominent[-1][0], self._length)
            else:
                self._prominent.append((start, self._length))

    def _break(self, mark: str) -> None:
        if self._last not in "\n\t" or (mark == "\n" and self._last == "\t"):
            self._emit(mark)

    def text(self, data: str) -> None:
        """Keep visible text, with white space collapsed as a browser would."""
        # What the reader is shown: escape sequences, controls, bidi and invisible characters
        # removed by the one cleaner of untrusted text, after white space is collapsed.
        if self._pre_depth:
            text = clean_text(data)
        else:
            text = clean_text(SPACES_RE.sub(" ", data))
            if text.startswith(" ") and self._last in " \n\t":
                text = text[1:]
        self._emit(text, self._prominent_depth > 0)
        if self._anchor is not None and len(self._anchor.text) < _ANCHOR_PIECES:
            self._anchor.text.append(text)

    # -- the open-element stack

    def _push(self, element: _Open) -> None:
        self._stack.append(element)
        self._open[element.name] = self._open.get(element.name, 0) + 1
        self._prominent_depth += element.prominent
        self._pre_depth += element.pre

    def _pop_through(self, name: str) -> None:
        if not self._open.get(name):
            return
        floor = max(0, len(self._stack) - _STACK_SEARCH)
        for index in range(len(self._stack) - 1, floor - 1, -1):
            if self._stack[index].name == name:
                while len(self._stack) > index:
                    element = self._stack.pop()
                    self._open[element.name] -= 1
                    self._prominent_depth -= element.prominent
                    self._pre_depth -= element.pre
                return

    # -- tags

    def start(self, name: str, data: str) -> None:
        """Track line breaks, prominence and anchors as elements open."""
        mark = _START_BREAKS.get(name)
        if mark is not None:
            self._break(mark)
        if name == "img":
            self._image(attributes(data))
            return
        if name in _VOID_TAGS:
            if name in LINK_ELEMENTS:
                self._link_element(attributes(data), area=True)
            return
        values = attributes(data)
        if name in LINK_ELEMENTS:
            self._link_element(values, area=False)
        prominent = self._is_prominent(name, values)
        self._push(_Open(name, prominent, name in _PRE_TAGS))
        if closes_itself(data):
            # "<b/>" opens and closes, as HTMLParser (and so html2text) reads it.
            self.end(name)

    def _is_prominent(self, name: str, values: dict[str, str]) -> bool:
        if name in _PROMINENT_TAGS or _style_is_prominent(values.get("style", "")):
            return True
        return any(word in self._classes for word in values.get("class", "").split()[:20])

    def end(self, name: str) -> None:
        """Close the element and the line or cell it ended."""
        if name == "a":
            self._finish_anchor()
        mark = _END_BREAKS.get(name)
        if mark is not None:
            self._break(mark)
        if name not in _VOID_TAGS:
            self._pop_through(name)

    def _image(self, values: dict[str, str]) -> None:
        alt = _alt_text(values)
        if alt:
            self.text(alt)
        if self._anchor is None:
            return
        self._anchor.images += 1
        sizes = [values.get("width", ""), values.get("height", "")]
        sizes += _SIZE_DIMENSION_RE.findall(values.get("style", "")[:2000])
        if any(
            size.strip().removesuffix("px").isdigit() and int(size.strip().removesuffix("px")) <= 2
            for size in sizes
        ):
            self._anchor.pixel = True

    def _link_element(self, values: dict[str, str], *, area: bool) -> None:
        href = values.get("href", "").strip()
        if area:
            # An image-map area has no text of its own and does not hold what follows.
            if href:
                self._anchors.append(Anchor(self._length, href))
            return
        self._finish_anchor()
        if href:
            self._anchor = Anchor(self._length, href)

    def _finish_anchor(self) -> None:
        if self._anchor is not None:
            self._anchors.append(self._anchor)
            self._anchor = None


def _alt_text(values: dict[str, str]) -> str:
    """What an image shows as text: its alt text, as the renderers show it."""
    alt = values.get("alt", "")
    return alt if alt.strip() else ""


def read_html(html: str) -> Document:
    """The visible text of an HTML mail, its prominent spans and its link elements."""
    return _Walker(_prominent_classes(_style_sheets(html))).walk(html)


def read_text(text: str) -> Document:
    """A plain-text mail as a document: its text as the reader is shown it."""
    return Document(clean_text(text), [], [])


def _html_words(html: str) -> str:
    """The words of an HTML mail with the breaks of ``_Walker``, without its bookkeeping.

    The same tokens, hidden parts, alt texts and breaks as ``read_html``, so the same
    words (``tests/test_html.py`` holds them to it); at twice the speed, because a search
    index or a filter needs neither prominence, nor links, nor ``<pre>`` spacing.
    """
    parts: list[str] = []
    template_depth = 0
    for token in tokens(html):
        kind, name = token.kind, token.name
        if name == "template":
            if kind is Kind.START and not closes_itself(token.data):
                template_depth += 1
            elif kind is Kind.END:
                template_depth = max(template_depth - 1, 0)
        elif template_depth:
            continue
        elif kind is Kind.TEXT:
            parts.append(SPACES_RE.sub(" ", token.data))
        elif kind is Kind.START:
            if name == "img":
                parts.append(SPACES_RE.sub(" ", _alt_text(attributes(token.data))))
            else:
                parts.append(_START_BREAKS.get(name, ""))
        elif kind is Kind.END:
            parts.append(_END_BREAKS.get(name, ""))
        elif name not in RAW_HIDDEN:
            parts.append(SPACES_RE.sub(" ", token.data))  # <textarea> or <xmp>
    return "".join(parts)


def document_text(content: str, *, is_html: bool) -> str:
    """The plain text of a mail body, as search and the list filter should read it.

    What a reader sees: for HTML, the text without markup, scripts, styles, titles,
    templates or comments, entities decoded, an image as its alt text, each block on a
    line of its own; for plain text, its lines.  White space is collapsed to single spaces
    and blank lines dropped; escape sequences, controls and invisible characters go, as on
    screen (``sanitize.clean_text``), so that a word hidden behind them is still found.
    Linear time, no html2text.
    """
    text = _html_words(content) if is_html else content
    lines = clean_text(text).split("\n")
    # str.split() with no argument collapses every run of Unicode white space at C speed.
    return "\n".join(filter(None, (" ".join(line.split()) for line in lines)))
