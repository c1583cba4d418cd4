"""A mail as the extractor reads it: its visible text, cut into lines, kept for a few mails.

The text comes from ``core.html.text`` (the one reader of mail HTML), cleaned as it is
on screen (``sanitize.clean_text``: no escape sequences, controls, bidi or invisible
characters, which senders put inside codes to stop auto-linking), with full-width
digits and letters folded to ASCII so that codes written in them are found.  Lines have
their URLs and e-mail addresses blanked out, so that no code is found inside one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from tempmail_tui.core.html.links import url_spans
from tempmail_tui.core.html.text import Document, read_html, read_text
from tempmail_tui.core.sanitize import clean_text

__all__ = ["MAX_INPUT_CHARS", "WORD_RE", "Line", "analysed", "clean", "mask"]

# A mail larger than this is cut: codes and action links sit at the top, and the cut keeps
# the worst case bounded in time and memory.
MAX_INPUT_CHARS = 4_000_000

# Full-width digits and Latin letters (common in Japanese and Chinese mail) to ASCII, one
# character for one so that offsets stay valid.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)}
_FULLWIDTH.update({cp: cp - 0xFEE0 for cp in range(0xFF21, 0xFF3B)})
_FULLWIDTH.update({cp: cp - 0xFEE0 for cp in range(0xFF41, 0xFF5B)})
# Look-behind: an address starts only where a run of address characters starts, so a long
# run with no "@" is scanned once, not once per character.
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)++")
WORD_RE = re.compile(r"\w")


def clean(text: str) -> str:
    """Text as the reader is shown it, with full-width letters and digits as ASCII."""
    return clean_text(text).translate(_FULLWIDTH)


@dataclass
class Line:
    """One non-blank line of visible text; ``masked`` has URLs and addresses blanked out."""

    text: str
    masked: str
    offset: int
    begin: int = 0  # where the unstripped line starts, for finding the line of an offset
    # Filled on first use: the sorted starts and ends of the code words of the line, whether
    # it advertises a discount, and where its first and last word characters are.
    keyword_starts: list[int] | None = None
    keyword_ends: list[int] = field(default_factory=list)
    promo: bool | None = None
    word_span: tuple[int, int] | None = None


def mask(text: str) -> str:
    """The text with URLs and e-mail addresses replaced by NULs of the same length."""
    spans = list(url_spans(text))
    spans += [m.span() for m in _EMAIL_RE.finditer(text)]
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        chars[start:end] = "\x00" * (end - start)
    return "".join(chars)


def _lines(doc: Document) -> list[Line]:
    """The non-blank lines of a document, stripped, with their offsets."""
    lines: list[Line] = []
    offset = 0
    for raw in doc.text.split("\n"):
        stripped = raw.strip(" \t\u00a0")
        if stripped.strip(" \t\u00a0\u3000"):
            start = offset + raw.index(stripped[0])
            lines.append(Line(stripped, mask(stripped), start, offset))
        offset += len(raw) + 1
    return lines


def _document(content: str, is_html: bool) -> Document:
    content = content[:MAX_INPUT_CHARS]
    doc = read_html(content) if is_html else read_text(content)
    # One character for one: the offsets of prominent spans and anchors stay valid.
    doc.text = doc.text.translate(_FULLWIDTH)
    for anchor in doc.anchors:
        anchor.text = [piece.translate(_FULLWIDTH) for piece in anchor.text]
    return doc


@lru_cache(maxsize=4)
def analysed(content: str, is_html: bool) -> tuple[Document, list[Line]]:
    """The visible text of a mail and its lines, kept for the few mails looked at last.

    The reader asks for the code, the best link and the link list of the same mail in a row;
    the cache reads it once.  What it returns is only read, apart from per-line values that
    are filled in on first use and are the same whoever fills them.
    """
    doc = _document(content, is_html)
    return doc, _lines(doc)
