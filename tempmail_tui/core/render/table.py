"""Tables of a rendered mail: which ones may be drawn as aligned columns, and their layout.

Mail uses tables for layout as much as for data.  Only a small table is drawn as a grid:
a few short lines a cell, nothing outside its cells, no table inside it, and rows short
enough for a terminal.  Any other table keeps the linear reading (cells two spaces apart, blocks
on their own lines).  A grid never holds another table, so each character of a mail is
laid out as a grid at most once: the layout stays linear in the size of the mail.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

# A piece of a cell: where it was written (start, end) and its column in its new line.
Move = tuple[int, int, int]

__all__ = [
    "MAX_CELL_WIDTH",
    "MAX_ROW_WIDTH",
    "Cell",
    "Move",
    "Table",
    "column_layout",
    "text_width",
]

# A cell wider than this, or a row wider than that, is not drawn as a grid: a terminal
# would wrap the row and the columns would no longer line up.
MAX_CELL_WIDTH = 60
MAX_ROW_WIDTH = 160
MAX_COLUMNS = 30
MAX_CELL_LINES = 8
# Columns of a grid are this far apart.
COLUMN_GAP = "  "


def text_width(text: str) -> int:
    """The cells ``text`` takes on a terminal: two for wide characters, none for combining."""
    if text.isascii():
        return len(text)
    width = 0
    for character in text:
        if unicodedata.combining(character):
            continue
        width += 2 if unicodedata.east_asian_width(character) in "WF" else 1
    return width


@dataclass(slots=True)
class Cell:
    """One cell: where its text starts and ends in the output, and whether it is a header."""

    header: bool
    start: int | None = None
    end: int | None = None


@dataclass(slots=True)
class Table:
    """A table being read: where it starts in the output, its rows, whether it is a grid."""

    # Output length, parts count and marks count when the table opened.
    offset: int
    parts: int
    marks: int
    # The builder's owed breaks, gap and line state when the table opened.
    state: tuple[int, str, bool]
    # Whether the table is inside a quote (its lines are marked "> ").
    quoted: bool
    rows: list[list[Cell]] = field(default_factory=list)
    cell: Cell | None = None
    grid: bool = True

    def open_cell(self, *, header: bool) -> None:
        """Start a cell (closing the one before), in a new row if none is open."""
        self.close_cell(None)
        if not self.rows:
            self.rows.append([])
        row = self.rows[-1]
        if len(row) >= MAX_COLUMNS:
            self.grid = False
        cell = Cell(header)
        row.append(cell)
        self.cell = cell

    def close_cell(self, offset: int | None) -> None:
        """End the open cell at ``offset`` (its start when it showed nothing)."""
        cell = self.cell
        if cell is None:
            return
        if cell.start is not None and cell.end is None:
            cell.end = offset if offset is not None else cell.start
        self.cell = None

    def open_row(self, offset: int) -> None:
        """Start a row."""
        self.close_cell(offset)
        self.rows.append([])

    def content(self, offset: int) -> None:
        """Note text written at ``offset``: it starts the open cell, or spoils the grid."""
        cell = self.cell
        if cell is None or cell.end is not None:
            self.grid = False
        elif cell.start is None:
            cell.start = offset


def _cell_lines(table: Table, cell: Cell, text: str) -> list[tuple[int, str]]:
    """The lines of a cell's text, each with where it starts in the output."""
    if cell.start is None or cell.end is None:
        return []
    lines: list[tuple[int, str]] = []
    offset = cell.start
    for line in text[cell.start - table.offset : cell.end - table.offset].split("\n"):
        lines.append((offset, line.rstrip(" ")))
        offset += len(line) + 1
    return lines


def column_layout(table: Table, text: str) -> list[tuple[str, list[Move]]] | None:
    """The lines of a grid, with where each piece of a cell moves to in its line; None: no grid.

    ``text`` is the output written since the table opened.  A cell may hold a few lines
    (``<br>``); they are stacked in its column, as w3m does.
    """
    if not table.grid:
        return None
    rows: list[list[list[tuple[int, str]]]] = []
    for row in table.rows:
        cells = [_cell_lines(table, cell, text) for cell in row]
        if any(len(lines) > MAX_CELL_LINES for lines in cells):
            return None
        if table.quoted and any(len(lines) > 1 for lines in cells):
            return None  # the quote marks written inside the cell would land mid-row
        if any(line for lines in cells for _, line in lines):
            rows.append(cells)
    if not rows:
        return None
    widths: list[int] = []
    for cells in rows:
        for column, lines in enumerate(cells):
            width = max((text_width(line) for _, line in lines), default=0)
            if width > MAX_CELL_WIDTH:
                return None
            if column == len(widths):
                widths.append(width)
            else:
                widths[column] = max(widths[column], width)
    if sum(widths) + len(COLUMN_GAP) * (len(widths) - 1) > MAX_ROW_WIDTH:
        return None
    laid_out: list[tuple[str, list[Move]]] = []
    for cells in rows:
        for index in range(max(len(lines) for lines in cells)):
            pieces: list[str] = []
            moves: list[Move] = []
            position = 0
            for column, lines in enumerate(cells):
                if column:
                    pieces.append(COLUMN_GAP)
                    position += len(COLUMN_GAP)
                old, line = lines[index] if index < len(lines) else (-1, "")
                if line:
                    moves.append((old, old + len(line), position))
                padding = " " * (widths[column] - text_width(line))
                pieces.append(line + padding)
                position += len(line) + len(padding)
            laid_out.append(("".join(pieces).rstrip(" "), moves))
    return laid_out
