"""HTML that breaks, stalls or floods converters: bounded output, a notice, and a live UI."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tempmail_tui.core.render import HtmlRenderer, Rendered
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.app import TempMailApp

from ..app_helpers import make_app
from .helpers import SIZE, create_box, has_forbidden, reader, reader_part, sidebar, table, wait

PARAGRAPH = (
    "<p>" + "Lorem ipsum dolor sit amet, <b>consectetur</b> adipiscing elit. " * 10 + "</p>\n"
)
NESTED_QUOTES = "<blockquote>" * 5000 + "deep" + "</blockquote>" * 5000
NESTED_LISTS = "<ul><li>" * 2000 + "bottom" + "</li></ul>" * 2000
BIG_TABLE = "<table>" + ("<tr>" + "<td>cell</td>" * 50 + "</tr>\n") * 2000 + "</table>"
# html2text repeated the quote prefix on every line: its output grew with depth times length.
QUADRATIC = "<blockquote>" * 150 + ("word " * 16 + "<br>") * 30_000 + "</blockquote>" * 150
THREE_MB = PARAGRAPH * (3_000_000 // len(PARAGRAPH))
TWENTY_MB = PARAGRAPH * (20_000_000 // len(PARAGRAPH))

MAX_OUTPUT = 2_000_000
# Generous: the renderer is linear, but a loaded 2-core CI machine is slow.
SLACK = 20.0


@pytest.fixture(scope="module")
def renderer() -> HtmlRenderer:
    """The reader's renderer, with its usual bounds."""
    return HtmlRenderer(max_output=MAX_OUTPUT)


def render(renderer: HtmlRenderer, html: str) -> tuple[Rendered, float]:
    """Render HTML and time it."""
    started = time.monotonic()
    result = renderer.render(html, is_html=True)
    return result, time.monotonic() - started


def check_bounded(result: Rendered, elapsed: float) -> None:
    """What holds for every hostile body: bounded output and time, clean text, sane ranges."""
    assert len(result.text) <= MAX_OUTPUT
    assert elapsed < SLACK
    assert not has_forbidden(result.text)
    for mark in result.marks:
        assert 0 <= mark.start < mark.end <= len(result.text)


def test_broken_comment_is_read_as_text(renderer: HtmlRenderer) -> None:
    # html2text raised AssertionError on this (upstream #400).
    result, elapsed = render(renderer, "Hellow<![]-->world")
    check_bounded(result, elapsed)
    assert (result.text, result.notice) == ("Hellowworld", None)


@pytest.mark.parametrize(
    ("html", "marker"), [(NESTED_QUOTES, "deep"), (NESTED_LISTS, "bottom")], ids=["quotes", "lists"]
)
def test_nesting_bombs_stay_small(renderer: HtmlRenderer, html: str, marker: str) -> None:
    result, elapsed = render(renderer, html)
    check_bounded(result, elapsed)
    assert marker in result.text
    # Indentation is capped: the text does not grow with the depth.
    assert len(result.text) < 20 * len(html)
    assert max(len(line) for line in result.text.splitlines()) < 100


def test_big_table_is_rendered_whole(renderer: HtmlRenderer) -> None:
    result, elapsed = render(renderer, BIG_TABLE)
    check_bounded(result, elapsed)
    assert result.text.count("cell") == 2000 * 50


def test_quoted_lines_stay_linear(renderer: HtmlRenderer) -> None:
    # html2text repeated the quote prefix of every level on every line; it is capped here.
    result, elapsed = render(renderer, QUADRATIC)
    check_bounded(result, elapsed)
    assert "word" in result.text
    assert len(result.text) < 2 * len(QUADRATIC)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("html", "wanted"),
    [(THREE_MB, None), (TWENTY_MB, "The message is over 5 MB")],
    ids=["3MB", "20MB"],
)
def test_huge_bodies_are_bounded_with_notice(
    renderer: HtmlRenderer, html: str, wanted: str | None
) -> None:
    result, elapsed = render(renderer, html)
    check_bounded(result, elapsed)
    assert result.text.startswith("Lorem ipsum")
    if wanted is not None:
        assert result.notice is not None and wanted in result.notice


@pytest.mark.parametrize("html", ["<img>", "<img alt>", " \n\t  ", "", "<p></p>"])
def test_empty_and_imageless_bodies(renderer: HtmlRenderer, html: str) -> None:
    result, elapsed = render(renderer, html)
    check_bounded(result, elapsed)
    assert result.text.strip() == ""
    assert result.notice is None


# -- the same bodies through the real app ---------------------------------------------------


class RenderGate:
    """Wraps the app's renderer: holds each conversion until the test has seen the UI respond."""

    def __init__(self, inner: Callable[..., Rendered]) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self.release = threading.Event()
        self.converting = False

    def __call__(self, content: object, *, is_html: bool) -> Rendered:
        self.entered.set()
        if not self.release.wait(30):
            raise AssertionError("the UI never acknowledged the conversion")
        self.converting = True
        try:
            return self.inner(content, is_html=is_html)
        finally:
            self.converting = False


class Ticks:
    """A 20 ms timer in the app: counts its ticks, and those during a real conversion."""

    def __init__(self, app: TempMailApp, gate: RenderGate) -> None:
        self.total = 0
        self.while_converting = 0
        self._gate = gate
        app.set_interval(0.02, self.tick)

    def tick(self) -> None:
        self.total += 1
        if self._gate.converting:
            self.while_converting += 1


@pytest.mark.slow
@pytest.mark.parametrize(
    ("html", "notice", "marker"),
    [
        (NESTED_QUOTES, None, "deep"),
        (THREE_MB, "only its beginning is shown", "Lorem ipsum"),
        ("Hellow<![]-->world", None, "Hellowworld"),
    ],
    ids=["nesting-bomb", "3MB", "broken-comment"],
)
async def test_ui_stays_live_while_converting(
    sandbox: SandboxServer, tmp_path: Path, html: str, notice: str | None, marker: str
) -> None:
    app = make_app(sandbox, tmp_path, poll_interval=60, background_interval=600)
    async with app.run_test(size=SIZE) as pilot:
        email = await create_box(app, pilot)
        sandbox.state.deliver(email, subject="bomb", html=html)
        await pilot.press("R")
        await wait(pilot, lambda: table(app).row_count == 1, what="the hostile mail", timeout=30)
        service = app.service
        assert service is not None
        gate = RenderGate(service.renderer.render)
        service.renderer.render = gate  # type: ignore[method-assign]
        ticks = Ticks(app, gate)

        table(app).focus()
        await pilot.press("enter")
        await wait(pilot, gate.entered.is_set, what="the conversion to start", timeout=30)
        # The conversion is under way: keys and timers must still be handled.
        before = ticks.total
        await pilot.press("b")
        await wait(pilot, lambda: not sidebar(app).display, what="key handled mid-conversion")
        await pilot.press("b")
        await wait(pilot, lambda: sidebar(app).display, what="second key mid-conversion")
        await wait(pilot, lambda: ticks.total > before + 3, what="timer ticks mid-conversion")
        assert "Converting" in reader_part(app, "body")
        gate.release.set()

        pane = reader(app)
        await wait(pilot, lambda: pane.rendered is not None, what="converted", timeout=60)
        body = reader_part(app, "body")
        if notice is not None:
            assert notice in body.splitlines()[0]
        assert marker in body
        if html is THREE_MB:
            # Several seconds of real conversion with the UI timer still firing.
            assert ticks.while_converting > 0
        assert app.is_running
