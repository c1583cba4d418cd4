"""Per-sender code rules from config.toml's ``[[codes]]``: where one sender puts its code.

A rule names its sender with a regular expression searched, case-insensitively, in
``Name <address>`` (the same text ``--from RE`` is matched against), may name a subject the
same way, and finds the code with its ``pattern``: the first group, or the whole match when
the pattern has no group.  The pattern runs over the cleaned subject and visible text of
the mail, cut to ``RULE_TEXT_LIMIT`` characters, so a slow pattern meets a bounded text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tempmail_tui.core.sanitize import clean_line

__all__ = ["RULE_TEXT_LIMIT", "CodeRule", "RuleHit", "compile_rule", "sender_text"]

# Codes sit near the top of a mail; a user's pattern never sees more than this.
RULE_TEXT_LIMIT = 100_000
_RULE_KEYS = ("from", "pattern", "subject")


def sender_text(from_name: str, from_email: str) -> str:
    """A sender as rules and ``--from`` see it: ``Name <address>``, cleaned, on one line."""
    return clean_line(f"{from_name} <{from_email}>")


@dataclass(frozen=True)
class RuleHit:
    """What a rule found: the code and where it sits in the text it searched."""

    code: str
    start: int
    end: int


@dataclass(frozen=True)
class CodeRule:
    """One ``[[codes]]`` rule: which mail it is for and the pattern that holds the code."""

    number: int  # its place among the [[codes]] rules of config.toml, from 1
    sender: re.Pattern[str]
    pattern: re.Pattern[str]
    subject: re.Pattern[str] | None = None

    @property
    def name(self) -> str:
        """How messages name the rule: its number and its sender pattern."""
        return f"rule {self.number} (from '{self.sender.pattern}')"

    def applies(self, sender: str, subject: str) -> bool:
        """Whether the rule is for a mail from this sender (``Name <address>``) and subject."""
        if self.sender.search(sender) is None:
            return False
        return self.subject is None or self.subject.search(clean_line(subject)) is not None

    def find(self, text: str) -> RuleHit | None:
        """The code the pattern finds in the text (first group, else the match), or None."""
        match = self.pattern.search(text[:RULE_TEXT_LIMIT])
        if match is None:
            return None
        group = 1 if self.pattern.groups else 0
        value = match.group(group)
        if value is None:
            return None
        code = clean_line(value, max_chars=64)
        if not code:
            return None
        return RuleHit(code, match.start(group), match.end(group))


def compile_rule(number: int, raw: object) -> CodeRule:
    """A rule from one ``[[codes]]`` table; ValueError says what is wrong with it."""
    if not isinstance(raw, dict):
        raise ValueError('not a table: write from = "..." and pattern = "..." under [[codes]]')
    unknown = [key for key in raw if key not in _RULE_KEYS]
    if unknown:
        shown = ", ".join(repr(key)[:40] for key in unknown)
        raise ValueError(f"unknown keys {shown}; a rule has from, pattern and subject")
    for key in ("from", "pattern"):
        if key not in raw:
            raise ValueError(f'no {key} = "..."')
    sender = _regex(raw["from"], "from", re.IGNORECASE)
    pattern = _regex(raw["pattern"], "pattern", 0)
    subject = _regex(raw["subject"], "subject", re.IGNORECASE) if "subject" in raw else None
    return CodeRule(number, sender, pattern, subject)


def _regex(value: object, key: str, flags: int) -> re.Pattern[str]:
    """A key's regular expression, compiled; ValueError when it is not text or not valid."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} must be a non-empty regular expression in quotes")
    try:
        return re.compile(value, flags)
    except re.error as exc:
        raise ValueError(f"{key} is not a valid regular expression: {exc}") from None
