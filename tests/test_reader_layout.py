"""HTML mail in the reader as w3m or aerc show it: no Markdown, numbered links, hyperlinks."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from rich.console import Console
from rich.segment import Segment
from rich.text import Text
from textual.app import App, ComposeResult
from textual.strip import Strip

from tempmail_tui.core.html.text import document_text
from tempmail_tui.core.reading import reading_aids
from tempmail_tui.core.render import HtmlRenderer, Mark, Rendered
from tempmail_tui.ui.widgets.reader import LAZY_MIN_CHARS, BodyView, body_parts, prepare_body

from .test_extract import CORPUS

NEWSLETTER = Path(__file__).parents[1] / "tempmail_tui" / "sandbox" / "newsletter.html"
MAILS = {mail.name: (mail.subject, mail.content) for mail in CORPUS if mail.is_html}
MAILS["sandbox-newsletter"] = ("Newsletter", NEWSLETTER.read_text(encoding="utf-8"))
_MARKER = re.compile(r"\[(\d+)\]")
_LIST_LINE = re.compile(r"\[(\d+)\] (\S+)")


def split_links_list(text: str) -> tuple[str, list[tuple[int, str]]]:
    """The body of a rendering and the numbered list of links at its end."""
    body, title, listed = text.rpartition("\n\nLinks:\n")
    if not title:
        return text, []
    entries = [_LIST_LINE.fullmatch(line) for line in listed.split("\n")]
    assert all(entries), listed
    return body, [(int(entry[1]), entry[2]) for entry in entries if entry]


@pytest.mark.parametrize("name", MAILS)
def test_corpus_mail_reads_without_markdown(name: str) -> None:
    subject, html = MAILS[name]
    rendered = HtmlRenderer().render(html, is_html=True)
    text = rendered.text
    for markdown in ("**", "](", "][", "\\-", "\\*", "\\.", "\\["):
        assert markdown not in text, markdown
    # A "#" is the mail's own ("Receipt #2041"), never a heading mark.
    assert text.count("#") <= document_text(html, is_html=True).count("#")
    assert not re.search(r"^#", text, re.MULTILINE)
    bullets = re.compile(r"^ *[*+-] ", re.MULTILINE)
    assert len(bullets.findall(text)) <= len(bullets.findall(document_text(html, is_html=True)))
    # Link numbers appear in order, each new one the next number, and match the list.
    body, listed = split_links_list(text)
    # The numbers the renderer wrote (dimmed), not a "[582910]" of the mail's own text.
    dimmed = [
        text[mark.start : mark.end]
        for mark in sorted(rendered.marks, key=lambda mark: mark.start)
        if mark.style == "dim" and mark.end <= len(body)
    ]
    markers = [marker for marker in dimmed if _MARKER.fullmatch(marker)]
    first_seen = list(dict.fromkeys(int(marker[1:-1]) for marker in markers))
    assert first_seen == list(range(1, len(first_seen) + 1))
    assert listed == list(enumerate(rendered.links, start=1))
    assert {number for number, _ in listed} == set(first_seen)
    # ... and the links dialog offers them under the same numbers.
    aids = reading_aids(subject, html, is_html=True, rendered=rendered)
    assert [(link.number, link.url) for link in aids.links if link.number] == listed
    # Every link range is a hyperlink to its own listed address.
    targets = {mark.url for mark in rendered.marks if mark.style == "link"}
    assert targets == {url for _, url in listed}


def test_a_receipt_table_reads_in_columns() -> None:
    (receipt,) = [mail.content for mail in CORPUS if mail.name == "en_saas_invoice_html"]
    text = HtmlRenderer().render(receipt, is_html=True).text
    assert (
        "Amount paid  Date paid     Payment method\n$49.00       Jun 28, 2026  Visa – 4242\n"
    ) in text
    assert "Team plan × 1 (at $49.00 / month)  $49.00\nJun 28 – Jul 28, 2026\n" in text


# -- hyperlinks in the reader's segments -----------------------------------------------------


class BodyApp(App[None]):
    """Just the reader's body block."""

    def compose(self) -> ComposeResult:
        yield BodyView(id="body")


async def segments_of(rendered: Rendered, *, prepared: bool = False) -> list[Segment]:
    """Every segment the reader's body draws for ``rendered`` (``prepared`` off the UI thread)."""
    app = BodyApp()
    async with app.run_test(size=(100, 40)) as pilot:
        body = app.query_one(BodyView)
        await pilot.pause()
        if prepared:
            width = body.size.width
            ready = await asyncio.to_thread(prepare_body, rendered, (width,))
            if ready.text is None:
                body.show(ready.plain, ready.spans)
            else:
                # Cut into lines in the thread: the UI thread only looks them up.
                lines = ready.text.lines.get(width)
                body.show_laid_out(ready.text)
                assert lines is not None and body._wrapped(width) is lines
        else:
            body.show(*body_parts(rendered))
        await pilot.pause()
        height = body.virtual_size.height or body.size.height
        segments: list[Segment] = []
        for y in range(min(height, 2000)):
            segments.extend(body.render_line(y))
        return segments


@pytest.mark.parametrize("long", [False, True], ids=["short", "long"])
async def test_a_body_prepared_off_the_ui_thread_draws_as_one_shown_directly(long: bool) -> None:
    html = HOSTILE_LINKS + (
        "<p>" + "filler <b>words</b>\tand more " * 2000 + "</p>" if long else ""
    )
    rendered = HtmlRenderer().render(html, is_html=True)
    assert (len(rendered.text) > LAZY_MIN_CHARS) is long
    direct = await segments_of(rendered)
    assert await segments_of(rendered, prepared=True) == direct


def links_in(segments: list[Segment]) -> dict[str, str]:
    """The hyperlinked text of the segments, by target."""
    found: dict[str, str] = {}
    for segment in segments:
        if segment.style is not None and segment.style.link:
            found[segment.style.link] = found.get(segment.style.link, "") + segment.text
    return found


HOSTILE_LINKS = (
    "<p>Hi <a href='https://e.example/ok?q=caf\u00e9&amp;x=1'>good</a> "
    "<a href='javascript:alert(1)'>script</a> "
    "<a href='https://e.example/\x1b]52;c;ZXZpbA==\x07'>escape</a> "
    "<a href='https://e.example/\x9d8;;https://evil.example\x9c'>c1</a> "
    "<a href='https://e.example/a\u202eb'>bidi</a></p>"
)


@pytest.mark.parametrize("long", [False, True], ids=["short", "long"])
async def test_links_are_terminal_hyperlinks_to_a_clean_address(long: bool) -> None:
    html = HOSTILE_LINKS + ("<p>" + "filler words " * 2000 + "</p>" if long else "")
    rendered = HtmlRenderer().render(html, is_html=True)
    assert (len(rendered.text) > LAZY_MIN_CHARS) is long  # both ways the body is drawn
    found = links_in(await segments_of(rendered))
    target = "https://e.example/ok?q=caf%C3%A9&x=1"
    # The link text and the address in the list, both to the cleaned, ASCII address.
    assert found == {target: "good" + "https://e.example/ok?q=café&x=1"}
    for segment_target in found:
        assert all(0x21 <= ord(character) < 0x7F for character in segment_target)


def test_the_terminal_receives_one_clean_osc_8_target() -> None:
    # What Textual writes for a line: the OSC 8 sequence carries the target as given.
    rendered = HtmlRenderer().render(HOSTILE_LINKS, is_html=True)
    plain, spans = body_parts(rendered)
    first = plain.split("\n")[0]
    line = Text(first, spans=[span for span in spans if span.end <= len(first)])
    console = Console(width=200, color_system="truecolor")
    written = Strip(list(console.render(line))).render(console)
    targets = re.findall(r"\x1b\]8;id=[^;]*;([^\x1b]*)\x1b\\", written)
    assert set(targets) - {""} == {"https://e.example/ok?q=caf%C3%A9&x=1"}
    assert "ZXZpbA" not in written and "evil" not in written and "alert" not in written


async def test_a_link_range_with_an_unsafe_address_is_no_hyperlink() -> None:
    # Ranges made elsewhere than the renderer are checked again where they are drawn.
    text = "one two three four"
    marks = (
        Mark(0, 3, "link", "javascript:alert(1)"),
        Mark(4, 7, "link", "https://e.example/\x1b]8;;https://evil.example\x1b\\"),
        Mark(8, 13, "link", "https://e.example/\x07"),
        Mark(14, 18, "link", "https://e.example/four"),
    )
    rendered = Rendered(text, (), None, "html", marks)
    assert links_in(await segments_of(rendered)) == {"https://e.example/four": "four"}


async def test_plain_text_addresses_are_hyperlinks() -> None:
    rendered = HtmlRenderer().render("see https://e.example/a. and javascript:x", is_html=False)
    assert links_in(await segments_of(rendered)) == {"https://e.example/a": "https://e.example/a"}
