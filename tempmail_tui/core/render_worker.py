"""The HTML-to-text worker process and the text tidying it shares with the parent.

The parent (``render.HtmlRenderer``) imports this module only to name ``serve`` as the
process target and to use ``tidy_text``; html2text is imported inside ``serve``, so it
is loaded in the worker and never in the UI process.

Wire format over a ``multiprocessing`` pipe, raw bytes only (no pickle is ever read
from the worker): the worker first sends ``b"ready"``; then each job is
``b"job\\0<max_output>\\0<utf-8 html>"`` and each answer ``b"ok\\0<0|1>\\0<utf-8 text>"``
(the flag says the text was cut to ``max_output``) or ``b"error\\0<message>"``; ``b"stop"``
or a closed pipe ends the worker.
"""

from __future__ import annotations

import os
import re
import signal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

__all__ = ["convert_html", "serve", "tidy_text"]

# Text is carried as UTF-8; surrogatepass lets a lone surrogate from a broken body
# cross the pipe so that the parent's clean_text can replace it, instead of failing.
ENCODING = "utf-8"
ENCODING_ERRORS = "surrogatepass"

_BLANK_LINES = re.compile(r"\n{3,}")
_EMPTY_LINK = re.compile(r"\[\]\[(\d+)\]")


def tidy_text(text: str) -> str:
    """Strip trailing spaces from lines, keep at most one blank line in a row, trim ends."""
    # Line by line rather than a regex such as " +$": a regex would rescan long runs of
    # spaces from every offset, which is quadratic on hostile input.
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip("\n")


def _no_markdown_escape(text: str, *args: object, **kwargs: object) -> str:
    return text


def _plain_text_html2text(html2text: Any) -> None:
    # The text is shown as plain text, not Markdown, so html2text's Markdown escapes
    # ("1\\.", "\\-", "\\[") are noise.  The library has no switch for them; both
    # functions are looked up as module globals at call time, so rebinding them in this
    # worker process turns them off.  Skipped quietly if a release renames them.
    for name in ("escape_md_section", "escape_md"):
        if callable(getattr(html2text, name, None)):
            setattr(html2text, name, _no_markdown_escape)


def _separate_cells(converter: Any, tag: str, attrs: object, start: bool) -> None:
    # Without tables, html2text drops cell boundaries and glues neighbours together
    # ("Total£2.99", "OrchardReceipt"); a space owed at each cell keeps them apart, as a
    # browser does.  It is dropped at the start of a line.  Returning None (not True)
    # lets html2text handle the tag as usual.
    if start and tag in ("td", "th"):
        converter.space = True


def convert_html(html2text: Any, html: str) -> str:
    """Convert HTML with a fresh, configured html2text instance and tidy the result."""
    # A new instance every time: a conversion that raised leaves an instance broken
    # (html2text issue #400).
    converter = html2text.HTML2Text()
    converter.body_width = 0  # the widget wraps
    converter.unicode_snob = True  # keep accents and dashes, do not fold them to ASCII
    converter.inline_links = False  # numbered references at the end: [text][1]
    converter.protect_links = True
    converter.wrap_links = False
    converter.ignore_images = False
    converter.images_to_alt = True  # an image is its alt text; nothing is fetched
    converter.ignore_emphasis = True  # **bold** markers are noise in plain text
    converter.single_line_break = False  # blank lines between paragraphs read better
    # Mail uses tables for layout: drawn as Markdown tables they become stray "|" and
    # paragraphs run together; without them each row reads as a line, its cells apart.
    converter.ignore_tables = True
    converter.tag_callback = _separate_cells
    text = converter.handle(html)
    # An image without alt text inside a link leaves an empty "[][3]".
    return _EMPTY_LINK.sub(r"[link][\1]", tidy_text(text))


def serve(conn: Connection) -> None:
    """Run the worker loop: convert each HTML job received on ``conn`` until told to stop."""
    # The worker shares the UI's terminal: anything it printed (a warning, a traceback)
    # would be drawn over the screen, so its output goes nowhere.  Ctrl+C is the UI's
    # business; the parent ends the worker by closing the pipe or killing it.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    import html2text

    _plain_text_html2text(html2text)
    conn.send_bytes(b"ready")
    while True:
        try:
            message = conn.recv_bytes()
        except (EOFError, OSError):
            return
        kind, _, rest = message.partition(b"\0")
        if kind != b"job":
            return
        limit_field, _, payload = rest.partition(b"\0")
        try:
            max_output = int(limit_field)
            text = convert_html(html2text, payload.decode(ENCODING, ENCODING_ERRORS))
        except Exception as exc:  # any failure of the library is reported, not fatal
            reply = b"error\0" + f"{type(exc).__name__}: {exc}"[:300].encode(ENCODING, "replace")
        else:
            truncated = len(text) > max_output
            if truncated:
                text = text[:max_output]
            reply = b"ok\0" + (b"1" if truncated else b"0") + b"\0"
            reply += text.encode(ENCODING, ENCODING_ERRORS)
        try:
            conn.send_bytes(reply)
        except (EOFError, OSError):
            return


def main(argv: list[str]) -> int:
    """Entry point of the worker process: serve on the socket whose descriptor is given."""
    from multiprocessing.connection import Connection

    serve(Connection(int(argv[1])))
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv))
