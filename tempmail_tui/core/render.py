"""Mail bodies as readable, bounded, safe text: HTML conversion, fallback and links.

HTML goes to html2text in a separate worker process (``render_worker``) that is killed
and replaced when a conversion takes too long, because html2text can loop forever or
grow quadratically on hostile input and a thread cannot be stopped.  Anything that
fails, times out or is too deeply nested is shown through ``strip_html`` instead, a
small linear tokenizer written here.  The standard library's ``HTMLParser`` is not
used for that: before the fix for CVE-2025-6069 (Python 3.11.13 and later) it is
quadratic on input such as ``"<a" * 200_000``, which took 271 s on Python 3.11.7.

Whatever the path, the result goes through ``sanitize.clean_text`` last.  Importing this
module is cheap: neither html2text nor multiprocessing is imported until needed.
"""

from __future__ import annotations

import contextlib
import html as html_lib
import os
import re
import socket
import subprocess
import sys
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from tempmail_tui.core.render_worker import ENCODING, ENCODING_ERRORS, tidy_text
from tempmail_tui.core.sanitize import ELLIPSIS, clean_line, clean_text, coerce_text

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

__all__ = [
    "HtmlRenderer",
    "RenderCache",
    "Rendered",
    "extract_links",
    "strip_html",
]

Source = Literal["html2text", "fallback", "plain"]

# How long a freshly spawned worker may take to import html2text and report ready.
# Generous: it is paid once, in the background, and a loaded CI machine is slow.
STARTUP_TIMEOUT = 20.0
# After this many workers in a row fail to start, stop trying and always fall back.
MAX_START_FAILURES = 3
# Links shown to the user are bounded in number and length.
MAX_LINKS = 1000
MAX_LINK_LENGTH = 8192
# Deeper list and quote levels are not indented further in the fallback text, so that
# its size stays linear in the input.
MAX_INDENT_LEVELS = 5


@dataclass(frozen=True, slots=True)
class Rendered:
    """A mail body ready for display: clean text, its web links and how it was made."""

    text: str
    # Absolute http(s) links, in document order, without duplicates.
    links: tuple[str, ...]
    # One line for the reader when the text is simplified or shortened, else None.
    notice: str | None
    source: Source


# --------------------------------------------------------------------------- tokenizer

# A comment opener (group 1), or a complete tag: "<", an optional "/" (group 2), a
# name (group 3) and the rest (group 4) up to ">"; or a doctype, processing instruction
# or bogus comment ("<!x>", "<?x>", "</ x>"), dropped.  No part of a tag may hold "<" or
# ">": stopping at "<" keeps the search linear, since a stray "<" that never closes is
# scanned once, up to the next "<", and is then plain text.
_MARKUP = re.compile(r"<(?:(!--)|(/?)([A-Za-z][^\s/<>]*)([^<>]*)>|[/!?][^<>]*>)")
# The same, restricted to the tags that matter for links (and those whose content must
# be skipped), so that link extraction skips every other tag at regex speed.
_LINK_MARKUP = re.compile(
    r"<(?:(!--)|(/?)(a|area|template|script|style|title|iframe|noembed|noframes|textarea|xmp)"
    r"(?![^\s/<>])([^<>]*)>)",
    re.IGNORECASE,
)
# Closing quotes are optional so that an unbalanced quote ends the value at the end of
# the tag instead of failing and being rescanned from the next offset.
_ATTRIBUTE = re.compile(r"""([^\s"'=/]+)(?:\s*=\s*("[^"]*"?|'[^']*'?|[^\s"']*))?""")

_TEXT, _START, _END, _RAW = range(4)

# Elements whose content is raw text up to their end tag.
_RAW_DROPPED = frozenset({"script", "style", "title", "iframe", "noembed", "noframes"})
_RAW_SHOWN = frozenset({"textarea", "xmp"})
_RAW_END_PATTERNS: dict[str, re.Pattern[str]] = {
    name: re.compile(rf"</{name}(?![^\s/>])", re.IGNORECASE) for name in _RAW_DROPPED | _RAW_SHOWN
}

_Token = tuple[int, str, str]


def _tokens(
    html: str, markup: re.Pattern[str] = _MARKUP, *, with_text: bool = True
) -> Iterator[_Token]:
    """Yield ``(kind, name, data)`` tokens in one linear pass over ``html``.

    Text and raw content come with entities decoded; a start tag's data is the rest of
    the tag after its name, for ``_attributes``.  Comments, doctypes and processing
    instructions are dropped; an unterminated comment hides the rest, as in HTML5.
    """
    unescape = html_lib.unescape
    position = 0
    length = len(html)
    while position < length:
        match = markup.search(html, position)
        if match is None:
            if with_text:
                yield _TEXT, "", unescape(html[position:])
            return
        start = match.start()
        if with_text and start > position:
            yield _TEXT, "", unescape(html[position:start])
        comment, slash, name, rest = match.groups()
        if comment:
            # "<!-->" and "<!--->" are complete (empty) comments in HTML5.
            close = html.find("-->", start + 2)
            if close < 0:
                return
            position = close + 3
            continue
        position = match.end()
        if name is None:
            continue
        name = name.lower()
        if slash:
            yield _END, name, ""
            continue
        yield _START, name, rest
        raw_end = _RAW_END_PATTERNS.get(name)
        if raw_end is not None and not rest.endswith("/"):
            end = raw_end.search(html, position)
            stop = length if end is None else end.start()
            if with_text and name in _RAW_SHOWN:
                raw = html[position:stop]
                yield _RAW, name, unescape(raw) if name == "textarea" else raw
            position = stop


def _attributes(data: str) -> dict[str, str]:
    """Parse the attributes of a start tag (the first occurrence of a name wins)."""
    attributes: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(data):
        key = match.group(1).lower()
        if key in attributes:
            continue
        value = match.group(2) or ""
        if value[:1] in ('"', "'"):
            value = value[1:-1] if len(value) > 1 and value[-1] == value[0] else value[1:]
        attributes[key] = html_lib.unescape(value)
    return attributes


# ----------------------------------------------------------------------- links

# A bare URL in plain text: stops at whitespace, quotes, angle brackets and the
# characters that cannot appear unescaped in a URL.
_TEXT_URL = re.compile(r"""https?://[^\s<>"'`{}|\\^\[\]]+""", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?)"
# Tab and newlines are removed from URLs by browsers (WHATWG URL parser).
_URL_STRIPPED = str.maketrans("", "", "\t\n\r")


def _web_link(candidate: str) -> str | None:
    """Return ``candidate`` if it is an absolute http(s) URL safe to show, else None."""
    url = candidate.strip().translate(_URL_STRIPPED)
    if not url or len(url) > MAX_LINK_LENGTH:
        return None
    # A URL carrying controls, spaces or invisible characters is suspicious: the text
    # shown would not be the address opened.  Refuse it rather than "repair" it.
    if clean_text(url) != url or any(character.isspace() for character in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


def _trim_text_url(url: str) -> str:
    # Sentence punctuation after a URL is not part of it; a ")" is kept only when it
    # closes a "(" of the URL (Wikipedia-style links).  One pass: no rescans.
    body = url.rstrip(_TRAILING_PUNCTUATION)
    unclosed = body.count("(") - body.count(")")
    kept = len(body)
    for character in url[len(body) :]:
        if character != ")" or unclosed <= 0:
            break
        unclosed -= 1
        kept += 1
    return url[:kept]


def extract_links(html_or_text: str, *, is_html: bool) -> tuple[str, ...]:
    """Return the absolute http(s) links of a body in document order, without duplicates.

    For HTML these are the ``href`` of ``<a>`` and ``<area>`` outside comments, scripts
    and templates; for plain text, the URLs written in it.
    """
    text = coerce_text(html_or_text)
    if is_html:
        candidates: Iterator[str] = _html_hrefs(text)
    else:
        candidates = (
            _trim_text_url(match.group())
            for match in _TEXT_URL.finditer(text)
            if len(match.group()) <= 2 * MAX_LINK_LENGTH  # far too long either way
        )
    links: dict[str, None] = {}
    for candidate in candidates:
        if candidate in links:  # a repeat: skip the validation cost
            continue
        link = _web_link(candidate)
        if link is not None:
            links[link] = None
            if len(links) >= MAX_LINKS:
                break
    return tuple(links)


def _html_hrefs(html: str) -> Iterator[str]:
    template_depth = 0
    for kind, name, data in _tokens(html, _LINK_MARKUP, with_text=False):
        if name == "template":
            if kind == _START and not data.rstrip().endswith("/"):
                template_depth += 1
            elif kind == _END:
                template_depth = max(template_depth - 1, 0)
        elif kind == _START and template_depth == 0 and name in ("a", "area"):
            href = _attributes(data).get("href")
            if href:
                yield href


# -------------------------------------------------------------------- fallback text

_PARAGRAPH_TAGS = frozenset(
    {
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "table",
        "ul",
        "ol",
        "dl",
        "form",
        "figure",
        "address",
        "center",
        "fieldset",
    }
)
_LINE_TAGS = frozenset(
    {
        "div",
        "li",
        "dt",
        "dd",
        "tr",
        "section",
        "article",
        "header",
        "footer",
        "nav",
        "aside",
        "main",
        "details",
        "summary",
        "figcaption",
        "caption",
        "option",
        "legend",
        "body",
        "textarea",
        "xmp",
    }
)


class _TextBuilder:
    """Accumulates fallback text: whitespace collapsed, blocks on their own lines."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.link_numbers: dict[str, int] = {}
        self._newlines = 0  # line breaks owed before the next text (at most 2)
        self._gap = ""  # space owed before the next text on the same line
        self._line_start = True
        self._quote_depth = 0
        self._pre_depth = 0
        self._template_depth = 0
        self._lists: list[list[int]] = []  # one [counter] per open list; -1 = bullets
        self._anchors: list[tuple[int, int] | None] = []  # (link number, parts length)

    # -- output

    def _put(self, text: str) -> None:
        if self._newlines and self.parts:
            self.parts.append("\n" * self._newlines)
            self._line_start = True
        self._newlines = 0
        if self._line_start:
            if self._quote_depth:
                self.parts.append("> " * min(self._quote_depth, MAX_INDENT_LEVELS))
            self._line_start = False
        elif self._gap and self.parts[-1] != "[":
            # No space straight after an anchor's opening bracket: "[text]", not "[ text]".
            self.parts.append(self._gap)
        self._gap = ""
        self.parts.append(text)

    def _break(self, count: int) -> None:
        if self.parts:
            self._newlines = max(self._newlines, count)

    def text(self, data: str) -> None:
        """Add character data, collapsing whitespace outside ``<pre>``."""
        if self._template_depth or not data:
            return
        if self._pre_depth:
            self._put(data)
            self._line_start = data.endswith("\n")
            return
        words = data.split()
        if data[0].isspace() and not self._gap:
            self._gap = " "
        if words:
            self._put(" ".join(words))
            if data[-1].isspace():
                self._gap = " "

    # -- tags

    def start(self, name: str, data: str) -> None:
        """Handle a start tag."""
        if name == "template":
            if not data.rstrip().endswith("/"):
                self._template_depth += 1
            return
        if self._template_depth:
            return
        if name in _LINE_TAGS or (name in ("ul", "ol") and self._lists):
            self._break(1)  # a nested list continues its parent item
        elif name in _PARAGRAPH_TAGS:
            self._break(2)
        if name == "br":
            if self.parts:
                self._newlines = min(self._newlines + 1, 2)
        elif name == "hr":
            self._break(2)
            self._put("* * *")
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
            if not self._line_start:
                self._gap = "  "
        elif name == "img":
            alt = _attributes(data).get("alt", "")
            if alt.strip():
                self.text(alt)
        elif name == "a":
            self._open_anchor(_attributes(data).get("href"))

    def end(self, name: str) -> None:
        """Handle an end tag."""
        if name == "template":
            self._template_depth = max(self._template_depth - 1, 0)
            return
        if self._template_depth:
            return
        if name in _LINE_TAGS or (name in ("ul", "ol") and len(self._lists) > 1):
            self._break(1)
        elif name in _PARAGRAPH_TAGS:
            self._break(2)
        if name == "blockquote":
            self._quote_depth = max(self._quote_depth - 1, 0)
        elif name == "pre":
            self._pre_depth = max(self._pre_depth - 1, 0)
        elif name in ("ul", "ol"):
            if self._lists:
                self._lists.pop()
        elif name == "a" and self._anchors:
            self._close_anchor(self._anchors.pop())

    def _list_item(self) -> None:
        self._break(1)
        indent = "  " * min(max(len(self._lists) - 1, 0), MAX_INDENT_LEVELS)
        if self._lists and self._lists[-1][0] >= 0:
            self._lists[-1][0] += 1
            marker = f"{self._lists[-1][0]}."
        else:
            marker = "*"
        self._put(f"{indent}{marker}")
        self._gap = " "

    def _open_anchor(self, href: str | None) -> None:
        href = (href or "").strip().translate(_URL_STRIPPED)
        if not href or href.startswith("#"):
            self._anchors.append(None)
            return
        number = self.link_numbers.setdefault(href, len(self.link_numbers) + 1)
        self._put("[")
        self._anchors.append((number, len(self.parts)))

    def _close_anchor(self, anchor: tuple[int, int] | None) -> None:
        if anchor is None:
            return
        number, parts_at_open = anchor
        if len(self.parts) == parts_at_open:
            self.parts.append("link")
        # A space owed inside the anchor goes after it: "[text][1] more".
        gap, self._gap = self._gap, ""
        self.parts.append(f"][{number}]")
        self._gap = gap

    def finish(self) -> str:
        """Close what is still open and return the text with its reference list."""
        while self._anchors:
            self._close_anchor(self._anchors.pop())
        text = tidy_text("".join(self.parts))
        if self.link_numbers:
            references = "\n".join(
                f"   [{number}]: <{href}>" for href, number in self.link_numbers.items()
            )
            text = f"{text}\n\n{references}" if text else references
        return text


def strip_html(html: str) -> str:
    """Return the readable text of HTML by a simple linear pass, cleaned for display.

    Scripts, styles, titles and templates are dropped; blocks start new lines; an image
    is its alt text; each link is ``[text][n]`` with the numbered list at the end.
    """
    builder = _TextBuilder()
    for kind, name, data in _tokens(coerce_text(html)):
        if kind == _TEXT:
            builder.text(data)
        elif kind == _START:
            builder.start(name, data)
        elif kind == _END:
            builder.end(name)
        else:
            builder.text(data)  # the content of <textarea> or <xmp>
    return clean_text(builder.finish())


# ------------------------------------------------------------------------- nesting

_NESTING_TAG = re.compile(r"<(/?)(?:blockquote|ul|ol|dl|div|table)(?=[\s/>])", re.IGNORECASE)


def _nesting_exceeds(html: str, limit: int) -> bool:
    """Whether container tags nest deeper than ``limit`` (one linear scan of tags)."""
    depth = 0
    for match in _NESTING_TAG.finditer(html):
        if match.group(1):
            depth = max(depth - 1, 0)
        else:
            depth += 1
            if depth > limit:
                return True
    return False


# --------------------------------------------------------------------------- cache


class RenderCache:
    """A thread-safe LRU of rendered bodies keyed by message id, bounded in entries and size."""

    def __init__(self, max_entries: int = 256, *, max_chars: int = 32_000_000) -> None:
        if max_entries < 1 or max_chars < 1:
            raise ValueError("cache bounds must be positive")
        self._max_entries = max_entries
        self._max_chars = max_chars
        self._entries: OrderedDict[str, Rendered] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> Rendered | None:
        """Return the cached rendering for ``key`` and mark it recently used."""
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: str, value: Rendered) -> None:
        """Store a rendering, evicting the least recently used beyond the bounds."""
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._chars -= len(old.text)
            self._entries[key] = value
            self._chars += len(value.text)
            # The newest entry always stays, even if it alone is over the size bound.
            while len(self._entries) > 1 and (
                len(self._entries) > self._max_entries or self._chars > self._max_chars
            ):
                _, evicted = self._entries.popitem(last=False)
                self._chars -= len(evicted.text)

    def discard(self, key: str) -> None:
        """Forget ``key`` (for a deleted message)."""
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._chars -= len(old.text)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()
            self._chars = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._entries


# -------------------------------------------------------------------------- worker


class _WorkerGone(Exception):
    """The worker process could not be started or stopped answering."""


class _Worker:
    """One worker process and the parent's end of its socket."""

    def __init__(self) -> None:
        # Imported here, not at module level: they cost start-up time and are needed only
        # once the first HTML mail is opened.
        from multiprocessing.connection import Connection

        # A plain child process over a socket pair, not multiprocessing's spawn: spawn
        # starts a resource tracker that passes sys.stderr's descriptor on, and inside a
        # running Textual app sys.stderr is a capture object with no usable descriptor.
        # Not fork either: the UI process runs threads, and forking one can deadlock.
        parent_sock, child_sock = socket.socketpair()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "tempmail_tui.core.render_worker", str(child_sock.fileno())],
                pass_fds=(child_sock.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl+C in the terminal is the UI's, not the worker's
                env=_worker_environment(),
            )
        except BaseException:
            parent_sock.close()
            raise
        finally:
            child_sock.close()
        self.conn: Connection = Connection(parent_sock.detach())
        self.process: subprocess.Popen[bytes] = process
        self.ready = False
        self._disposed = False

    def is_alive(self) -> bool:
        """Whether the process is still running."""
        return self.process.poll() is None

    def kill(self) -> None:
        """Kill the process; safe from any thread and more than once."""
        if self._disposed:
            return
        # OSError: already reaped by someone else.
        with contextlib.suppress(OSError):
            self.process.kill()

    def dispose(self) -> None:
        """Kill the process, reap it and close the socket."""
        if self._disposed:
            return
        self.kill()
        self._disposed = True
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        self.conn.close()


def _worker_environment() -> dict[str, str]:
    """The worker's environment: the parent's, with this package importable."""
    env = dict(os.environ)
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    existing = env.get("PYTHONPATH")
    env["PYTHONPATH"] = package_root + (os.pathsep + existing if existing else "")
    return env


class _WorkerSlot:
    """Holds the current worker so that a finalizer can stop it without the renderer."""

    def __init__(self) -> None:
        self.worker: _Worker | None = None

    def shutdown(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.dispose()


def _describe_size(characters: int) -> str:
    if characters >= 1_000_000:
        return f"{characters / 1_000_000:g} MB"
    if characters >= 1_000:
        return f"{characters / 1_000:g} KB"
    return f"{characters} characters"


class HtmlRenderer:
    """Turns mail bodies into display text, converting HTML in a killable worker process.

    Thread-safe: conversions are serialised over the one worker.  The worker is spawned
    on the first HTML body (or by ``start``), reused, and replaced when it is killed
    for going over ``timeout`` seconds on a job.  Use as a context manager or call
    ``close``; it is also stopped at interpreter exit.
    """

    def __init__(
        self,
        *,
        timeout: float = 3.0,
        max_input: int = 5_000_000,
        max_output: int = 2_000_000,
        max_depth: int = 200,
    ) -> None:
        if timeout <= 0 or max_input < 1 or max_output < 1 or max_depth < 1:
            raise ValueError("renderer bounds must be positive")
        self.timeout = timeout
        self.max_input = max_input
        self.max_output = max_output
        self.max_depth = max_depth
        self._lock = threading.Lock()
        self._slot = _WorkerSlot()
        self._closed = False
        self._start_failures = 0
        self._finalizer = weakref.finalize(self, self._slot.shutdown)

    # -- life cycle

    def start(self) -> None:
        """Spawn the worker now, without waiting for it, so the first render is quick."""
        with self._lock:
            if not self._closed and self._slot.worker is None:
                self._spawn()

    def close(self) -> None:
        """Stop the worker; later HTML renders use the fallback.  Idempotent."""
        self._closed = True
        worker = self._slot.worker
        if worker is not None:
            # Killing first unblocks a render waiting on the pipe in another thread.
            worker.kill()
        with self._lock:
            self._finalizer()

    def __enter__(self) -> HtmlRenderer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def worker_pid(self) -> int | None:
        """The process id of the current worker, if one is running (for diagnostics)."""
        worker = self._slot.worker
        return None if worker is None else worker.process.pid

    # -- rendering

    def render(self, content: object, *, is_html: bool) -> Rendered:
        """Return ``content`` as clean display text; HTML is converted, plain text cleaned."""
        text = coerce_text(content)
        notices: list[str] = []
        if len(text) > self.max_input:
            text = text[: self.max_input]
            notices.append(
                f"The message is over {_describe_size(self.max_input)}; "
                "only its beginning is shown."
            )
        source: Source
        if not is_html:
            body, source = clean_text(text), "plain"
            links = extract_links(body, is_html=False)
        elif not text.strip():
            # Nothing to convert: not worth waking (or spawning) the worker.
            body, source, links = "", "plain", ()
        else:
            links = extract_links(text, is_html=True)
            body, source = self._render_html(text, notices)
        if len(body) > self.max_output:
            body = body[: self.max_output - 1] + ELLIPSIS
            notices.append(self._output_notice())
        notice = " ".join(dict.fromkeys(notices)) or None
        return Rendered(text=body, links=links, notice=notice, source=source)

    def _output_notice(self) -> str:
        return f"The text is over {_describe_size(self.max_output)}; only its beginning is shown."

    def _render_html(self, html: str, notices: list[str]) -> tuple[str, Source]:
        if _nesting_exceeds(html, self.max_depth):
            notices.append(
                f"The HTML is nested more than {self.max_depth} levels deep; "
                "showing a simplified version."
            )
            return strip_html(html), "fallback"
        try:
            converted, truncated = self._convert(html)
        except _WorkerGone as failure:
            notices.append(f"{failure}; showing a simplified version.")
            return strip_html(html), "fallback"
        text = clean_text(converted)
        if truncated:
            notices.append(self._output_notice())
            text = text[: self.max_output - 1] + ELLIPSIS
        return text, "html2text"

    def _convert(self, html: str) -> tuple[str, bool]:
        request = b"job\0%d\0" % self.max_output + html.encode(ENCODING, ENCODING_ERRORS)
        with self._lock:
            # A second attempt only if the worker vanished: it may have died between
            # jobs (killed from outside) in a way is_alive() did not see yet.
            for attempt in range(2):
                worker = self._ready_worker()
                try:
                    worker.conn.send_bytes(request)
                    if not worker.conn.poll(self.timeout):
                        self._replace_worker()
                        raise _WorkerGone(f"The HTML took over {self.timeout:g} s to convert")
                    # Four bytes a character at most, plus the header: anything longer
                    # is not an answer this worker can give.
                    reply = worker.conn.recv_bytes(4 * self.max_output + 64)
                    break
                except (EOFError, OSError):
                    self._replace_worker()
                    if attempt or self._closed:
                        raise _WorkerGone("The HTML converter stopped unexpectedly") from None
            else:  # pragma: no cover - the loop always breaks or raises
                raise _WorkerGone("The HTML converter stopped unexpectedly")
        status, _, rest = reply.partition(b"\0")
        if status == b"ok":
            flag, _, payload = rest.partition(b"\0")
            return payload.decode(ENCODING, ENCODING_ERRORS), flag == b"1"
        kind = clean_line(rest.decode(ENCODING, "replace").partition(":")[0], max_chars=60)
        raise _WorkerGone(f"The HTML could not be converted ({kind or 'unknown error'})")

    # The methods below run with self._lock held.

    def _spawn(self) -> _Worker:
        try:
            worker = _Worker()
        except Exception as exc:  # OSError, or RuntimeError when spawning is impossible
            self._start_failures += 1
            raise _WorkerGone("The HTML converter could not be started") from exc
        self._slot.worker = worker
        return worker

    def _ready_worker(self) -> _Worker:
        if self._closed:
            raise _WorkerGone("The HTML converter is closed")
        if self._start_failures >= MAX_START_FAILURES:
            raise _WorkerGone("The HTML converter is unavailable")
        worker = self._slot.worker
        if worker is not None and not worker.is_alive():
            # It died between jobs (killed from outside, out of memory): start afresh.
            self._slot.shutdown()
            worker = None
        if worker is None:
            worker = self._spawn()
        if not worker.ready:
            try:
                ok = worker.conn.poll(STARTUP_TIMEOUT) and worker.conn.recv_bytes(64) == b"ready"
            except (EOFError, OSError):
                ok = False
            if not ok:
                self._start_failures += 1
                self._slot.shutdown()
                raise _WorkerGone("The HTML converter did not start")
            worker.ready = True
            self._start_failures = 0
        return worker

    def _replace_worker(self) -> None:
        self._slot.shutdown()
        if not self._closed:
            # Spawned now so that it starts up while the fallback text is being made; if
            # that fails, the next render tries again.
            with contextlib.suppress(_WorkerGone):
                self._spawn()
