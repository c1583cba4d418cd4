"""The web links of a mail: one definition of a usable link, one trimming rule, one finder.

A link is the ``href`` of an ``<a>`` or ``<area>`` element (outside comments, scripts and
templates) or a URL written in the text.  It is offered only if it is an absolute http(s)
URL with a host and nothing in it that would make the address shown differ from the one
opened: no controls, spaces, bidi or invisible characters.  The links dialog (through
``render.extract_links``) and the code and link extractor (``extract``) both read links
here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from tempmail_tui.core.html.tokenizer import Kind, attributes, shown_tokens
from tempmail_tui.core.sanitize import clean_text

__all__ = [
    "LINK_ELEMENTS",
    "MAX_LINKS",
    "MAX_LINK_LENGTH",
    "bare_urls",
    "hrefs",
    "trim_url",
    "url_spans",
    "usable_link",
    "web_links",
]

# Links listed for a mail are bounded in number and length.
MAX_LINKS = 1000
MAX_LINK_LENGTH = 8192
LINK_ELEMENTS = frozenset({"a", "area"})

# A URL written in text.  The scheme is a literal, so a failed attempt costs one character.
# It stops at white space, quotes, angle brackets, braces, "|", "\\", "^", "`" (none may
# appear unescaped in a URL) and at CJK and full-width punctuation, which Japanese and
# Chinese text puts right after a URL.  Controls do not stop it: a URL running into one
# is refused whole by ``usable_link`` rather than cut short.
_BARE_URL = re.compile(r"""https?://[^\s<>"'`{}|\\^\u3000-\u303f\uff00-\uffef]+""", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?)]"
_CLOSERS = {")": "(", "]": "["}
# WHATWG URL parsing strips C0 controls and spaces from both ends and removes tabs and
# newlines anywhere, so an href is read the way a browser would open it.
_URL_ENDS = "".join(map(chr, range(0x21)))
_URL_REMOVED = str.maketrans("", "", "\t\n\r")
# Invisible in a URL but left alone by ``clean_text`` (which keeps it in prose).
_GRAPHEME_JOINER = "\u034f"


def usable_link(candidate: str) -> str | None:
    """``candidate`` as a browser reads it, if that is an absolute http(s) URL safe to show."""
    url = candidate.strip(_URL_ENDS).translate(_URL_REMOVED)
    if not url or len(url) > MAX_LINK_LENGTH:
        return None
    # A URL carrying controls, spaces or invisible characters is suspicious: the text shown
    # would not be the address opened.  Refuse it rather than "repair" it.
    if clean_text(url) != url or _GRAPHEME_JOINER in url:
        return None
    if any(character.isspace() for character in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


def trim_url(url: str) -> str:
    """A URL found in text without the sentence punctuation that follows it.

    A ``)`` or ``]`` is kept when it closes a ``(`` or ``[`` of the URL (Wikipedia-style
    links).  One pass: no rescans, whatever the run of punctuation.
    """
    body = url.rstrip(_TRAILING_PUNCTUATION)
    unclosed = {
        closer: body.count(opener) - body.count(closer) for closer, opener in _CLOSERS.items()
    }
    kept = len(body)
    for character in url[len(body) :]:
        if unclosed.get(character, 0) <= 0:
            break
        unclosed[character] -= 1
        kept += 1
    return url[:kept]


def url_spans(text: str) -> Iterator[tuple[int, int]]:
    """Where URLs are written in ``text``, as found (untrimmed, unchecked)."""
    for match in _BARE_URL.finditer(text):
        yield match.span()


def _bare_candidates(text: str) -> Iterator[tuple[int, str]]:
    """The URLs written in ``text``, trimmed but not yet checked, with their offsets."""
    for match in _BARE_URL.finditer(text):
        found = match.group()
        if len(found) <= 2 * MAX_LINK_LENGTH:  # longer is far too long either way
            yield match.start(), trim_url(found)


def bare_urls(text: str) -> Iterator[tuple[int, str]]:
    """The usable URLs written in ``text``, each with the offset where it starts."""
    checked: dict[str, str | None] = {}
    for offset, candidate in _bare_candidates(text):
        url = _check(candidate, checked)
        if url is not None:
            yield offset, url


def _check(candidate: str, checked: dict[str, str | None]) -> str | None:
    """``usable_link`` remembered: a mail may repeat one URL thousands of times."""
    if candidate not in checked:
        checked[candidate] = usable_link(candidate)
    return checked[candidate]


def hrefs(html: str) -> Iterator[str]:
    """The ``href`` of every link element of ``html`` outside templates, as written."""
    for token in shown_tokens(html, only=LINK_ELEMENTS):
        if token.kind is Kind.START:
            href = attributes(token.data).get("href")
            if href:
                yield href


def web_links(content: str, *, is_html: bool) -> tuple[str, ...]:
    """The usable links of a body in document order, each once, at most ``MAX_LINKS``.

    For HTML these are the ``href`` of its link elements; for plain text, the URLs in it.
    """
    checked: dict[str, str | None] = {}
    candidates = hrefs(content) if is_html else (url for _, url in _bare_candidates(content))
    links: dict[str, None] = {}
    for candidate in candidates:
        link = _check(candidate, checked)
        if link is not None:
            links[link] = None
            if len(links) >= MAX_LINKS:
                break
    return tuple(links)
