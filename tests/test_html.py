"""Tests of the one HTML reader: the tokenizer, the text of a mail, its links, and agreement.

The renderer, the extractor, search and the list filter all read mail HTML through
``core.html``; the last tests hold them to one answer about what a mail says.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tempmail_tui.core.extract.document import analysed
from tempmail_tui.core.html.links import bare_urls, hrefs, trim_url, usable_link, web_links
from tempmail_tui.core.html.text import document_text, read_html, read_text
from tempmail_tui.core.html.tokenizer import Kind, attributes, closes_itself, tokens
from tempmail_tui.core.render import HtmlRenderer, strip_html

from .hostile.html_shapes import SHAPES
from .test_extract import CORPUS

TEXT, START, END, RAW = Kind.TEXT, Kind.START, Kind.END, Kind.RAW


def read(html: str) -> list[tuple[Kind, str, str]]:
    """The tokens of ``html`` as plain tuples."""
    return [(token.kind, token.name, token.data) for token in tokens(html)]


# -- the tokenizer ------------------------------------------------------------------------


def test_text_tags_and_entities() -> None:
    assert read("<P class=x>Caf&eacute; &amp; <B>tea</b></p>&#x41;") == [
        (START, "p", " class=x"),
        (TEXT, "", "Café & "),
        (START, "b", ""),
        (TEXT, "", "tea"),
        (END, "b", ""),
        (END, "p", ""),
        (TEXT, "", "A"),
    ]


def test_quoted_values_may_hold_a_greater_than_sign() -> None:
    (tag, text) = read("<a title=\"a > b\" href='x>y'>link")
    assert tag == (START, "a", " title=\"a > b\" href='x>y'")
    assert attributes(tag[2]) == {"title": "a > b", "href": "x>y"}
    assert text == (TEXT, "", "link")


def test_an_unclosed_quote_ends_the_tag_at_its_first_greater_than_sign() -> None:
    assert read("<a x='foo>bar") == [(START, "a", " x='foo"), (TEXT, "", "bar")]
    assert attributes(" x='foo") == {"x": "foo"}


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("a < b and c<d", "a < b and c<d"),
        ("<a<a<a", "<a<a<a"),
        ("x <3 y", "x <3 y"),
        ('<b title="<">', '<b title="<">'),  # no part of a tag holds "<"
    ],
)
def test_a_less_than_sign_that_starts_no_tag_is_text(html: str, text: str) -> None:
    assert read(html) == [(TEXT, "", text)]


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("a<!-- c -->b", "ab"),
        ("a<!-->b", "ab"),  # an empty comment in HTML5
        ("a<!--->b", "ab"),
        ("a<!-- <p>hidden</p> --!>still --> b", "a b"),
        ("a<!-- unterminated <p>gone", "a"),
        ("<!DOCTYPE html><?xml x?></ x><![CDATA[y]]><!x>z", "z"),
    ],
)
def test_comments_and_declarations_are_dropped(html: str, text: str) -> None:
    assert "".join(data for kind, _, data in read(html) if kind is TEXT) == text


def test_raw_blocks_are_one_token_up_to_their_end_tag() -> None:
    html = (
        "<script>if (a < b) x = '<a href=\"https://s.example/\">'</scripts></SCRIPT >"
        "<style>p{}</style><title>A &amp; B</title><textarea>a &lt; <b>b</b></textarea>"
        "<xmp>a &lt; <b>b</b></xmp>after"
    )
    assert read(html) == [
        (START, "script", ""),
        (RAW, "script", "if (a < b) x = '<a href=\"https://s.example/\">'</scripts>"),
        (END, "script", ""),
        (START, "style", ""),
        (RAW, "style", "p{}"),
        (END, "style", ""),
        (START, "title", ""),
        (RAW, "title", "A & B"),  # title and textarea decode entities; the others do not
        (END, "title", ""),
        (START, "textarea", ""),
        (RAW, "textarea", "a < <b>b</b>"),
        (END, "textarea", ""),
        (START, "xmp", ""),
        (RAW, "xmp", "a &lt; <b>b</b>"),
        (END, "xmp", ""),
        (TEXT, "", "after"),
    ]


def test_an_unclosed_raw_block_runs_to_the_end_and_a_self_closed_one_is_empty() -> None:
    assert read("<style>p{} <p>x") == [(START, "style", ""), (RAW, "style", "p{} <p>x")]
    assert read("<script/>shown") == [(START, "script", "/"), (TEXT, "", "shown")]


def test_attributes() -> None:
    data = " HREF=\"https://e.example/?a=1&amp;b=2\" href=second checked title='it' alt=x"
    assert attributes(data) == {
        "href": "https://e.example/?a=1&b=2",  # the first of a repeated name wins
        "checked": "",
        "title": "it",
        "alt": "x",
    }


@pytest.mark.parametrize(
    ("data", "closes"),
    [
        ("/", True),
        (" /", True),
        (' alt="x"/', True),
        (" alt='x' / ", True),
        (" checked/", True),  # an attribute name, as HTMLParser reads it
        (" href=/x/", False),  # the end of an unquoted value
        (" href= /x/", False),
        (' class="x"', False),
        ("", False),
    ],
)
def test_closes_itself(data: str, closes: bool) -> None:
    assert closes_itself(data) is closes


_FRAGMENTS = st.sampled_from(
    [
        "<a href='https://e.example/'>", "</a>", "<area href=x>", "<template>", "</template>",
        "<style>", "</style>", "<script>", "</script>", "<textarea>", "<b>", "<!--", "-->",
        "<!x>", "</ x>", "<", ">", '"', "'", "text ", "&amp;", "<a title='>'>", "<A HREF=y>",
        "<abbr>", "<styles>", "</STYLE >", "<br/>", "<p x=\"<\">",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=40).map("".join))
def test_restricted_reads_see_what_a_full_read_sees(html: str) -> None:
    """``only`` skips other tags at regex speed and must see exactly what a full read sees."""
    for names in (frozenset({"a", "area", "template"}), frozenset({"style"})):
        full = [
            (token.kind, token.name, token.data)
            for token in tokens(html)
            if token.kind is not TEXT and token.name in names
        ]
        assert [(t.kind, t.name, t.data) for t in tokens(html, only=names)] == full
    # The extractor's walk finds the links that the light pass of the links dialog finds.
    walked = [usable_link(anchor.href) for anchor in read_html(html).anchors]
    assert [url for url in walked if url] == [url for url in map(usable_link, hrefs(html)) if url]


# -- the text of a mail -------------------------------------------------------------------

NEWSLETTER = (
    "<html><head><title>SECRET TITLE</title><style>.big{font-size:30px} /* STYLE-JUNK */</style>"
    "<script>alert('SCRIPT-JUNK')</script></head><body>"
    "<div style='display:none'>Preheader text</div>"
    "<table><tr><td><a href='https://shop.example/'><img src=logo.png alt='ACME Shop'></a></td>"
    "<td>Caf&eacute; &amp; tea</td></tr></table>"
    "<p>Your code is <span class='big'>482 913</span>.</p>"
    "<template><p>TEMPLATE-JUNK</p></template><!-- COMMENT-JUNK -->"
    "<pre>  kept\n  lines</pre>"
    "<p>pass\u200bword \x1b[31mred\x1b[0m \u202eevil</p>"
    "</body></html>"
)


def test_document_text_is_what_a_reader_sees() -> None:
    assert document_text(NEWSLETTER, is_html=True) == (
        "Preheader text\n"
        "ACME Shop Café & tea\n"
        "Your code is 482 913.\n"
        "kept lines\n"  # spacing is collapsed in <pre> too: search reads words
        "password red evil"
    )


def test_document_text_of_plain_text() -> None:
    text = "Hello\r\n\r\n  spaced   out \t words\x1b]0;title\x07\n\u200bhid\u00adden\n"
    assert document_text(text, is_html=False) == "Hello\nspaced out words\nhidden"


def test_read_html_tracks_prominence_and_links() -> None:
    doc = read_html(NEWSLETTER)
    assert "SECRET" not in doc.text and "JUNK" not in doc.text
    assert "  kept\n  lines" in doc.text  # <pre> keeps its spacing
    code_at = doc.text.index("482 913")
    assert any(start <= code_at < end for start, end in doc.prominent)  # a CSS class
    (anchor,) = doc.anchors
    assert (anchor.href, "".join(anchor.text), anchor.images) == (
        "https://shop.example/",
        "ACME Shop",
        1,
    )


def test_read_html_links_pixels_and_areas() -> None:
    doc = read_html(
        "<p>Hi <b>bold</b> <span style='letter-spacing:6px'>S P A C E D</span></p>"
        "<a href=' https://e.example/a '>Verify <i>now</i></a>"
        "<a href=https://t.example/o><img width=1 height=1 src=p.gif></a>"
        "<map><area href='https://e.example/map'></map>"
        "<template><a href='https://template.example/'>t</a></template>"
    )
    assert [(a.href, "".join(a.text), a.pixel) for a in doc.anchors] == [
        ("https://e.example/a", "Verify now", False),
        ("https://t.example/o", "", True),
        ("https://e.example/map", "", False),
    ]
    prominent = {doc.text[start:end] for start, end in doc.prominent}
    assert prominent == {"bold", "S P A C E D"}


def test_read_text_is_the_text_as_shown() -> None:
    assert read_text("a\x1b[2Jb\r\nc\u202e").text == "ab\nc"


# -- links --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("candidate", "url"),
    [
        ("https://e.example/a?b=1", "https://e.example/a?b=1"),
        ("HTTP://E.EXAMPLE/UP", "HTTP://E.EXAMPLE/UP"),
        ("  https://e.example/trimmed\n", "https://e.example/trimmed"),
        ("https://e.example/\nsplit\tline", "https://e.example/splitline"),  # as browsers do
        ("javascript:alert(1)", None),
        ("mailto:x@e.example", None),
        ("/relative", None),
        ("//e.example/no-scheme", None),
        ("https://", None),
        ("http://[::1", None),
        ("https://e.example/with space", None),
        ("https://e.example/\u00a0nbsp", None),
        ("\u00a0https://e.example/", None),  # not white space to a browser: a relative URL
        ("https://e.example/\x1b[31m", None),
        ("https://e.example/\u202eevil", None),
        ("https://e.example/zero\u200bwidth", None),
        ("https://e.example/joiner\u034f", None),
        ("https://e.example/" + "x" * 9000, None),
    ],
)
def test_usable_link(candidate: str, url: str | None) -> None:
    assert usable_link(candidate) == url


@pytest.mark.parametrize(
    ("found", "url"),
    [
        ("https://e.example/a.", "https://e.example/a"),
        ("https://e.example/a).", "https://e.example/a"),
        ("https://e.example/wiki/Foo_(bar)", "https://e.example/wiki/Foo_(bar)"),
        ("https://e.example/wiki/Foo_(bar)),", "https://e.example/wiki/Foo_(bar)"),
        ("https://e.example/?ids[]=1]", "https://e.example/?ids[]=1"),
        ("https://e.example/?a[b]].", "https://e.example/?a[b]"),
        ("https://e.example/a?!;:", "https://e.example/a"),
    ],
)
def test_trim_url(found: str, url: str) -> None:
    assert trim_url(found) == url


def test_bare_urls_with_their_offsets() -> None:
    text = "See https://e.example/a, (https://e.example/b) and https://e.example/c。次へ"
    assert list(bare_urls(text)) == [
        (4, "https://e.example/a"),
        (26, "https://e.example/b"),
        (51, "https://e.example/c"),
    ]


def test_hrefs_skip_comments_scripts_and_templates() -> None:
    html = (
        "<a href='https://a.example/'>a</a><!-- <a href='https://comment.example/'> -->"
        "<script>'<a href=\"https://script.example/\">'</script>"
        "<template><a href='https://template.example/'></a></template>"
        "<area href='https://area.example/'><a name=x>no href</a>"
    )
    assert list(hrefs(html)) == ["https://a.example/", "https://area.example/"]
    assert [a.href for a in read_html(html).anchors] == list(hrefs(html))


def test_web_links_of_html_and_text() -> None:
    html = "<a href='https://a.example/'>a</a><a href='https://a.example/'>again</a>"
    assert web_links(html, is_html=True) == ("https://a.example/",)
    assert web_links("x https://a.example/). y", is_html=False) == ("https://a.example/",)


# -- one answer: what the renderers, the extractor, search and the filter read --------------

# The renderer's own text: the "[3]" after a link and the list of links at the end.
_MARKER = re.compile(r"\[\d+\]")
_LINKS_LIST = re.compile(r"(?:\A|\n\n)Links:\n(?:\[\d+\] [^\n]*(?:\n|\Z))+\Z")
_LIST_NUMBER = re.compile(r"^[ \t>]*\d+\.", re.MULTILINE)
_WORD = re.compile(r"\w+")
# Words in blocks that no reader may show: scripts, styles, comments, titles and templates.
HIDDEN_BY_OUR_READERS = (
    "zzscriptword",
    "zzstyleword",
    "zzcommentword",
    "zztitleword",
    "zztemplateword",
)


def words(text: str) -> set[str]:
    """The words of a text, case folded, compatibility forms folded (the extractor reads
    full-width digits and letters as ASCII)."""
    return {word.casefold() for word in _WORD.findall(unicodedata.normalize("NFKC", text))}


def rendered_words(text: str) -> set[str]:
    """The words a rendering shows of the mail itself, not its link numbers or list numbers."""
    text = _MARKER.sub("", _LINKS_LIST.sub("", text))
    return words(_LIST_NUMBER.sub("", text))


def with_hidden_blocks(html: str) -> str:
    """A mail with a word in each kind of hidden block."""
    hidden = (
        "<script>zzscriptword()</script><style>.zzstyleword{}</style>"
        "<title>zztitleword</title><template><p>zztemplateword</p></template>"
        "<!-- zzcommentword -->"
    )
    if "<body" in html:
        return re.sub(r"(<body[^>]*>)", lambda match: match.group(1) + hidden, html, count=1)
    return hidden + html


def mails() -> Iterator[tuple[str, str]]:
    """The HTML of the corpus and of the sandbox newsletter, with hidden blocks added."""
    for mail in CORPUS:
        if mail.is_html:
            yield mail.name, with_hidden_blocks(mail.content)
    newsletter = Path(__file__).parents[1] / "tempmail_tui" / "sandbox" / "newsletter.html"
    yield "sandbox-newsletter", with_hidden_blocks(newsletter.read_text(encoding="utf-8"))


MAILS = dict(mails())
HOSTILE = {shape.name: with_hidden_blocks("<p>start</p>" + shape.build(3000)) for shape in SHAPES}


def check_agreement(html: str, rendering: str | None = None) -> None:
    """The words every reader shows are words of ``document_text``; hidden blocks show in none.

    The extractor and search read the same words; the rendering (``strip_html`` unless
    given) shows no word that search would not find.
    """
    searchable = words(document_text(html, is_html=True))
    analysed.cache_clear()
    extracted = analysed(html, True)[0].text
    assert words(extracted) == words(read_html(html).text) == searchable
    if rendering is None:
        rendering = strip_html(html)
    missing = rendered_words(rendering) - searchable
    assert not missing, sorted(missing)[:20]
    for text in (document_text(html, is_html=True), extracted, rendering):
        leaked = [word for word in HIDDEN_BY_OUR_READERS if word in text]
        assert not leaked, leaked


@pytest.fixture(scope="module")
def renderer() -> HtmlRenderer:
    """The reader's renderer."""
    return HtmlRenderer()


@pytest.mark.parametrize("name", MAILS)
def test_renderers_extractor_and_search_agree_on_the_corpus(
    name: str, renderer: HtmlRenderer
) -> None:
    html = MAILS[name]
    rendered = renderer.render(html, is_html=True)
    assert rendered.source == "html"
    check_agreement(html, rendered.text)


@pytest.mark.parametrize("name", HOSTILE)
def test_renderer_fallback_extractor_and_search_agree_on_hostile_input(name: str) -> None:
    check_agreement(HOSTILE[name])


def test_the_agreement_check_can_fail() -> None:
    """A reader that showed a script, or lost a word, would be caught."""
    html = MAILS["sandbox-newsletter"]
    with pytest.raises(AssertionError, match="zzscriptword"):
        check_agreement(html, "zzscriptword\n" + strip_html(html))
    with pytest.raises(AssertionError, match="wordnowhereelse"):
        check_agreement(html, "wordnowhereelse\n" + strip_html(html))
