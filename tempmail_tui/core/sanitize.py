"""Cleaning of untrusted text before any widget or terminal sees it.

Everything the API returns (subjects, senders, bodies, file names) was written by a
stranger.  Textual 8 passes escape sequences to the terminal unchanged and Rich removes
only BEL, BS, VT, FF and CR, so these functions are the only defence against a mail that
rewrites the clipboard (OSC 52), the window title or the screen, or that reorders what
the reader sees with bidi controls.

Markup is not this module's concern: the UI renders through ``Text``/``Content`` with
markup off, so ``[`` and ``]`` are kept exactly as they are (``[/]`` stays ``[/]``).

Every pattern here is linear: no pattern has nested or overlapping quantifiers, and
each one either matches at a position or fails after a bounded look, so a 20 MB
hostile string costs a few regex passes and nothing more.
"""

from __future__ import annotations

import re

__all__ = ["clean_line", "clean_text", "coerce_text"]

ELLIPSIS = "…"

# Terminal escape sequences, 7-bit (ESC ...) and 8-bit (C1) forms, matched whole so
# that their parameters do not leak into the text as junk.
#   - OSC / DCS / SOS / PM / APC: a control string.  Terminals end it at BEL (xterm
#     accepts BEL for OSC), ST (ESC \ or U+009C), or abort it at CAN, SUB, ESC or any
#     C1 control; an unterminated one runs to the end of the text.  The terminator is
#     optional so that the body never has to "fail" and be rescanned.
#   - CSI: parameters, intermediates and a final byte; a truncated one is taken as is.
#   - Any other ESC: intermediates and one final byte (ESC 7, ESC ( B, ESC c, ...).
# Every alternative starts with a literal character so that the regex engine can skip
# ahead with a fast first-character scan instead of trying each branch at every offset.
_STRING_BODY = "[^\x07\x18\x1a\x1b\x80-\x9f]*(?:\x07|\x9c|\x1b\\\\)?"
_CSI_BODY = "[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
_ESCAPE_SEQUENCE = re.compile(
    "\x1b(?:[\\]PX^_]"
    + _STRING_BODY
    + "|\\["
    + _CSI_BODY
    + "|[\x20-\x2f]*[\x30-\x7e]?)"
    + "".join("|" + start + _STRING_BODY for start in ("\x90", "\x98", "\x9d", "\x9e", "\x9f"))
    + "|\x9b"
    + _CSI_BODY
)

# Characters removed outright once escape sequences are gone: C0 controls except TAB
# and LF (CR is normalised before this runs), DEL, every C1 control, bidi embedding,
# override and isolate controls, and invisible format characters that let a sender
# hide or disguise text.
_REMOVED = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"
    "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
    "\u200b-\u200d\u2060-\u2064\ufeff\u00ad\u180e]+"
)

# Line and paragraph separators would start new lines behind the widget's back.
_LINE_SEPARATORS = ("\r\n", "\r", "\u2028", "\u2029")

_SURROGATE = re.compile("[\ud800-\udfff]")


def coerce_text(value: object) -> str:
    """Turn any API value into a ``str`` (``None`` becomes empty, bytes are decoded)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def _truncate(text: str, max_chars: int | None) -> str:
    if max_chars is None or len(text) <= max_chars:
        return text
    if max_chars <= 0:
        return ""
    return text[: max_chars - 1] + ELLIPSIS


def _clean(text: str) -> str:
    if _SURROGATE.search(text) is not None:
        # Pairs written as two code points become the real character; lone halves,
        # which a terminal cannot encode, become U+FFFD.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    text = _ESCAPE_SEQUENCE.sub("", text)
    for separator in _LINE_SEPARATORS:
        # A containment test first: it is far cheaper than a copy when absent.
        if separator in text:
            text = text.replace(separator, "\n")
    return _REMOVED.sub("", text)


def clean_text(value: object, *, max_chars: int | None = None) -> str:
    """Return multi-line untrusted text with every escape sequence and control removed.

    Keeps newlines, tabs and ordinary Unicode (accents, CJK, emoji); ``\\r\\n`` and lone
    ``\\r`` become ``\\n``.  With ``max_chars`` the result is at most that long and ends
    with "…" when it was cut.
    """
    return _truncate(_clean(coerce_text(value)), max_chars)


def clean_line(value: object, *, max_chars: int | None = 500) -> str:
    """Return untrusted text cleaned for a one-line field, whitespace runs collapsed."""
    # str.split() with no argument splits on runs of any Unicode whitespace and drops
    # the ends, which is exactly "collapse and strip", at C speed.
    cleaned = _clean(coerce_text(value))
    line = " ".join(cleaned.split())
    # Text that needed nothing is kept as the caller's own string and the copy dropped: the
    # list of a 20,000-mail box holds 40,000 of these lines (2 MB of copies).
    return _truncate(cleaned if line == cleaned else line, max_chars)
