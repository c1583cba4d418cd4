"""A long body cut into lines a width at a time, computed off the UI thread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.cells import cell_len, get_character_cell_size
from rich.text import Span, Text

TAB_SIZE = 8


def _prefix_end(plain: str, start: int, end: int, width: int) -> int:
    """Where the longest run of ``plain[start:end]`` fitting ``width`` cells ends (one at least)."""
    cells = 0
    for index in range(start, end):
        cells += get_character_cell_size(plain[index])
        if cells > width:
            return max(index, start + 1)
    return end


def _ranges_single(plain: str, width: int) -> list[tuple[int, int]]:
    """``line_ranges`` for text of one cell a character: cut at the last space that fits."""
    ranges: list[tuple[int, int]] = []
    start, length = 0, len(plain)
    while length - start > width:
        space = plain.rfind(" ", start + 1, start + width + 1)
        if space < 0:
            ranges.append((start, start + width))
            start += width
        else:
            ranges.append((start, space))
            start = space + 1
    if start < length or not ranges:
        ranges.append((start, length))
    return ranges


def _ranges_wide(plain: str, width: int) -> list[tuple[int, int]]:
    """``line_ranges`` for text with wide or zero-width characters, word by word."""
    ranges: list[tuple[int, int]] = []
    start = 0  # where the current piece begins
    used = 0  # cells in the current piece
    position = 0  # where the current word begins
    for word in plain.split(" "):
        word_end = position + len(word)
        cells = cell_len(word)
        first = position == start
        if (cells if first else used + 1 + cells) <= width:
            used = cells if first else used + 1 + cells
        else:
            if not first:
                ranges.append((start, position - 1))
                start = position
            while cells > width:
                cut = _prefix_end(plain, start, word_end, width)
                # Subtract what was cut rather than measure the rest again: a huge word
                # must cost one pass, not one per line it fills.
                cells -= cell_len(plain[start:cut])
                ranges.append((start, cut))
                start = cut
            used = cells
        position = word_end + 1
    if start < len(plain) or not ranges:
        ranges.append((start, len(plain)))
    return ranges


def line_ranges(plain: str, width: int) -> list[tuple[int, int]]:
    """Where to cut one line so each piece fits ``width`` cells: at spaces, else mid-word.

    The space a line is cut at is dropped, as a word processor would.
    """
    width = max(1, width)
    # Controls are cleaned out before this, so ASCII text is one cell a character.
    if plain.isascii() or cell_len(plain) == len(plain):
        return _ranges_single(plain, width)
    return _ranges_wide(plain, width)


def wrap_offsets(plain: str, width: int) -> list[tuple[int, int]]:
    """Where each line of ``plain`` starts and ends once cut at newlines, then to ``width``."""
    width = max(1, width)
    # A character takes two cells at most: shorter lines need no measuring.
    fits = width if plain.isascii() else width // 2
    offsets: list[tuple[int, int]] = []
    start = 0
    while True:
        end = plain.find("\n", start)
        stop = len(plain) if end < 0 else end
        if stop - start <= fits:
            offsets.append((start, stop))
        else:
            offsets.extend((start + a, start + b) for a, b in line_ranges(plain[start:stop], width))
        if end < 0:
            return offsets
        start = end + 1


@dataclass(frozen=True)
class LongText:
    """A long text ready to draw a line at a time: spans in order, and its lines per width."""

    plain: str
    spans: tuple[Span, ...]
    # Each span's start, and the furthest end of the spans up to it (a line looks back
    # only that far).
    starts: list[int]
    reach: list[int]
    lines: dict[int, list[tuple[int, int]]] = field(default_factory=dict)


def long_text(plain: str, spans: Sequence[Span], widths: Sequence[int] = ()) -> LongText:
    """Lay out a long clean text: tabs expanded, spans ordered, lines cut at ``widths``.

    Pure: run off the UI thread, so a newsletter's layout never holds the screen.
    """
    if "\t" in plain:
        # Expanding tabs moves the spans after them: let Rich do both.
        text = Text(plain, spans=list(spans))
        text.expand_tabs(TAB_SIZE)
        plain, spans = text.plain, text.spans
    ordered = sorted(spans, key=lambda span: span.start)
    reach: list[int] = []
    furthest = 0
    for span in ordered:
        furthest = max(furthest, span.end)
        reach.append(furthest)
    lines = {width: wrap_offsets(plain, width) for width in widths if width > 0}
    return LongText(plain, tuple(ordered), [span.start for span in ordered], reach, lines)
