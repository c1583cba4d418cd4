"""Tests of mail rendering: html2text in a worker process, the fallback, bounds and links."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tempmail_tui.core.render import (
    HtmlRenderer,
    RenderCache,
    Rendered,
    extract_links,
    strip_html,
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
def renderer() -> Iterator[HtmlRenderer]:
    with HtmlRenderer() as shared:
        yield shared


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def assert_no_controls(text: str) -> None:
    bad = [c for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F]
    assert not bad, [hex(ord(c)) for c in bad]


# ----------------------------------------------------------------- html2text path


def test_newsletter_renders_with_html2text(renderer: HtmlRenderer) -> None:
    result = renderer.render(NEWSLETTER, is_html=True)
    assert result.source == "html2text"
    assert result.notice is None
    text = result.text
    # Accents, typographic apostrophes, em-dash and minus sign stay Unicode.
    assert "Soldes d’automne — jusqu’à −40 %" in text
    assert "crème brûlée, café" in text
    assert "Bonjour Zoë," in text
    # Script, style and title are dropped; the hidden preheader is kept (as html2text does).
    for junk in ("SCRIPT-JUNK", "STYLE-JUNK", "SECRET TITLE", "COMMENT-JUNK", "hidden"):
        assert junk not in text
    assert "Preheader: the autumn sale starts now" in text
    # An image is its alt text; a linked image becomes a numbered link reference (the
    # space is html2text's, from the whitespace inside the <a>).
    # Layout tables are not drawn as Markdown tables: cells read as text.
    assert "[ ACME Boutique][1] [Mon compte][2]" in text and "---|---" not in text
    assert "cdn.example.com" not in text
    # The tracking pixel has no alt text: it leaves nothing at all, no URL noise.
    assert "track.example.net" not in text
    assert "open.gif" not in text
    # Links are numbered references; the same href reuses its number.
    assert "[Voir les offres][3]" in text
    assert "[Voir encore les offres][3]" in text
    assert "   [1]: <https://shop.example.com/?utm_source=mail&utm_medium=logo>" in text
    assert "   [3]: <https://shop.example.com/sale?id=42&ref=nl>" in text
    assert "[Écrivez-nous][4]" in text
    # Plain text, not Markdown: no emphasis markers, no backslash escapes.
    assert "**" not in text and "\\" not in text
    assert "  * Livraison gratuite dès 50 €" in text
    # Only absolute web links are offered for opening.
    assert result.links == NEWSLETTER_LINKS
    assert "   \n" not in text and "\n\n\n" not in text


def test_table_cells_are_kept_apart(renderer: HtmlRenderer) -> None:
    html = (
        "<table><tr><th>Item</th><th>Price</th></tr><tr><td>Total</td><td>£2.99</td></tr>"
        "<tr><td><b>Order</b></td><td><a href='https://e.example/o'>A1</a></td></tr></table>"
    )
    result = renderer.render(html, is_html=True)
    assert result.source == "html2text"
    assert result.text == (
        "Item Price\nTotal £2.99\nOrder [A1][1]\n\n   [1]: <https://e.example/o>"
    )


def test_markdown_special_text_is_not_escaped(renderer: HtmlRenderer) -> None:
    result = renderer.render("<p>1. first</p><p>- dash + plus [x] (y) *z* _w_</p>", is_html=True)
    assert result.source == "html2text"
    assert result.text == "1. first\n\n- dash + plus [x] (y) *z* _w_"


def test_linked_image_without_alt_gets_a_readable_label(renderer: HtmlRenderer) -> None:
    html = '<a href="https://a.example/x"><img src="https://a.example/banner.png"></a>'
    result = renderer.render(html, is_html=True)
    assert result.text == "[link][1]\n\n   [1]: <https://a.example/x>"
    assert result.links == ("https://a.example/x",)


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
    assert converted.source == "html2text"
    for text in (converted.text, strip_html(html)):
        assert_no_controls(text)
        assert "\u202e" not in text
        assert "ZXZpbA" not in text and "title" not in text
        assert text.startswith("ab ")
        assert "red" in text and "alttext" in text
    # html2text turns &#27; into ESC and the whole sequence goes; the fallback's entity
    # decoder drops the ESC itself, leaving harmless "[31m" text.
    assert converted.text.startswith("ab red alttext")
    # A link whose address carries control characters is not offered at all.
    assert converted.links == ("https://e.example/ok",)


def test_failing_conversion_falls_back_and_next_job_works(renderer: HtmlRenderer) -> None:
    # html2text raises AssertionError on this (upstream #400).
    result = renderer.render("Hellow<![]-->world", is_html=True)
    assert result.source == "fallback"
    assert result.notice is not None
    assert "could not be converted (AssertionError)" in result.notice
    assert result.text == "Hellowworld"
    after = renderer.render("<p>fine</p>", is_html=True)
    assert (after.source, after.text, after.notice) == ("html2text", "fine", None)


@pytest.mark.timeout(30)
def test_deeply_nested_blockquotes_fall_back_without_conversion(renderer: HtmlRenderer) -> None:
    html = "<blockquote>" * 5000 + "deep text" + "</blockquote>" * 5000
    result = renderer.render(html, is_html=True)
    assert result.source == "fallback"
    assert result.notice == (
        "The HTML is nested more than 200 levels deep; showing a simplified version."
    )
    # Quote markers are capped, so the output stays small.
    assert result.text == "> > > > > deep text"


@pytest.mark.timeout(30)
def test_deeply_nested_lists_fall_back(renderer: HtmlRenderer) -> None:
    html = "<ul><li>item" * 2000 + "</li></ul>" * 2000
    result = renderer.render(html, is_html=True)
    assert result.source == "fallback"
    assert result.notice is not None and "nested more than 200 levels" in result.notice
    lines = result.text.split("\n")
    assert len(lines) == 2000
    assert max(len(line) for line in lines) <= 20  # indentation is capped
    assert lines[0] == "* item" and lines[1] == "  * item"


def test_nesting_just_under_the_limit_is_converted(renderer: HtmlRenderer) -> None:
    html = "<div>" * 200 + "ok" + "</div>" * 200
    result = renderer.render(html, is_html=True)
    assert (result.source, result.text) == ("html2text", "ok")


@pytest.mark.timeout(60)
def test_large_table_is_bounded(renderer: HtmlRenderer) -> None:
    rows = "".join(
        "<tr>" + "".join(f"<td>r{row}c{col}</td>" for col in range(50)) + "</tr>"
        for row in range(2000)
    )
    result = renderer.render(f"<table>{rows}</table>", is_html=True)
    assert result.source in ("html2text", "fallback")
    if result.source == "fallback":
        assert result.notice is not None
    assert len(result.text) <= renderer.max_output
    assert "r0c0" in result.text and "r1999c49" in result.text


def _long_body(paragraphs: int) -> str:
    text = "Lorem ipsum dolor sit amet, café — " * 9
    body = "".join(f"<p>P{number} {text}</p>\n" for number in range(paragraphs))
    return f"<html><body>{body}<p>THE END</p></body></html>"


@pytest.mark.timeout(60)
def test_three_megabyte_body_renders() -> None:
    body = _long_body(9000)
    assert len(body) > 2_900_000
    with HtmlRenderer(timeout=30, max_output=4_000_000) as roomy:
        result = roomy.render(body, is_html=True)
    assert (result.source, result.notice) == ("html2text", None)
    assert result.text.startswith("P0 Lorem ipsum")
    assert result.text.endswith("THE END")


@pytest.mark.timeout(60)
def test_three_megabyte_body_is_cut_with_notices() -> None:
    body = _long_body(9000)
    with HtmlRenderer(timeout=30, max_input=1_000_000, max_output=200_000) as tight:
        result = tight.render(body, is_html=True)
    assert result.source == "html2text"
    assert result.notice == (
        "The message is over 1 MB; only its beginning is shown. "
        "The text is over 200 KB; only its beginning is shown."
    )
    assert len(result.text) == 200_000
    assert result.text.endswith("…")
    assert "THE END" not in result.text


def test_plain_text_is_cleaned_and_bounded() -> None:
    with HtmlRenderer(max_output=50) as small:
        result = small.render(f"Hi{ESC}[2J there\r\nsee https://e.example/a.", is_html=False)
        assert result == Rendered(
            "Hi there\nsee https://e.example/a.", ("https://e.example/a",), None, "plain"
        )
        long = small.render("x" * 100, is_html=False)
        assert long.text == "x" * 49 + "…"
        assert long.notice == "The text is over 50 characters; only its beginning is shown."
        # Plain text never needs the worker.
        assert small.worker_pid is None


def test_empty_and_degenerate_html(renderer: HtmlRenderer) -> None:
    for content in ("", "   \n\t ", None):
        assert renderer.render(content, is_html=True) == Rendered("", (), None, "plain")
    assert renderer.render("<img>", is_html=True).text == ""
    assert renderer.render('<img alt="">', is_html=True).text == ""
    # Without src html2text skips an image entirely; the fallback shows any alt text.
    assert renderer.render('<p>a<img alt="x">b</p>', is_html=True).text == "ab"
    assert strip_html('<p>a<img alt="x">b</p>') == "axb"
    assert renderer.render("<p>   </p><div></div>", is_html=True).text == ""


@pytest.mark.timeout(60)
def test_timeout_kills_and_replaces_the_worker() -> None:
    # HTMLParser (inside html2text) is quadratic on this: tens of seconds of work.
    hostile = "<p>head</p>" + "<a" * 60_000
    with HtmlRenderer(timeout=0.2) as quick:
        assert quick.render("<p>warm</p>", is_html=True).source == "html2text"
        first_pid = quick.worker_pid
        assert first_pid is not None
        result = quick.render(hostile, is_html=True)
        assert result.source == "fallback"
        assert result.notice == "The HTML took over 0.2 s to convert; showing a simplified version."
        assert result.text.startswith("head\n\n<a<a<a")
        # The stuck worker is gone and a fresh one has taken its place.
        assert not pid_alive(first_pid)
        assert quick.worker_pid not in (None, first_pid)
        after = quick.render("<p>next <b>job</b></p>", is_html=True)
        assert (after.source, after.text, after.notice) == ("html2text", "next job", None)


def test_worker_killed_between_jobs_is_respawned() -> None:
    with HtmlRenderer() as renderer:
        assert renderer.render("<p>one</p>", is_html=True).source == "html2text"
        pid = renderer.worker_pid
        assert pid is not None
        os.kill(pid, 9)
        result = renderer.render("<p>two</p>", is_html=True)
        assert (result.source, result.text) == ("html2text", "two")
        assert renderer.worker_pid != pid


def test_worker_starts_lazily_and_close_stops_it() -> None:
    renderer = HtmlRenderer()
    assert renderer.worker_pid is None
    renderer.start()
    pid = renderer.worker_pid
    assert pid is not None
    assert renderer.render("<i>x</i>", is_html=True).text == "x"
    renderer.close()
    assert not pid_alive(pid)
    assert renderer.worker_pid is None
    renderer.close()  # idempotent
    result = renderer.render("<p>after close</p>", is_html=True)
    assert (result.source, result.text) == ("fallback", "after close")
    assert result.notice == "The HTML converter is closed; showing a simplified version."


def test_concurrent_renders_from_threads(renderer: HtmlRenderer) -> None:
    def job(number: int) -> tuple[int, Rendered]:
        return number, renderer.render(f"<p>message <b>{number}</b></p>", is_html=True)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(job, range(24)))
    for number, result in results:
        assert (result.source, result.text) == ("html2text", f"message {number}")


def test_importing_render_stays_light() -> None:
    code = (
        "import sys, tempmail_tui.core.render; "
        "print(sorted(m for m in ('html2text', 'multiprocessing', 'textual') if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    ).stdout
    assert output.strip() == "[]"


def test_render_works_from_a_non_main_thread_with_other_threads_running() -> None:
    stop = threading.Event()
    busy = threading.Thread(target=stop.wait, daemon=True)
    busy.start()
    outcome: list[Rendered] = []
    with HtmlRenderer() as renderer:
        worker = threading.Thread(
            target=lambda: outcome.append(renderer.render("<p>hi</p>", is_html=True))
        )
        worker.start()
        worker.join(timeout=30)
    stop.set()
    assert [(r.source, r.text) for r in outcome] == [("html2text", "hi")]


# ---------------------------------------------------------------------- fallback


def test_strip_html_newsletter() -> None:
    text = strip_html(NEWSLETTER)
    for junk in ("SCRIPT-JUNK", "STYLE-JUNK", "SECRET TITLE", "COMMENT-JUNK", "hidden.example"):
        assert junk not in text
    assert "Preheader: the autumn sale starts now" in text
    assert "Soldes d’automne — jusqu’à −40 %" in text
    assert "[ACME Boutique][1]  [Mon compte][2]" in text
    assert "[Voir les offres][3]" in text and "[Voir encore les offres][3]" in text
    assert "* Livraison gratuite dès 50 €\n* Retours sous 30 jours" in text
    assert "track.example.net" not in text
    assert "NOSCRIPT-SHOWN" in text
    assert text.endswith(
        "   [1]: <https://shop.example.com/?utm_source=mail&utm_medium=logo>\n"
        "   [2]: <https://shop.example.com/account>\n"
        "   [3]: <https://shop.example.com/sale?id=42&ref=nl>\n"
        "   [4]: <mailto:service@example.com>\n"
        "   [5]: </relative/unsubscribe>"
    )


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
        "a < b\nanchor [spaced][1] end[link][2]\n\n* * *\n\n"
        "   [1]: <https://e.example>\n   [2]: <https://e.example/empty>"
    )


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
    ],
)
def test_strip_html_is_linear_on_hostile_input(hostile: str) -> None:
    text = strip_html(hostile)
    assert len(text) <= len(hostile)
    assert_no_controls(text)
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
        HtmlRenderer(timeout=0)


@pytest.mark.timeout(60)
def test_close_during_a_slow_conversion_returns_the_fallback_promptly() -> None:
    renderer = HtmlRenderer(timeout=50)
    renderer.render("<p>warm</p>", is_html=True)
    pid = renderer.worker_pid
    assert pid is not None
    outcome: list[Rendered] = []
    slow = threading.Thread(
        target=lambda: outcome.append(renderer.render("<p>head</p>" + "<a" * 60_000, is_html=True))
    )
    slow.start()
    slow.join(timeout=0.5)  # let the job reach the worker; either way the result is a fallback
    renderer.close()
    slow.join(timeout=20)
    assert not slow.is_alive()
    assert [r.source for r in outcome] == ["fallback"]
    assert outcome[0].text.startswith("head")
    assert not pid_alive(pid)


def test_worker_does_not_outlive_an_interpreter_that_never_closed_it() -> None:
    code = (
        "from tempmail_tui.core.render import HtmlRenderer\n"
        "if __name__ == '__main__':\n"
        "    renderer = HtmlRenderer()\n"
        "    print(renderer.render('<p>x</p>', is_html=True).source, renderer.worker_pid)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    source, pid = result.stdout.split()
    assert source == "html2text"
    assert result.stderr == ""
    assert not pid_alive(int(pid))
