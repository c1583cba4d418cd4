"""The HTML tokenizer, and every reader built on it, run in linear time on hostile input.

The proof is by counting, not timing: every scan the tokenizer makes goes through one of its
compiled patterns (or ``html.unescape``), and each is replaced here by a meter that adds up
the characters the scan covers, from where it starts to where it stops (the end of the
input when it finds nothing).  A rescan, the usual way to quadratic time, shows up as a count
that grows with the square of the input.  Each pattern's own work is linear in what it
covers (no nested quantifiers, possessive where it matters); the timing test below checks
that, and the walkers' own work, with generous bounds.
"""

from __future__ import annotations

import html
import re
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from tempmail_tui.core.extract import find_codes, find_links
from tempmail_tui.core.extract.document import analysed
from tempmail_tui.core.html import tokenizer
from tempmail_tui.core.html.links import web_links
from tempmail_tui.core.html.text import document_text, read_html
from tempmail_tui.core.render import render_html

from .html_shapes import SHAPES, Shape

# The counting test's sizes: small enough to be quick, big enough for a quadratic
# count to stand out by a wide margin (64 times for 8 times the input).
SMALL = 20_000
LARGE = 8 * SMALL
# Characters scanned per character of input, at most.  The tokenizer covers each character
# about twice (once to find markup, once to decode the text or the attributes around it);
# ``read_html`` tokenizes twice (style sheets first), about 4 in all.  Room is left for the
# one step a scan costs even when it covers nothing.
MAX_SCANS_PER_CHARACTER = 5


@dataclass
class Meter:
    """The characters scanned so far, and by how many scans."""

    characters: int = 0
    scans: int = 0

    def add(self, characters: int) -> None:
        """Count one scan over ``characters`` characters."""
        self.characters += characters + 1  # a scan that covers nothing still costs a step
        self.scans += 1


class MeteredPattern:
    """A compiled pattern that reports what each of its scans covers to a ``Meter``."""

    def __init__(self, pattern: re.Pattern[str], meter: Meter) -> None:
        self._pattern = pattern
        self._meter = meter

    def search(self, string: str, pos: int = 0) -> re.Match[str] | None:
        """``Pattern.search``, counted up to the end of the match (or of the string)."""
        match = self._pattern.search(string, pos)
        self._meter.add((match.end() if match else len(string)) - pos)
        return match

    def finditer(self, string: str, pos: int = 0) -> Iterator[re.Match[str]]:
        """``Pattern.finditer``, counted as one scan of the rest of the string."""
        self._meter.add(len(string) - pos)
        return self._pattern.finditer(string, pos)


@pytest.fixture
def meter(monkeypatch: pytest.MonkeyPatch) -> Meter:
    """Every scan of the tokenizer, counted."""
    counted = Meter()
    monkeypatch.setattr(tokenizer, "_MARKUP", MeteredPattern(tokenizer._MARKUP, counted))
    monkeypatch.setattr(tokenizer, "_COMMENT_END", MeteredPattern(tokenizer._COMMENT_END, counted))
    monkeypatch.setattr(
        tokenizer,
        "_RAW_ENDS",
        {name: MeteredPattern(end, counted) for name, end in tokenizer._RAW_ENDS.items()},
    )
    monkeypatch.setattr(tokenizer, "_ATTRIBUTE", MeteredPattern(tokenizer._ATTRIBUTE, counted))
    restricted = tokenizer._markup_for
    monkeypatch.setattr(
        tokenizer, "_markup_for", lambda names: MeteredPattern(restricted(names), counted)
    )

    def unescape(text: str) -> str:
        counted.add(len(text))
        return html.unescape(text)

    monkeypatch.setattr(tokenizer, "unescape", unescape)
    return counted


def _tokenize(document: str) -> None:
    for _ in tokenizer.tokens(document):
        pass


# Each reader of HTML in the project, as a function of a document.
READERS: dict[str, Callable[[str], object]] = {
    "tokenizer": _tokenize,
    "document_text": lambda document: document_text(document, is_html=True),
    "read_html": read_html,
    "render_html": render_html,
    "web_links": lambda document: web_links(document, is_html=True),
}


def _scanned(meter: Meter, read: Callable[[str], object], document: str) -> int:
    before = meter.characters
    read(document)
    return meter.characters - before


@pytest.mark.parametrize("shape", SHAPES, ids=[shape.name for shape in SHAPES])
@pytest.mark.parametrize("reader", READERS)
def test_each_character_is_scanned_a_bounded_number_of_times(
    shape: Shape, reader: str, meter: Meter
) -> None:
    read = READERS[reader]
    small, large = shape.build(SMALL), shape.build(LARGE)
    small_count = _scanned(meter, read, small)
    large_count = _scanned(meter, read, large)
    assert meter.scans > 0, "the meter saw no scan: the tokenizer no longer uses its patterns"
    # Linear: a bounded number of scans per character, at both sizes.
    assert small_count <= MAX_SCANS_PER_CHARACTER * len(small), small_count / len(small)
    assert large_count <= MAX_SCANS_PER_CHARACTER * len(large), large_count / len(large)
    # And the count grows with the input, not with its square (8 times the input: at most
    # 8 times the count, with room for the fixed cost of a document).
    assert large_count <= 8 * small_count * 1.1 + 100, large_count / small_count


# -- the same, timed: the patterns' own work and the walkers' -------------------------------

TIMED_SMALL = 25_000
TIMED_LARGE = 8 * TIMED_SMALL
# Linear is 8 times as long for 8 times the input; quadratic is 64 times.  Generous, so
# that a loaded two-core machine does not make it flaky: the medians of interleaved runs
# of process time (not wall time: other processes do not count).
MAX_TIME_RATIO = 24.0
RUNS = 3


def _all_readers(document: str) -> None:
    """Every reader of HTML in the project, the extractor's scoring included, on one document."""
    for read in READERS.values():
        read(document)
    analysed.cache_clear()  # the extractor remembers the last mails: make it read again
    find_codes("", document, is_html=True)
    find_links(document, is_html=True)


def _cpu_seconds(read: Callable[[str], None], document: str) -> float:
    started = time.process_time()
    read(document)
    return time.process_time() - started


@pytest.mark.timeout(300)
@pytest.mark.parametrize("shape", SHAPES, ids=[shape.name for shape in SHAPES])
def test_readers_take_time_linear_in_the_input(shape: Shape) -> None:
    small, large = shape.build(TIMED_SMALL), shape.build(TIMED_LARGE)
    small_times: list[float] = []
    large_times: list[float] = []
    for _ in range(RUNS):
        small_times.append(_cpu_seconds(_all_readers, small))
        large_times.append(_cpu_seconds(_all_readers, large))
    small_time = statistics.median(small_times)
    large_time = statistics.median(large_times)
    # A floor for the small run: process time is counted in clock ticks on some systems.
    ratio = large_time / max(small_time, 0.002)
    assert ratio < MAX_TIME_RATIO, (
        f"{shape.name}: {small_time * 1000:.1f} ms for {len(small)} characters, "
        f"{large_time * 1000:.1f} ms for {len(large)} (x{ratio:.1f})"
    )


def test_the_meter_counts_a_rescan(meter: Meter) -> None:
    """The meter would see a quadratic tokenizer: a rescan after each miss counts n squared."""
    document = "<!--" * 2000
    pattern = MeteredPattern(re.compile("-->"), meter)
    before = meter.characters
    for start in range(0, len(document), 4):
        pattern.search(document, start)
    assert meter.characters - before > len(document) * 1000
