"""Hostile HTML: the shapes that make naive tokenizers, parsers and patterns quadratic.

Each shape builds a document of about a given size from a repeated unit, so that a test can
compare the cost of the same shape at two sizes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shape:
    """A hostile document: ``head``, then ``unit`` repeated, then ``tail`` (each side mirrored
    by ``closing`` repeated as often, for nesting)."""

    name: str
    unit: str
    head: str = ""
    tail: str = ""
    closing: str = ""

    def build(self, size: int) -> str:
        """The document with the unit repeated to about ``size`` characters."""
        count = max(1, size // (len(self.unit) + len(self.closing)))
        return self.head + self.unit * count + self.tail + self.closing * count


SHAPES: tuple[Shape, ...] = (
    # "<" that never closes a tag: HTMLParser before CVE-2025-6069 is quadratic here.
    Shape("lt-a", "<a"),
    Shape("lt-a-gt", "<a", tail=">"),
    Shape("lt-flood", "<"),
    Shape("lt-bang", "<!"),
    Shape("lt-slash", "</"),
    Shape("lt-question", "<?"),
    Shape("lt-space", "< a "),
    Shape("doctype-unclosed", "x", head="<!DOCTYPE "),
    # Quotes that do not close, or hold what ends a tag.
    Shape("open-double-quote", '<a x="'),
    Shape("open-single-quote-gt", "<a x='", tail=">"),
    Shape("quote-flood", '"', head="<a x=", tail=">"),
    Shape("alternating-quotes", "\"'", head="<a x=", tail=">"),
    Shape("gt-in-quotes", ">", head='<a title="', tail='">x</a>'),
    Shape("lt-in-quotes", '<b title="<', tail='">'),
    # Huge tags: one attribute, many attributes, a long name.
    Shape("huge-attribute", "x", head='<a href="https://e.example/', tail='">link</a>'),
    Shape("many-attributes", "x=1 ", head="<a ", tail=">"),
    Shape("long-tag-name", "a", head="<", tail=">"),
    Shape("self-closing-slashes", "/", head="<br", tail=">"),
    # Nesting, and tags that never close or never opened.
    Shape("deep-nesting", "<div>", tail="deep", closing="</div>"),
    Shape("deep-quotes-and-lists", "<blockquote><ul><li>", tail="x", closing="</li></ul>"),
    Shape("unclosed-tags", "<b>"),
    Shape("unmatched-end-tags", "</i>"),
    Shape("mismatched-tags", "<b><i></b></i>"),
    Shape("self-closing-divs", "<div/>"),
    # Comments.
    Shape("comment-openers", "<!--"),
    Shape("unterminated-comment", "-", head="<p>x</p><!--"),
    Shape("comment-near-misses", "--!>", head="<!--", tail="-->"),
    Shape("empty-comments", "<!---->"),
    # Raw blocks: openers, end tags that almost match, content full of markup.
    Shape("script-openers", "<script>"),
    Shape("script-near-miss-ends", "</scrip", head="<script>"),
    Shape("script-full-of-tags", "<a href='https://s.example/'>", head="<script>"),
    Shape("style-braces", "{", head="<style>", tail="</style>"),
    Shape("textarea-openers", "<textarea>"),
    Shape("title-openers", "<title>"),
    Shape("template-openers", "<template>"),
    # Entities.
    Shape("ampersands", "&"),
    Shape("numeric-entity-starts", "&#"),
    Shape("named-entities", "&amp;"),
    Shape("long-entity-name", "a", head="&"),
    Shape("entities-in-attribute", "&amp;", head='<a href="https://e.example/?', tail='">x</a>'),
    # Links and text.
    Shape("bare-url-parentheses", ")", head="see https://e.example/"),
    Shape("url-flood", "https://"),
    Shape("anchor-flood", '<a href="https://e.example/verify?t=1">Verify</a>'),
    Shape("words", "word "),
)
