"""Mail bodies as readable, bounded, safe text: HTML conversion, fallback, links and cache.

``document`` lays HTML out as a terminal reader shows it (text, styled ranges, numbered
links), ``renderer`` bounds and cleans every body, ``cache`` keeps what was rendered;
links are read by ``core.html.links``.  The names below are the package's public interface.
"""

from __future__ import annotations

from tempmail_tui.core.html.links import web_links
from tempmail_tui.core.render.cache import RenderCache
from tempmail_tui.core.render.document import Mark, render_html, strip_html, terminal_link
from tempmail_tui.core.render.renderer import HtmlRenderer, Rendered, Source
from tempmail_tui.core.sanitize import coerce_text

__all__ = [
    "HtmlRenderer",
    "Mark",
    "RenderCache",
    "Rendered",
    "Source",
    "extract_links",
    "render_html",
    "strip_html",
    "terminal_link",
]


def extract_links(html_or_text: str, *, is_html: bool) -> tuple[str, ...]:
    """Return the absolute http(s) links of a body in document order, without duplicates.

    For HTML these are the ``href`` of ``<a>`` and ``<area>`` outside comments, scripts
    and templates; for plain text, the URLs written in it.
    """
    return web_links(coerce_text(html_or_text), is_html=is_html)
