"""What a code looks like by itself: the code-shaped strings of a line and what stands beside them.

Three shapes are found: digits (whole or split into groups: "123 456", "1 2 3 4 5 6"),
upper-case letters with digits ("X3F9K2", "A7K-9QX"), and letters with digits that hold a
lower-case letter ("k7q2m9", "aB3dE9", "7c2b-9e4f").  The last shape is also the shape of
prose ("user42", "10min", "sha256"), so the scorer only takes it where a code word marks it.

Every regular expression either starts with a literal or carries a look-behind that stops
it from restarting inside a run it has already scanned, so the search is linear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

__all__ = [
    "Factor",
    "Found",
    "adjacent_problem",
    "candidates_in",
    "shape_factors",
    "word_and_number",
]

# Upper-case letters and digits only: prose (most of a mail) stays out of the per-token loop.
_TOKEN_RE = re.compile(r"[0-9A-Z]+")
# Letters and digits with at least one digit, alone or in up to three dash-joined groups:
# the candidates that may hold lower-case letters.  The look-behind starts a match only where
# a run starts, and the possessive look-ahead for a digit scans each run once.
_MIXED_RE = re.compile(
    r"(?<![\w-])(?=[A-Za-z-]*+[0-9])[0-9A-Za-z]{2,10}(?:-[0-9A-Za-z]{2,10}){0,2}(?![\w-])"
)
_YEAR_RE = re.compile(r"(?:19|20)[0-9]{2}")
# A word and a number, the shape of promo codes ("VERANO20", "WELCOME10"); one-time codes are
# random and rarely start with four letters holding two vowels.
_PROMO_SHAPE_RE = re.compile(r"(?=[A-Z]*[AEIOUY][A-Z]*[AEIOUY])[A-Z]{4,}[0-9]{1,3}")
# Where letters turn to digits or back: "k7q2m9" turns five times, "user42" and "10min" once.
_LETTER_DIGIT_TURN_RE = re.compile(r"[A-Za-z](?=[0-9])|[0-9](?=[A-Za-z])")
# Characters that may separate the groups of one code: "123 456", "123-456", "402&nbsp;187".
# A tab (a table cell boundary) separates groups only when each cell holds one digit: the
# "one box per digit" layout.
_GROUP_SEPARATORS = frozenset(" -\t\u00a0\u2007\u2009\u202f\u2010\u2011")
_NUMERIC_PUNCTUATION = frozenset(".,:/")
_REJECT_BEFORE = frozenset("#№$€£¥₹₽+@/\\_=&?%°º")
# "#" after digits is a keypad entry: a dial-in PIN or a gate code, not a one-time code.
_REJECT_AFTER = frozenset("#%€$£¥₹₽°º_@/\\=年月日時分秒円元원号號점")
_MONEY_BEFORE = frozenset("#№$€£¥₹₽+°º")
_MONEY_AFTER = frozenset("%€$£¥₹₽")
_UNIT_AFTER_RE = re.compile(
    r"\s?(?:eur|usd|gbp|chf|pln|rub|руб|zł|zl|kr|kč|tl|lei|грн|kg|km|mb|gb|kb|px|pt|ms|mph)"
    r"(?![^\W\d_])",
    re.IGNORECASE,
)
_DASH_DATE_SHAPES = ((4, 2, 2), (2, 2, 4))


@dataclass(frozen=True)
class Factor:
    """One part of a candidate's score: its kind ("shape", "evidence", ...), in words, and weight.

    Candidates are compared kind by kind: a code word on the line before and one just before
    the code are both "evidence", one stronger than the other.
    """

    kind: str
    why: str
    weight: float


@dataclass
class Found:
    """A code candidate before scoring: where it is, and whether a code word must mark it."""

    code: str
    start: int
    end: int
    # Holds a lower-case letter: only a code word right beside it makes it a code.
    needs_mark: bool = False


def adjacent_problem(line: str, start: int, end: int) -> str | None:
    """Why the characters around a candidate make it part of something else, or None.

    Catches the parts of dates, times, prices, decimals, versions, IP addresses, phone
    numbers (after ``+`` or an area code in parentheses), ``#``/``№`` numbers, dashed
    identifiers, words, and figures followed by a unit or CJK date unit.
    """
    before = line[start - 1] if start > 0 else ""
    before2 = line[start - 2] if start > 1 else ""
    after = line[end] if end < len(line) else ""
    after2 = line[end + 1] if end + 1 < len(line) else ""
    if before in _NUMERIC_PUNCTUATION and before2.isdigit():
        return f"joined to digits by {before!r}: part of a date, time, price, version or address"
    if after in _NUMERIC_PUNCTUATION and after2.isdigit():
        return f"joined to digits by {after!r}: part of a date, time, price, version or address"
    if (before == "-" and before2.isalnum()) or (after == "-" and after2.isalnum()):
        return "joined by a dash to more letters or digits: part of an identifier"
    if (before == " " and before2 in _MONEY_BEFORE) or (after == " " and after2 in _MONEY_AFTER):
        return "next to a currency, number or percent sign: a price or a number"
    if before in _REJECT_BEFORE:
        return f"after {before!r}: a number, price, handle or path"
    if after in _REJECT_AFTER:
        return f"before {after!r}: a unit, price, date or keypad entry"
    if before == ")" or (before == " " and before2 == ")"):
        return "after a bracketed area code: part of a phone number"
    if (before.isalpha() and ord(before) < 0x2E80) or (after.isalpha() and ord(after) < 0x2E80):
        return "part of a longer word"
    if _UNIT_AFTER_RE.match(line, end) is not None:
        return "followed by a unit or currency: a quantity"
    return None


def _digit_group_shape_ok(groups: list[str], separators: list[str]) -> bool:
    """Whether digit groups read as one code: equal-ish groups, or single digits spaced out."""
    if len(groups) == 1:
        return True
    lengths = [len(group) for group in groups]
    if all(length == 1 for length in lengths):
        return len(groups) >= 4
    if "\t" in separators:
        return False
    if min(lengths) < 2 or max(lengths) - min(lengths) > 1 or len(groups) > 4:
        return False
    # Dashes in a 4-2-2 or 2-2-4 shape make a date (2026-06-28, 28-06-2026).
    return not (all(sep == "-" for sep in separators) and tuple(lengths) in _DASH_DATE_SHAPES)


def candidates_in(masked: str) -> list[Found]:
    """Code-shaped strings in one line: digit codes, upper-case codes, then lower-case ones."""
    tokens = [(m.start(), m.end()) for m in _TOKEN_RE.finditer(masked)]
    found: list[Found] = []
    index = 0
    while index < len(tokens):
        # A run: tokens joined by single separator characters.
        run = [tokens[index]]
        while index + 1 < len(tokens):
            gap_start, next_start = run[-1][1], tokens[index + 1][0]
            if next_start != gap_start + 1 or masked[gap_start] not in _GROUP_SEPARATORS:
                break
            index += 1
            run.append(tokens[index])
        index += 1
        found.extend(_digit_codes(masked, run))
        found.extend(_alnum_codes(masked, run))
    found.extend(_lower_codes(masked))
    return found


def _digit_codes(masked: str, run: list[tuple[int, int]]) -> list[Found]:
    """Digit codes in a run: each stretch of digit groups that no letter group is dashed to."""
    found: list[Found] = []
    position = 0
    while position < len(run):
        if not masked[run[position][0] : run[position][1]].isdigit():
            position += 1
            continue
        first = position
        while (
            position + 1 < len(run)
            and masked[run[position + 1][0] : run[position + 1][1]].isdigit()
        ):
            position += 1
        last = position
        position += 1
        # Joined to a letter group by a dash, the digits are part of an identifier ("NW-2291847").
        if first > 0 and masked[run[first][0] - 1] == "-":
            continue
        if last + 1 < len(run) and masked[run[last][1]] == "-":
            continue
        found.extend(_digit_pieces(masked, run[first : last + 1]))
    return found


def _digit_pieces(masked: str, tokens: list[tuple[int, int]]) -> list[Found]:
    """Codes in a run of digit groups, split at table cells unless each cell is one digit."""
    groups = [masked[start:end] for start, end in tokens]
    separators = [masked[end] for _, end in tokens[:-1]]
    pieces = [(0, len(tokens))]
    if "\t" in separators and not all(len(group) == 1 for group in groups):
        cuts = [0] + [at + 1 for at, sep in enumerate(separators) if sep == "\t"] + [len(tokens)]
        pieces = list(pairwise(cuts))
    found: list[Found] = []
    for first, stop in pieces:
        joined = "".join(groups[first:stop])
        if 4 <= len(joined) <= 8 and _digit_group_shape_ok(
            groups[first:stop], separators[first : stop - 1]
        ):
            found.append(Found(joined, tokens[first][0], tokens[stop - 1][1]))
    return found


def _alnum_codes(masked: str, run: list[tuple[int, int]]) -> list[Found]:
    """Letter-and-digit codes in a run: one group ("X3F9K2") or up to three joined by dashes."""
    found: list[Found] = []
    position = 0
    while position < len(run):
        first = position
        while position + 1 < len(run) and masked[run[position][1]] == "-":
            position += 1
        last = position
        position += 1
        groups = [masked[start:end] for start, end in run[first : last + 1]]
        joined = "".join(groups)
        if joined.isdigit() or joined.isalpha():
            continue
        if len(groups) > 3 or (len(groups) > 1 and min(map(len, groups)) < 2):
            continue
        if 4 <= len(joined) <= 10:
            found.append(Found(joined, run[first][0], run[last][1]))
    return found


def _lower_codes(masked: str) -> list[Found]:
    """Letter-and-digit codes holding a lower-case letter: "k7q2m9", "aB3dE9", "7c2b-9e4f"."""
    found: list[Found] = []
    for match in _MIXED_RE.finditer(masked):
        joined = match.group().replace("-", "")
        # Without a lower-case letter it is a digit or upper-case code, found above; without
        # a letter at all, a number.
        if not 4 <= len(joined) <= 10 or joined.isupper() or joined.isdigit():
            continue
        found.append(Found(joined, match.start(), match.end(), needs_mark=True))
    return found


def word_and_number(code: str) -> bool:
    """Whether letters and digits turn into each other only once: "user42", "10min", "h264".

    Such a string is a name, a unit or a version in prose; a random code switches between
    letters and digits more often ("k7q2m9", "x4b8np").
    """
    return len(_LETTER_DIGIT_TURN_RE.findall(code)) < 2


def shape_factors(code: str) -> list[Factor]:
    """How code-like a string is by itself: six digits most, and years and promo words less."""
    if code.isdigit():
        weight = {4: 0.5, 5: 0.7, 6: 1.0, 7: 0.8, 8: 0.8}[len(code)]
        factors = [Factor("shape", f"{len(code)} digits", weight)]
        # A four-digit year is far more often a date than a PIN.
        if len(code) == 4 and _YEAR_RE.fullmatch(code):
            factors.append(Factor("year", "looks like a year", -2.5))
        return factors
    weight = 1.0 if 5 <= len(code) <= 8 else 0.7
    factors = [Factor("shape", f"{len(code)} letters and digits", weight)]
    if _PROMO_SHAPE_RE.fullmatch(code):
        factors.append(Factor("promo", "reads like a promo word with a number", -2.5))
    return factors
