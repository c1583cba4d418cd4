"""What the reader offers beside the body: the verification code and the numbered links."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tempmail_tui.core.html.text import document_text
from tempmail_tui.core.render import Rendered
from tempmail_tui.core.sanitize import clean_line
from tempmail_tui.core.store import MessageSummary

if TYPE_CHECKING:
    from tempmail_tui.core.extract import CodeRule

# Extraction reads at most this much of a body: codes and action links sit near the top,
# and a bound keeps the cost of a huge mail small even though the reader is linear.
EXTRACT_LIMIT = 200_000


@dataclass(frozen=True, slots=True)
class NumberedLink:
    """A web link of a message with the number it carries in the body."""

    number: int
    url: str
    best: bool = False


@dataclass(frozen=True, slots=True)
class ReadingAids:
    """The best code, the best link and every web link of a message."""

    code: str | None
    best_link: str | None
    links: tuple[NumberedLink, ...]


def numbered_links(rendered: Rendered) -> list[tuple[int, str]]:
    """The web links with the numbers the body shows them with (in order for plain text)."""
    # The renderer numbers an HTML body's links in the order of ``rendered.links``: the
    # "[n]" after each link's text and the list at the end are written from it.
    return list(enumerate(rendered.links, start=1))


def reading_aids(
    subject: str,
    content: str,
    *,
    is_html: bool,
    rendered: Rendered,
    sender: tuple[str, str] = ("", ""),
    rules: Sequence[CodeRule] = (),
) -> ReadingAids:
    """Find the code and links of a message (domain logic: runs off the UI thread).

    ``sender`` (name, address) and ``rules`` (config.toml's [[codes]]) choose the code as
    ``tempmail-tui code`` does, so the reader and the command agree.
    """
    from tempmail_tui.core.extract import best_code, best_link

    head = content[:EXTRACT_LIMIT]
    code = best_code(subject, head, is_html=is_html, sender=sender, rules=rules)
    link = best_link(subject, head, is_html=is_html)
    links = tuple(
        NumberedLink(number, clean_line(url, max_chars=4000), best=url == link)
        for number, url in numbered_links(rendered)
    )
    if link is not None and not any(item.best for item in links):
        # The best link is not among the body's references (e.g. cut): list it first.
        links = (NumberedLink(0, clean_line(link, max_chars=4000), best=True), *links)
    return ReadingAids(
        code=clean_line(code, max_chars=64) if code else None,
        best_link=clean_line(link, max_chars=4000) if link else None,
        links=links,
    )


def filter_text(message: MessageSummary, content: str) -> str:
    """The case-folded text the list filter matches: sender, subject and the body as read."""
    # The body as search indexes it (core/html/text.py), so the filter and the archive
    # search find the same words, and neither a tag name nor a script.
    body = document_text(content, is_html=message.is_html)
    return " ".join((message.from_name, message.from_email, message.subject, body)).casefold()
