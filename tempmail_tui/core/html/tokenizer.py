"""The one tokenizer of untrusted HTML: text, tags, attributes, comments and raw blocks.

It runs in time linear in the size of its input, whatever the input.  The standard
library's ``HTMLParser`` is not used: before the fix for CVE-2025-6069 (Python 3.11.13) it
is quadratic on input such as ``"<a" * 200_000``, which took 271 s on Python 3.11.7.

Instead one regular expression finds the next piece of markup, and every way it can
match or fail stops at the next ``<``: the attempts made from the ``<`` of a document
scan disjoint stretches (a tag is tried two ways, over the same stretch).  Comments and
raw blocks are skipped with one forward search each, from where the last scan stopped.
No scan ever starts before the end of the previous one but for the few characters of a
raw block's end tag; ``tests/hostile/test_html_linear.py`` counts the characters scanned.

What it reads, close to HTML5 where that costs nothing:

* a tag is ``<`` (``</`` for an end tag), a name starting with a letter and attributes
  up to ``>``; quoted values may hold ``>`` (``title="a > b"``), and when a quote is not
  closed the tag ends at its first ``>``; no part of a tag holds ``<``, so a ``<`` that
  does not start a complete tag is text;
* comments run to ``-->`` (``<!-->`` is an empty one); an unterminated comment hides the
  rest of the document, as in browsers;
* doctypes, processing instructions and other ``<!``, ``<?`` and ``</`` oddities up to the
  next ``>`` are dropped;
* the content of ``script``, ``style``, ``title``, ``iframe``, ``noembed``, ``noframes``,
  ``textarea`` and ``xmp`` is raw text up to its end tag: one ``RAW`` token;
* entities are decoded in text, in attribute values and in ``title`` and ``textarea``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from html import unescape
from typing import Protocol

__all__ = [
    "RAW_ELEMENTS",
    "RAW_HIDDEN",
    "Kind",
    "Token",
    "TokenSink",
    "attributes",
    "closes_itself",
    "feed",
    "shown_tokens",
    "tokens",
]


class Kind(enum.IntEnum):
    """What a token is."""

    TEXT = 0
    START = 1
    END = 2
    RAW = 3


@dataclass(slots=True)
class Token:
    """One piece of a document: text, a start or end tag, or the raw content of an element."""

    # Not frozen: a frozen dataclass costs twice as much to make, and a flood of tags is
    # made of nothing but tokens.  Nobody changes a token.
    kind: Kind
    # The lower-cased tag name; for RAW the element's; empty for TEXT.
    name: str
    # TEXT and RAW: the text, entities decoded (but in script-like raw blocks).  START: the
    # rest of the tag after its name, for ``attributes`` and ``closes_itself``.
    data: str


# Elements whose content is raw text up to their end tag.  The hidden ones are never
# shown by a browser; ``textarea`` and ``xmp`` show theirs as it is written.
RAW_HIDDEN = frozenset({"script", "style", "title", "iframe", "noembed", "noframes"})
RAW_ELEMENTS = RAW_HIDDEN | frozenset({"textarea", "xmp"})
_TEMPLATE = frozenset({"template"})
# Raw elements whose entities are decoded (HTML5's "escapable raw text").
_RCDATA = frozenset({"title", "textarea"})

# A tag name: a letter, then anything that is not space, "/", "<" or ">".
_NAME = r"[A-Za-z][^\s/<>]*+"
# The rest of a tag, then ">".  First read with quotes, which may hold ">" but not "<";
# when that reading does not end at a ">" (an unclosed quote), the tag runs to its first
# ">" as if quotes were letters.  Possessive: nothing to backtrack into.  Both readings
# stop at the next "<".
_REST = r"""((?:[^<>"']++|"[^"<]*+"|'[^'<]*+')*+|[^<>]*+)>"""
# A comment opener (group 1); or a tag: an optional "/" (group 2), the name (group 3) and
# the rest (group 4); or a doctype, processing instruction or bogus comment, dropped.
_MARKUP = re.compile(rf"<(?:(!--)|(/?)({_NAME}){_REST}|[/!?][^<>]*+>)")
_COMMENT_END = re.compile("-->")
_RAW_ENDS: dict[str, re.Pattern[str]] = {
    name: re.compile(rf"</{name}(?![^\s/>])", re.IGNORECASE) for name in RAW_ELEMENTS
}
# Closing quotes are optional so that an unbalanced quote ends the value at the end of
# the tag instead of failing and being rescanned from the next offset.
_ATTRIBUTE = re.compile(r"""([^\s"'=/]+)(?:\s*=\s*("[^"]*"?|'[^']*'?|[^\s"']*))?""")


@lru_cache(maxsize=8)
def _markup_for(names: frozenset[str]) -> re.Pattern[str]:
    """``_MARKUP`` restricted to some tags, and to the comments and raw blocks that hide them.

    Every other tag is then skipped at the speed of the regular expression engine.  No
    tag, doctype or bogus comment holds a ``<``, so none can hide a tag from the full
    pattern that this one would see: the two find the same tags of these names.
    """
    alternatives = "|".join(sorted(map(re.escape, names | RAW_ELEMENTS), key=len, reverse=True))
    return re.compile(rf"<(?:(!--)|(/?)((?i:{alternatives}))(?![^\s/<>]){_REST})")


def tokens(html: str, *, only: frozenset[str] | None = None) -> Iterator[Token]:
    """Yield the tokens of ``html`` in document order, in one linear pass.

    With ``only``, yield just the tags (and raw content) of those lower-case names, and no
    text: the cheap way to find, say, the links of a document.
    """
    markup = _MARKUP if only is None else _markup_for(only)
    with_text = only is None
    position = 0
    length = len(html)
    while position < length:
        match = markup.search(html, position)
        if match is None:
            if with_text:
                yield Token(Kind.TEXT, "", unescape(html[position:]))
            return
        start = match.start()
        if with_text and start > position:
            yield Token(Kind.TEXT, "", unescape(html[position:start]))
        comment, slash, name, rest = match.groups()
        if comment:
            # From the "--" of "<!--", so that "<!-->" and "<!--->" are empty comments.
            close = _COMMENT_END.search(html, start + 2)
            if close is None:
                return  # an unterminated comment hides the rest, as in HTML5
            position = close.end()
            continue
        position = match.end()
        if name is None:
            continue  # a doctype, processing instruction or bogus comment
        name = name.lower()
        wanted = only is None or name in only
        if slash:
            if wanted:
                yield Token(Kind.END, name, "")
            continue
        if wanted:
            yield Token(Kind.START, name, rest)
        raw_end = _RAW_ENDS.get(name)
        if raw_end is not None and not closes_itself(rest):
            end = raw_end.search(html, position)
            stop = length if end is None else end.start()
            if wanted:
                raw = html[position:stop]
                yield Token(Kind.RAW, name, unescape(raw) if name in _RCDATA else raw)
            # The end tag itself is read by the next search: an END token.
            position = stop


class TokenSink(Protocol):
    """What reads a document token by token: its text, its start tags and its end tags."""

    def text(self, data: str) -> None:
        """Take a run of text (entities decoded)."""

    def start(self, name: str, data: str) -> None:
        """Take a start tag: its lower-case name and the raw text of its attributes."""

    def end(self, name: str) -> None:
        """Take an end tag by its lower-case name."""


def shown_tokens(html: str, *, only: frozenset[str] | None = None) -> Iterator[Token]:
    """The tokens of ``html`` outside any ``<template>`` (see ``tokens`` for ``only``)."""
    # A template is inert until a script uses it: no reader shows its content or its links.
    template_depth = 0
    for token in tokens(html, only=None if only is None else only | _TEMPLATE):
        if token.name == "template" and token.kind is Kind.START:
            template_depth += not closes_itself(token.data)
        elif token.name == "template" and token.kind is Kind.END:
            template_depth = max(template_depth - 1, 0)
        elif not template_depth:
            yield token


def feed(html: str, sink: TokenSink) -> None:
    """Hand the tokens a reader sees to ``sink``; a raw block that shows (textarea) is text."""
    for token in shown_tokens(html):
        kind = token.kind
        if kind is Kind.TEXT:
            sink.text(token.data)
        elif kind is Kind.START:
            sink.start(token.name, token.data)
        elif kind is Kind.END:
            sink.end(token.name)
        elif token.name not in RAW_HIDDEN:
            sink.text(token.data)  # the content of <textarea> or <xmp>


def attributes(data: str) -> dict[str, str]:
    """The attributes of a start tag from its data, values decoded (the first of a name wins)."""
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(data):
        key = match.group(1).lower()
        if key in found:
            continue
        value = match.group(2) or ""
        if value[:1] in ('"', "'"):
            value = value[1:-1] if len(value) > 1 and value[-1] == value[0] else value[1:]
        found[key] = unescape(value)
    return found


def closes_itself(data: str) -> bool:
    """Whether a start tag ends with ``/>`` (``<br/>``, ``<img alt="x" />``).

    A slash that ends an unquoted value is part of the value: ``<a href=/x/>`` does not
    close itself.  This is how ``HTMLParser``, and so html2text, reads it.
    """
    body = data.rstrip()
    if not body.endswith("/"):
        return False
    before = body[:-1]
    if not before.strip() or before[-1].isspace() or before[-1] in "\"'":
        return True
    # The slash ends a run of characters: an attribute name, or an unquoted value when an
    # "=" comes before it ("href=/x/" or "href= /x/").
    run = before.rsplit(None, 1)[-1]
    if "=" in run:
        return False
    return not before[: len(before) - len(run)].rstrip().endswith("=")
