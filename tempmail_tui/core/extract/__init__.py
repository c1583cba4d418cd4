"""Verification codes and action links found in a mail, so the reader can copy them in one key.

People use a throwaway mailbox to get one thing out of one message: a one-time code or a
confirmation link.  ``codes`` finds the first and ``links`` ranks the second, both over the
mail's visible text as ``document`` reads it, through the project's one HTML reader
(``core.html``).  Everything here is linear in the size of the mail.
"""

from __future__ import annotations

from tempmail_tui.core.extract.codes import CodeCandidate, best_code, find_codes
from tempmail_tui.core.extract.links import Link, best_link, find_links, ranked_links

__all__ = [
    "CodeCandidate",
    "Link",
    "best_code",
    "best_link",
    "find_codes",
    "find_links",
    "ranked_links",
]
