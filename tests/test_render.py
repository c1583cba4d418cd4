"""Tests of mail rendering: HTML laid out as a terminal reader shows it, bounds and links."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tempmail_tui.core.render import (
    HtmlRenderer,
    Mark,
    RenderCache,
    Rendered,
    extract_links,
    render_html,
    strip_html,
    terminal_link,
)

ESC = "\x1b"

NEWSLETTER = """<!DOCTYPE html>
<html lang="fr">
<head>
  <meta charset="utf-8">
  <title>SECRET TITLE</title>
  <style>.hero { color: red; } /* STYLE-JUNK */</style>
  <script>alert("SCRIPT-JUNK")</script>
</head>
<body>
  <div style="display:none">Preheader: the autumn sale starts now</div>
  <table width="100%" cellpadding="0" cellspacing="0">
    <tr>
      <td><a href="https://shop.example.com/?utm_source=mail&amp;utm_medium=logo">
        <img src="https://cdn.example.com/logo.png" alt="ACME Boutique" width="120"></a></td>
      <td align="right"><a href="https://shop.example.com/account">Mon compte</a></td>
    </tr>
  </table>
  <h1>Soldes d’automne — jusqu’à −40 %</h1>
  <p>Bonjour Zoë,</p>
  <p>Découvrez notre sélection: crème brûlée, café et <b>pâtisseries</b> à prix réduits.
     <a href="https://shop.example.com/sale?id=42&amp;ref=nl">Voir les offres</a></p>
  <ul>
    <li>Livraison gratuite dès 50 €</li>
    <li>Retours sous 30 jours</li>
  </ul>
  <p><a href="https://shop.example.com/sale?id=42&amp;ref=nl">Voir encore les offres</a></p>
  <p><a href="mailto:service@example.com">Écrivez-nous</a> ·
     <a href="/relative/unsubscribe">Se désabonner</a></p>
  <img src="https://track.example.net/open.gif?u=123" width="1" height="1">
  <noscript>NOSCRIPT-SHOWN</noscript>
  <!-- COMMENT-JUNK <a href="https://hidden.example.org/">hidden</a> -->
</body>
</html>
"""

NEWSLETTER_LINKS = (
    "https://shop.example.com/?utm_source=mail&utm_medium=logo",
    "https://shop.example.com/account",
    "https://shop.example.com/sale?id=42&ref=nl",
)


@pytest.fixture(scope="module")
def renderer() -> HtmlRenderer:
    return HtmlRenderer()


def assert_no_controls(text: str) -> None:
    bad = [c for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F]
    assert not bad, [hex(ord(c)) for c in bad]


def marked(result: Rendered | object, style: str) -> list[str]:
    """The pieces of text a rendering marks with ``style``."""
    assert isinstance(result, Rendered)
    return [result.text[mark.start : mark.end] for mark in result.marks if mark.style == style]


# ------------------------------------------------------------------- the layout


def test_newsletter_reads_like_a_terminal_mail_reader(renderer: HtmlRenderer) -> None:
    result = renderer.render(NEWSLETTER, is_html=True)
    assert (result.source, result.notice) == ("html", None)
    text = result.text
    # Accents, typographic apostrophes, em-dash and minus sign stay Unicode.
    assert "Soldes d’automne — jusqu’à −40 %" in text
    assert "crème brûlée, café" in text
    assert "Bonjour Zoë," in text
    # Script, style, title, comments are dropped; the hidden preheader is kept.
    for junk in ("SCRIPT-JUNK", "STYLE-JUNK", "SECRET TITLE", "COMMENT-JUNK", "hidden"):
        assert junk not in text
    assert "Preheader: the autumn sale starts now" in text
    # The layout table's row: a linked logo (its alt text) and a link, in two columns.
    assert "ACME Boutique[1]  Mon compte[2]" in text
    assert "cdn.example.com" not in text and "track.example.net" not in text
    # Links are their text and a number; the same address keeps its number.
    assert "Voir les offres[3]" in text and "Voir encore les offres[3]" in text
    # Links that cannot be opened from here (mail, relative) are text without a number.
    assert "Écrivez-nous · Se désabonner" in text
    # No Markdown: headings, emphasis, escapes, link syntax.
    for markdown in ("#", "**", "\\", "](", "][", "* "):
        assert markdown not in text
    assert "• Livraison gratuite dès 50 €\n• Retours sous 30 jours" in text
    assert text.endswith(
        "Links:\n"
        "[1] https://shop.example.com/?utm_source=mail&utm_medium=logo\n"
        "[2] https://shop.example.com/account\n"
        "[3] https://shop.example.com/sale?id=42&ref=nl"
    )
    assert result.links == NEWSLETTER_LINKS
    assert "   \n" not in text and "\n\n\n" not in text
    # Headings and emphasis are styled ranges, links carry their address.
    assert marked(result, "heading") == ["Soldes d’automne — jusqu’à −40 %", "Links:"]
    assert marked(result, "bold") == ["pâtisseries"]
    links = [(text[m.start : m.end], m.url) for m in result.marks if m.style == "link"]
    assert links[:4] == [
        ("ACME Boutique", NEWSLETTER_LINKS[0]),
        ("Mon compte", NEWSLETTER_LINKS[1]),
        ("Voir les offres", NEWSLETTER_LINKS[2]),
        ("Voir encore les offres", NEWSLETTER_LINKS[2]),
    ]
    assert links[4:] == [(url, url) for url in NEWSLETTER_LINKS]


def test_a_table_is_laid_out_in_aligned_columns(renderer: HtmlRenderer) -> None:
    html = (
        "<table><tr><td>Row 0</td><td><a href='https://e.example/0'>Item 0</a></td>"
        "<td>£2.99</td></tr>"
        "<tr><td>A longer row 1</td><td>Item 1</td><td>12</td></tr></table>"
    )
    result = renderer.render(html, is_html=True)
    lines = result.text.split("\n")
    assert lines[:2] == ["Row 0           Item 0[1]  £2.99", "A longer row 1  Item 1     12"]
    # Every cell of a column starts at the same place.
    assert lines[0].index("Item 0") == lines[1].index("Item 1")
    assert lines[0].index("£2.99") == lines[1].index("12")
    # The link's range moved with its cell.
    (link,) = [m for m in result.marks if m.style == "link" and m.start < len(lines[0])]
    assert result.text[link.start : link.end] == "Item 0"


def test_table_headers_are_bold_and_wide_characters_align(renderer: HtmlRenderer) -> None:
    html = (
        "<table><tr><th>Item</th><th>Price</th></tr><tr><td>Total</td><td>£2.99</td></tr>"
        "<tr><td>日本語</td><td><b>1</b></td></tr></table>"
    )
    result = renderer.render(html, is_html=True)
    assert result.text == "Item    Price\nTotal   £2.99\n日本語  1"
    assert marked(result, "bold") == ["Item", "Price", "1"]


def test_header_cells_without_end_tags_end_their_bold(renderer: HtmlRenderer) -> None:
    html = "<table><tr><th>A<th>B<tr><td>x<td><b>y</b></table><p>after</p>"
    result = renderer.render(html, is_html=True)
    assert result.text == "A  B\nx  y\n\nafter"
    assert marked(result, "bold") == ["A", "B", "y"]


def test_layout_tables_are_read_linearly(renderer: HtmlRenderer) -> None:
    # A table holding a table, or cells holding paragraphs, is not a grid.
    html = (
        "<table><tr><td><table><tr><td>inner a</td><td>inner b</td></tr></table></td>"
        "<td><p>one</p><p>two</p></td></tr></table>"
    )
    assert renderer.render(html, is_html=True).text == "inner a  inner b\n\none\n\ntwo"


def test_markdown_special_text_is_shown_as_written(renderer: HtmlRenderer) -> None:
    html = "<h2>1. first</h2><p>- dash + plus [x] (y) *z* _w_ # not a heading</p>"
    result = renderer.render(html, is_html=True)
    assert result.text == "1. first\n\n- dash + plus [x] (y) *z* _w_ # not a heading"
    assert marked(result, "heading") == ["1. first"]


def test_emphasis_is_styled_not_marked_up(renderer: HtmlRenderer) -> None:
    result = renderer.render("<p>a <b>bold</b> <em>it</em> <code>123</code> z</p>", is_html=True)
    assert result.text == "a bold it 123 z"
    assert (marked(result, "bold"), marked(result, "italic")) == (["bold"], ["it"])
    assert marked(result, "code") == ["123"]


def test_linked_image_without_alt_is_its_number(renderer: HtmlRenderer) -> None:
    html = '<a href="https://a.example/x"><img src="https://a.example/banner.png"></a> next'
    result = renderer.render(html, is_html=True)
    assert result.text == "[1] next\n\nLinks:\n[1] https://a.example/x"
    assert result.links == ("https://a.example/x",)


def test_only_web_links_are_numbered_and_hyperlinked(renderer: HtmlRenderer) -> None:
    html = (
        "<a href='javascript:alert(1)'>js</a> <a href='https://e.example/\x1b]8;;x'>esc</a> "
        "<a href='https://e.example/a\u202eb'>bidi</a> <a href='mailto:a@b.example'>mail</a> "
        "<a href='https://e.example/ok'>ok</a> <area href='https://e.example/map'>"
    )
    result = renderer.render(html, is_html=True)
    assert result.text.startswith("js esc bidi mail ok[1] [2]\n")
    assert result.links == ("https://e.example/ok", "https://e.example/map")
    urls = {mark.url for mark in result.marks if mark.style == "link"}
    assert urls == {"https://e.example/ok", "https://e.example/map"}


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("https://e.example/a?b=c&d=%20", "https://e.example/a?b=c&d=%20"),
        (" https://e.example/x\n", "https://e.example/x"),
        ("https://e.example/café", "https://e.example/caf%C3%A9"),
        ("HTTP://E.example/", "HTTP://E.example/"),
        ("javascript:alert(1)", None),
        ("https://e.example/\x1b]52;c;x\x07", None),
        ("https://e.example/\x9d", None),
        ("https://e.example/\x07", None),  # a browser would drop it; a terminal must not see it
        ("https://e.example/a b", None),
        ("https://e.example/\u202e", None),
        ("ftp://e.example/", None),
        ("mailto:a@b.example", None),
    ],
)
def test_terminal_link(url: str, target: str | None) -> None:
    assert terminal_link(url) == target


def test_markup_survives_verbatim(renderer: HtmlRenderer) -> None:
    html = "<p>[/] and [@click=app.quit]x[/] and [link=https://e.example]y[/link]</p>"
    expected = "[/] and [@click=app.quit]x[/] and [link=https://e.example]y[/link]"
    assert renderer.render(html, is_html=True).text == expected
    assert strip_html(html) == expected
    assert renderer.render(expected, is_html=False).text == expected


def test_escape_sequences_inside_html_are_removed(renderer: HtmlRenderer) -> None:
    html = (
        f"<p>a{ESC}]52;c;ZXZpbA=={ESC}\\b &#27;[31mred&#x1b;[0m \x9b2J"
        f"<img src='x.png' alt='alt{ESC}]0;title\x07text'>"
        f"<a href='https://e.example/{ESC}[31m'>bad link</a>"
        "<a href='https://e.example/ok'>ok\u202e link</a></p>"
    )
    converted = renderer.render(html, is_html=True)
    assert_no_controls(converted.text)
    assert "\u202e" not in converted.text
    assert "ZXZpbA" not in converted.text and "title" not in converted.text
    assert converted.text.startswith("ab [31mred[0m alttextbad linkok link[1]")
    # A link whose address carries control characters is not offered at all.
    assert converted.links == ("https://e.example/ok",)


@pytest.mark.timeout(30)
def test_deeply_nested_blockquotes_stay_small(renderer: HtmlRenderer) -> None:
    html = "<blockquote>" * 5000 + "deep text" + "</blockquote>" * 5000
    result = renderer.render(html, is_html=True)
    assert (result.text, result.notice) == ("> > > > > deep text", None)


@pytest.mark.timeout(30)
def test_deeply_nested_lists_are_indented_up_to_a_bound(renderer: HtmlRenderer) -> None:
    html = "<ul><li>item" * 2000 + "</li></ul>" * 2000
    lines = renderer.render(html, is_html=True).text.split("\n")
    assert len(lines) == 2000
    assert max(len(line) for line in lines) <= 20  # indentation is capped
    assert lines[0] == "• item" and lines[1] == "  • item"


@pytest.mark.timeout(30)
def test_deeply_nested_tables_and_styles_stay_linear(renderer: HtmlRenderer) -> None:
    html = "<table><tr><td><b><i>" * 3000 + "core" + "</i></b></td></tr></table>" * 3000
    result = renderer.render(html, is_html=True)
    assert result.text == "core"
    assert sorted(mark.style for mark in result.marks) == ["bold", "italic"]


@pytest.mark.timeout(60)
def test_large_table_is_bounded(renderer: HtmlRenderer) -> None:
    rows = "".join(
        "<tr>" + "".join(f"<td>r{row}c{col}</td>" for col in range(50)) + "</tr>"
        for row in range(2000)
    )
    result = renderer.render(f"<table>{rows}</table>", is_html=True)
    assert len(result.text) <= renderer.max_output
    assert "r0c0" in result.text and "r1999c49" in result.text


def _long_body(paragraphs: int) -> str:
    text = "Lorem ipsum dolor sit amet, café — " * 9
    body = "".join(f"<p>P{number} <b>{text}</b></p>\n" for number in range(paragraphs))
    return f"<html><body>{body}<p>THE END</p></body></html>"


@pytest.mark.timeout(60)
def test_three_megabyte_body_renders() -> None:
    body = _long_body(9000)
    assert len(body) > 2_900_000
    result = HtmlRenderer(max_output=4_000_000).render(body, is_html=True)
    assert (result.source, result.notice) == ("html", None)
    assert result.text.startswith("P0 Lorem ipsum")
    assert result.text.endswith("THE END")


@pytest.mark.timeout(60)
def test_three_megabyte_body_is_cut_with_notices() -> None:
    body = _long_body(9000)
    tight = HtmlRenderer(max_input=1_000_000, max_output=200_000)
    result = tight.render(body, is_html=True)
    assert result.notice == (
        "The message is over 1 MB; only its beginning is shown. "
        "The text is over 200 KB; only its beginning is shown."
    )
    assert len(result.text) == 200_000
    assert result.text.endswith("…")
    assert "THE END" not in result.text
    # Ranges end where the text was cut.
    assert result.marks and max(mark.end for mark in result.marks) <= 200_000 - 1


def test_plain_text_is_cleaned_bounded_and_linked() -> None:
    small = HtmlRenderer(max_output=50)
    result = small.render(f"Hi{ESC}[2J there\r\nsee https://e.example/a.", is_html=False)
    assert result == Rendered(
        "Hi there\nsee https://e.example/a.",
        ("https://e.example/a",),
        None,
        "plain",
        (Mark(13, 32, "link", "https://e.example/a"),),
    )
    long = small.render("x" * 100, is_html=False)
    assert long.text == "x" * 49 + "…"
    assert long.notice == "The text is over 50 characters; only its beginning is shown."


def test_empty_and_degenerate_html(renderer: HtmlRenderer) -> None:
    for content in ("", "   \n\t ", None):
        assert renderer.render(content, is_html=True) == Rendered("", (), None, "plain")
    assert renderer.render("<img>", is_html=True).text == ""
    assert renderer.render('<img alt="">', is_html=True).text == ""
    assert renderer.render('<p>a<img alt="x">b</p>', is_html=True).text == "axb"
    assert renderer.render("<p>   </p><div></div>", is_html=True).text == ""


def test_broken_markup_is_read_as_text(renderer: HtmlRenderer) -> None:
    # html2text raised AssertionError on this (upstream #400); one linear pass reads it.
    assert renderer.render("Hellow<![]-->world", is_html=True).text == "Hellowworld"
    result = renderer.render("<p>head</p>" + "<a" * 60_000, is_html=True)
    assert result.text.startswith("head\n\n<a<a<a")


def test_concurrent_renders_from_threads(renderer: HtmlRenderer) -> None:
    def job(number: int) -> tuple[int, Rendered]:
        return number, renderer.render(f"<p>message <b>{number}</b></p>", is_html=True)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(job, range(24)))
    for number, result in results:
        assert (result.source, result.text) == ("html", f"message {number}")


def test_importing_render_stays_light() -> None:
    code = (
        "import sys, tempmail_tui.core.render; "
        "print(sorted(m for m in ('html2text', 'multiprocessing', 'textual', 'rich') "
        "if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    ).stdout
    assert output.strip() == "[]"


# ------------------------------------------------------------------ strip_html


def test_strip_html_structure() -> None:
    html = (
        "<h2>Title</h2>line one<br>line two<br><br>after gap"
        "<p>para &amp; entities &lt;b&gt; &eacute;&#233;&#xe9;</p>"
        "<ol><li>first<li>second</ol>"
        "<pre>  keep\n    spacing</pre>"
        "<blockquote>quoted<p>more</p></blockquote>"
        "<template><p>TEMPLATE-JUNK</p></template>"
        "<textarea>a &lt; b</textarea>"
        "<a href='#top'>anchor</a> <a href='https://e.example'> spaced </a>end"
        "<a href='https://e.example/empty'></a><hr>"
        "<!-- unterminated comment hides the rest <p>GONE</p>"
    )
    assert strip_html(html) == (
        "Title\n\nline one\nline two\n\nafter gap\n\n"
        "para & entities <b> ééé\n\n"
        "1. first\n2. second\n\n"
        "  keep\n    spacing\n\n"
        "> quoted\n\n> more\n\n"
        "a < b\nanchor spaced[1] end[2]\n\n" + "─" * 24 + "\n\n"
        "Links:\n[1] https://e.example\n[2] https://e.example/empty"
    )


def test_marks_always_lie_inside_the_text() -> None:
    html = (
        "<b>a<table><tr><td><i>x</i></td><td>y</b></td></tr><tr><td>z<a href='https://e.example'>"
        "l</td></tr></table>tail</a> <h1>h</h1>"
    )
    result = render_html(html)
    assert result.text == "a\n\nx   y\nzl\n\ntail[1]\n\nh\n\nLinks:\n[1] https://e.example"
    shown = {(mark.style, result.text[mark.start : mark.end]) for mark in result.marks}
    assert {("italic", "x"), ("bold", "a\n\nx   y"), ("link", "l\n\ntail")} <= shown
    for mark in result.marks:
        assert 0 <= mark.start < mark.end <= len(result.text)


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "hostile",
    [
        "<a" * 1_000_000,  # quadratic in Python 3.11's HTMLParser
        "<a" * 1_000_000 + ">",
        "<!" * 1_000_000,
        "</" * 1_000_000,
        "<a x='" * 500_000 + ">",
        "<script>" * 500_000,
        "<!--" * 500_000,
        "&" * 2_000_000,
        "<b>" * 300_000,
        "<table><tr><td>x" * 200_000,
        "<a href='https://e.example/'>x" * 200_000,
    ],
    ids=[
        "lt-a",
        "lt-a-gt",
        "lt-bang",
        "lt-slash",
        "open-quote",
        "scripts",
        "comments",
        "amp",
        "tags",
        "tables",
        "links",
    ],
)
def test_strip_html_is_linear_on_hostile_input(hostile: str) -> None:
    result = render_html(hostile)
    assert len(result.text) <= len(hostile)
    assert len(result.marks) <= len(hostile)
    assert_no_controls(result.text)
    extract_links(hostile, is_html=True)


# ------------------------------------------------------------------------ links


def test_extract_links_from_html() -> None:
    html = (
        "<a href='https://a.example/1'>one</a>"
        '<a title="x" HREF="HTTP://B.example/2?a=1&amp;b=2">two</a>'
        "<a href='https://a.example/1'>dup</a>"
        "<a href='javascript:alert(1)'>js</a><a href='mailto:x@y'>m</a>"
        "<a href='/relative'>r</a><a href='//proto.example/rel'>p</a><a>none</a>"
        "<a href='https://'>no host</a><a href='http://[::1'>bad</a>"
        "<area href=' https://c.example/map '>"
        "<a data-href='https://not.example/'>data</a>"
        "<a href='https://d.example/with space'>space</a>"
        "<a href='https://e.example/\u202eevil'>bidi</a>"
        "<a href='https://f.example/\nsplit'>split</a>"
        "<!-- <a href='https://comment.example/'>c</a> -->"
        "<script>var a = '<a href=\"https://script.example/\">';</script>"
        "<template><a href='https://template.example/'>t</a></template>"
        "<a href=https://g.example/unquoted>u</a>"
    )
    assert extract_links(html, is_html=True) == (
        "https://a.example/1",
        "HTTP://B.example/2?a=1&b=2",
        "https://c.example/map",
        "https://f.example/split",
        "https://g.example/unquoted",
    )


def test_extract_links_from_text() -> None:
    text = (
        "See https://a.example/path. Also (https://b.example/x) and "
        "https://en.wikipedia.org/wiki/Foo_(bar), then http://c.example/?q=1&r=2! "
        "dup https://a.example/path and ftp://no.example and https://d.example/\x1b[31m"
    )
    assert extract_links(text, is_html=False) == (
        "https://a.example/path",
        "https://b.example/x",
        "https://en.wikipedia.org/wiki/Foo_(bar)",
        "http://c.example/?q=1&r=2",
    )


def test_extract_links_is_bounded() -> None:
    html = "".join(f"<a href='https://e.example/{n}'>x</a>" for n in range(1500))
    links = extract_links(html, is_html=True)
    assert len(links) == 1000
    assert links[0] == "https://e.example/0" and links[-1] == "https://e.example/999"
    assert extract_links(f"<a href='https://e.example/{'x' * 9000}'>x</a>", is_html=True) == ()


@pytest.mark.timeout(30)
@pytest.mark.parametrize("tail", [")", ".", "(", "x"])
def test_extract_links_from_hostile_text_is_linear(tail: str) -> None:
    text = "see https://e.example/" + tail * 3_000_000
    assert len(extract_links(text, is_html=False)) <= 1
    many = "https://e.example/a). (" * 200_000
    assert extract_links(many, is_html=False)[0] == "https://e.example/a"


# ------------------------------------------------------------------------ cache


def _rendered(text: str) -> Rendered:
    return Rendered(text=text, links=(), notice=None, source="plain")


def test_cache_evicts_least_recently_used() -> None:
    cache = RenderCache(3)
    for key in "abc":
        cache.put(key, _rendered(key))
    assert cache.get("a") == _rendered("a")  # "a" is now the most recent
    cache.put("d", _rendered("d"))
    assert cache.get("b") is None
    assert [cache.get(key) is not None for key in "acd"] == [True, True, True]
    cache.put("c", _rendered("c2"))  # replacing refreshes without growing
    cache.put("e", _rendered("e"))
    assert len(cache) == 3
    assert "a" not in cache and cache.get("c") == _rendered("c2")
    cache.discard("c")
    assert "c" not in cache and len(cache) == 2
    cache.clear()
    assert len(cache) == 0


def test_cache_is_bounded_by_size_too() -> None:
    cache = RenderCache(100, max_chars=10)
    cache.put("a", _rendered("x" * 4))
    cache.put("b", _rendered("x" * 4))
    cache.put("c", _rendered("x" * 4))
    assert "a" not in cache and "b" in cache and "c" in cache
    cache.put("huge", _rendered("x" * 50))  # kept alone: the newest entry always stays
    assert len(cache) == 1 and "huge" in cache


def test_cache_is_thread_safe() -> None:
    cache = RenderCache(50)

    def hammer(worker: int) -> None:
        for n in range(2000):
            key = f"{worker}-{n % 80}"
            cache.put(key, _rendered(key))
            cache.get(f"{worker}-{(n * 7) % 80}")

    threads = [threading.Thread(target=hammer, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) == 50


def test_invalid_bounds_are_refused() -> None:
    with pytest.raises(ValueError):
        RenderCache(0)
    with pytest.raises(ValueError):
        HtmlRenderer(max_output=0)
