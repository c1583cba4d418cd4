"""Verification codes and action links found in a mail, so the reader can copy them in one key.

People use a throwaway mailbox to get one thing out of one message: a one-time code or a
confirmation link.  ``codes`` finds the first (``shapes`` and ``keywords`` say what a code
looks like and what is said around it, ``rules`` holds config.toml's per-sender rules and
``explain`` says why a code was chosen) and ``links`` ranks the second, both over the
mail's visible text as ``document`` reads it, through the project's one HTML reader
(``core.html``).  Everything here is linear in the size of the mail.
"""

from __future__ import annotations

from tempmail_tui.core.extract.codes import (
    CodeCandidate,
    CodeChoice,
    best_code,
    choose_code,
    find_codes,
)
from tempmail_tui.core.extract.explain import explain
from tempmail_tui.core.extract.links import Link, best_link, find_links, ranked_links
from tempmail_tui.core.extract.rules import CodeRule

__all__ = [
    "CodeCandidate",
    "CodeChoice",
    "CodeRule",
    "Link",
    "best_code",
    "best_link",
    "choose_code",
    "explain",
    "find_codes",
    "find_links",
    "ranked_links",
]
