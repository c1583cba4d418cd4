"""Labels on mailboxes: what a box was for (a site, a test run, a ticket), checked and tidied."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Final

from tempmail_tui.errors import LocalError

#: The longest label kept, in characters: a name, not a note.
LABEL_MAX_CHARS: Final = 64
#: The most labels one box carries.
LABELS_PER_BOX: Final = 16


class LabelError(LocalError, ValueError):
    """A label that cannot be used: empty, too long, or holding control characters."""


def clean_label(text: str) -> str:
    """The label as kept: trimmed, single spaces; ``LabelError`` if it cannot be one."""
    label = " ".join(text.split())
    if not label:
        raise LabelError("a label cannot be empty")
    if len(label) > LABEL_MAX_CHARS:
        raise LabelError(f"a label is at most {LABEL_MAX_CHARS} characters")
    # Controls, bidi overrides and other format characters would hide what a label says.
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in label):
        raise LabelError("a label cannot hold control or formatting characters")
    if "," in label:
        # The reader's label field and the command line take lists separated by commas.
        raise LabelError("a label cannot hold a comma")
    return label


def clean_labels(labels: Iterable[str]) -> tuple[str, ...]:
    """Each label cleaned, duplicates (ignoring case) dropped, in the order given."""
    kept: dict[str, str] = {}
    for text in labels:
        label = clean_label(text)
        kept.setdefault(label.casefold(), label)
    if len(kept) > LABELS_PER_BOX:
        raise LabelError(f"a mailbox carries at most {LABELS_PER_BOX} labels")
    return tuple(kept.values())


def parse_label_list(text: str) -> tuple[str, ...]:
    """Labels typed as one line separated by commas (an empty line: no labels)."""
    return clean_labels(part for part in text.split(",") if part.strip())


def has_label(labels: Iterable[str], wanted: str) -> bool:
    """Whether ``wanted`` is among the labels, ignoring case and spacing."""
    key = " ".join(wanted.split()).casefold()
    return any(label.casefold() == key for label in labels)
