"""Mail bodies as readable, bounded, safe text: HTML conversion, fallback, links and cache.

``renderer`` runs html2text in a killable worker process and falls back to
``fallback.strip_html``; ``cache`` keeps what was rendered; links are read by
``core.html.links``.  The names below are the package's public interface.
"""

from __future__ import annotations

from tempmail_tui.core.html.links import web_links
from tempmail_tui.core.render.cache import RenderCache
from tempmail_tui.core.render.fallback import strip_html
from tempmail_tui.core.render.renderer import HtmlRenderer, Rendered, Source
from tempmail_tui.core.sanitize import coerce_text

__all__ = [
    "HtmlRenderer",
    "RenderCache",
    "Rendered",
    "Source",
    "extract_links",
    "strip_html",
]


def extract_links(html_or_text: str, *, is_html: bool) -> tuple[str, ...]:
    """Return the absolute http(s) links of a body in document order, without duplicates.

    For HTML these are the ``href`` of ``<a>`` and ``<area>`` outside comments, scripts
    and templates; for plain text, the URLs written in it.
    """
    return web_links(coerce_text(html_or_text), is_html=is_html)
