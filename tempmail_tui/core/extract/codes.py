"""Verification codes in a mail, found by scoring, or by the user's per-sender rules.

A code is a number or letter/digit group of the right shape (``shapes``), near a code
keyword (``keywords``, in the common languages of sign-up mail), raised when it stands out
(alone on a line, bold, large or letter-spaced, in the subject) and vetoed by what it sits
next to (currency, dates, times, phone and order numbers, postal codes, promo codes).

Each candidate keeps the factors its score is the sum of, or why it was turned down, so the
choice and its explanation (``explain``) are read from the same record and cannot disagree.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from tempmail_tui.core.extract.document import WORD_RE, Line, analysed, clean, mask
from tempmail_tui.core.extract.keywords import (
    KEYWORD_RE,
    LABEL_RE,
    NOT_A_CODE_RE,
    OTHER_CODES,
    PROMO_LINE_RE,
    VOID_RE,
)
from tempmail_tui.core.extract.rules import CodeRule, sender_text
from tempmail_tui.core.extract.shapes import (
    Factor,
    Found,
    adjacent_problem,
    candidates_in,
    shape_factors,
    word_and_number,
)
from tempmail_tui.core.html.text import SPACES_RE, Document

__all__ = [
    "CODE_THRESHOLD",
    "CodeCandidate",
    "CodeChoice",
    "Factor",
    "best_code",
    "choose_code",
    "find_codes",
]

# best_code answers only above this score: a keyword right next to a well-shaped code scores
# about 4-7, a number that merely shares a line with a keyword scores below 3.
CODE_THRESHOLD = 3.0
MAX_CODES = 20
# How many candidates a choice keeps for its explanation, turned-down ones included.
MAX_KEPT = 50
# Work limits for hostile mail: a real one has a handful of code words and code-shaped strings,
# and its code sits near the top; these keep a mail made of nothing else from costing seconds.
MAX_KEYWORDS_PER_LINE = 100
MAX_EXAMINED_CANDIDATES = 2000
_CONTEXT_CHARS = 90
# A code with lower-case letters counts only when a code word marks it: this close before or
# after it ("Your code: k7q2m9", "código de acceso es: m5n7bx", "k7q2m9 is your Acme code"),
# or on the line just above it when it stands alone.  Prose has lower-case words with digits
# everywhere; right beside a code word they are rare.
_MARK_GAP = 24
# The last word character of a line.  Each attempt only looks across the non-word run after
# one word character, so the whole search is one pass.
_LAST_WORD_RE = re.compile(r"\w(?=\W*+$)")


@dataclass(frozen=True)
class CodeCandidate:
    """A string that looks like a one-time code: its score, the line it came from and why.

    ``score`` is the sum of ``factors`` (what raised or lowered it); a candidate turned down
    outright has ``rejected`` set to the reason and a score of 0.
    """

    code: str
    score: float
    context: str
    factors: tuple[Factor, ...] = ()
    rejected: str | None = None


@dataclass(frozen=True)
class CodeChoice:
    """The code of a mail and how it was chosen, for ``best_code`` and ``--explain`` alike."""

    code: str | None
    # The candidate the code is (a rule's find has no score), None when there is no code.
    chosen: CodeCandidate | None
    # What the heuristics looked at: scored candidates best first, then those turned down.
    candidates: tuple[CodeCandidate, ...]
    # The rule that picked the code, if one did.
    rule: CodeRule | None = None
    # Rules for this sender whose pattern found nothing (the heuristics chose instead).
    empty_rules: tuple[CodeRule, ...] = field(default=())


def _keywords(line: Line) -> tuple[list[int], list[int]]:
    """Starts and ends of the code words of a line, not those naming postal or promo codes."""
    if line.keyword_starts is not None:
        return line.keyword_starts, line.keyword_ends
    text = line.masked
    starts: list[int] = []
    ends: list[int] = []
    if PROMO_LINE_RE.search(text) is None:
        for match in KEYWORD_RE.finditer(text):
            prefix = match.group(1)
            if prefix and prefix.lower() in OTHER_CODES:
                continue
            # Phrases such as "code postal" or "reservation code" are short: look for one only
            # around the keyword, which keeps a long line to one pass.
            low, high = max(0, match.start() - 24), match.end() + 32
            if any(
                other.start() < match.end() and other.end() > match.start()
                for other in NOT_A_CODE_RE.finditer(text, low, high)
            ):
                continue
            starts.append(match.start())
            ends.append(match.end())
            if len(starts) >= MAX_KEYWORDS_PER_LINE:
                break
    line.keyword_starts, line.keyword_ends = starts, ends
    return starts, ends


def _has_keyword(line: Line) -> bool:
    return bool(_keywords(line)[0])


def _near_promo(lines: list[Line], index: int) -> bool:
    """Whether discount language sits within two lines of a line."""
    for near in lines[max(0, index - 2) : index + 3]:
        if near.promo is None:
            near.promo = PROMO_LINE_RE.search(near.masked) is not None
        if near.promo:
            return True
    return False


@dataclass
class _Evidence:
    """How strongly code words vouch for a candidate, in words, and whether they mark it."""

    weight: float = 0.0
    why: str = ""
    marked: bool = False

    def offer(self, weight: float, why: str) -> None:
        if weight > self.weight:
            self.weight, self.why = weight, why


def _same_line_evidence(line: Line, found: Found) -> _Evidence:
    """How strongly a code word on the candidate's own line vouches for it (0 when none)."""
    evidence = _Evidence()
    starts, ends = _keywords(line)
    if not starts:
        return evidence
    before = bisect_right(ends, found.start) - 1
    if before >= 0:
        gap = found.start - ends[before]
        if gap <= 40 and LABEL_RE.search(line.masked, ends[before], found.start) is None:
            evidence.offer(4.0 - 2.0 * gap / 40, "a code word just before it")
            evidence.marked = gap <= _MARK_GAP
    after = bisect_right(starts, found.end - 1)
    if after < len(starts):
        gap = starts[after] - found.end
        if 0 <= gap <= 30:
            evidence.offer(3.0 - gap / 30, "a code word just after it")
            evidence.marked = evidence.marked or gap <= _MARK_GAP
    return evidence


def _label(line: Line, found: Found) -> str | None:
    """The identifier label just before the candidate, after any code word, or None."""
    window_start = max(0, found.start - 30)
    ends = _keywords(line)[1]
    before = bisect_right(ends, found.start) - 1
    if before >= 0:
        window_start = max(window_start, ends[before])
    match = LABEL_RE.search(line.masked, window_start, found.start)
    return match.group() if match else None


def _alone(line: Line, found: Found) -> bool:
    """Whether the candidate is the only thing on its line but punctuation."""
    if line.word_span is None:
        first = WORD_RE.search(line.masked)
        last = _LAST_WORD_RE.search(line.masked)
        line.word_span = (first.start() if first else 0, last.start() if last else 0)
    return line.word_span[0] >= found.start and line.word_span[1] < found.end


def _context(text: str, start: int, end: int) -> str:
    """The line around a candidate, white space collapsed, cut to a short window."""
    half = max(10, (_CONTEXT_CHARS - (end - start)) // 2)
    left = max(0, start - half)
    right = min(len(text), max(end, left + _CONTEXT_CHARS))
    window = SPACES_RE.sub(" ", text[left:right]).strip()
    return ("…" if left else "") + window + ("…" if right < len(text) else "")


@dataclass
class _Scored:
    """A judged candidate and where it was met (the subject counts as before the body)."""

    code: str
    factors: list[Factor]
    context: str
    order: int
    rejected: str | None

    @property
    def score(self) -> float:
        return sum(f.weight for f in self.factors) if self.rejected is None else 0.0


def _neighbour_evidence(lines: list[Line], index: int, found: Found, evidence: _Evidence) -> None:
    """Add what code words on the lines around a short line say of its candidate."""
    line = lines[index]
    alone = _alone(line, found)
    if not (alone or len(line.masked) <= len(found.code) + 24):
        return
    # A code on its own line is introduced by the line before ("Your code is:") or, less
    # often, explained by the line after ("This code expires in 10 minutes").
    for back, weight in ((1, 3.0 if alone else 2.0), (2, 2.0 if alone else 0.0)):
        if index - back >= 0 and weight and _has_keyword(lines[index - back]):
            where = "the line before" if back == 1 else "two lines before"
            evidence.offer(weight, f"a code word on {where}")
            evidence.marked = evidence.marked or (alone and back == 1)
            break
    if alone and index + 1 < len(lines) and _has_keyword(lines[index + 1]):
        evidence.offer(1.5, "a code word on the line after")


def _judge(
    lines: list[Line], index: int, found: Found, *, in_subject: bool, prominent: bool
) -> tuple[list[Factor], str | None]:
    """The factors of a candidate's score, or why it is not a code."""
    line = lines[index]
    problem = adjacent_problem(line.masked, found.start, found.end)
    if problem is not None:
        return [], problem
    label = _label(line, found)
    if label is not None:
        return [], f"labelled {label.strip()!r}: an identifier, not a code"
    if found.needs_mark and word_and_number(found.code):
        return [], "a word and a number (like user42, 10min or sha256), not a random code"
    evidence = _same_line_evidence(line, found)
    if not in_subject:
        _neighbour_evidence(lines, index, found, evidence)
    if evidence.weight <= 0:
        if PROMO_LINE_RE.search(line.masked) is not None:
            return [], "on a line about a discount, where code words name promo codes"
        return [], "no code word near it"
    if found.needs_mark and not evidence.marked:
        return [], "lower-case letters with no code word right beside it"
    factors = [*shape_factors(found.code), Factor("evidence", evidence.why, evidence.weight)]
    if VOID_RE.search(line.masked, max(0, found.start - 40), found.start) is not None:
        factors.append(Factor("void", "called an earlier code", -2.0))
    if in_subject:
        # A code put in the subject is meant to be seen without opening the mail.
        factors.append(Factor("subject", "in the subject", 1.5))
        return factors, None
    if _alone(line, found):
        factors.append(Factor("alone", "alone on its line", 1.0))
    if prominent:
        factors.append(Factor("prominent", "bold, large or spaced out", 1.5))
    if _near_promo(lines, index):
        factors.append(Factor("promo", "discount wording nearby", -1.5))
    return factors, None


def _score_line(
    lines: list[Line], index: int, doc: Document, starts: list[int], limit: int
) -> tuple[list[_Scored], int]:
    """The judged candidates of one line, and how many candidates were looked at."""
    line = lines[index]
    scored: list[_Scored] = []
    candidates = candidates_in(line.masked)[:limit]
    for found in candidates:
        absolute = line.offset + found.start
        at = bisect_right(starts, absolute) - 1
        prominent = at >= 0 and doc.prominent[at][1] > absolute
        factors, rejected = _judge(lines, index, found, in_subject=False, prominent=prominent)
        context = _context(line.text, found.start, found.end)
        scored.append(_Scored(found.code, factors, context, absolute, rejected))
    return scored, len(candidates)


def _score_subject(subject: str) -> list[_Scored]:
    """Candidates named in the subject next to a code word ("123456 is your code")."""
    text = SPACES_RE.sub(" ", clean(subject[:2000])).strip()
    lines = [Line(text, mask(text), 0)]
    scored: list[_Scored] = []
    for found in candidates_in(lines[0].masked):
        factors, rejected = _judge(lines, 0, found, in_subject=True, prominent=False)
        context = _context(text, found.start, found.end)
        scored.append(_Scored(found.code, factors, context, -1, rejected))
    return scored


def _ranked(subject: str, doc: Document, lines: list[Line]) -> list[_Scored]:
    """Every candidate judged, each code once: scored ones best first, then those turned down."""
    starts = [start for start, _ in doc.prominent]
    results = _score_subject(subject)
    budget = MAX_EXAMINED_CANDIDATES
    for index in range(len(lines)):
        scored, examined = _score_line(lines, index, doc, starts, budget)
        results.extend(scored)
        budget -= examined
        if budget <= 0:
            break
    best: dict[str, _Scored] = {}
    for item in results:
        kept = best.get(item.code)
        if (
            kept is None
            or (kept.rejected is not None and item.rejected is None)
            or (item.rejected is None and item.score > kept.score)
        ):
            best[item.code] = item
    return sorted(
        best.values(),
        key=lambda item: (item.rejected is not None, -item.score, item.order),
    )


def _candidate(item: _Scored) -> CodeCandidate:
    return CodeCandidate(
        item.code,
        round(item.score, 2),
        item.context,
        tuple(Factor(f.kind, f.why, round(f.weight, 2)) for f in item.factors),
        item.rejected,
    )


def find_codes(subject: str, content: str, *, is_html: bool) -> list[CodeCandidate]:
    """Verification-code candidates of a mail's subject and body, best first, each code once."""
    doc, lines = analysed(content, is_html)
    ranked = [item for item in _ranked(subject, doc, lines) if item.rejected is None]
    return [_candidate(item) for item in ranked[:MAX_CODES]]


def _rule_choice(
    rules: Sequence[CodeRule], sender: str, subject: str, doc: Document
) -> tuple[CodeRule | None, CodeCandidate | None, tuple[CodeRule, ...]]:
    """The first rule for this mail whose pattern finds a code, what it found, and the empty."""
    applying = [rule for rule in rules if rule.applies(sender, subject)]
    if not applying:
        return None, None, ()
    # The subject is searched as the first line, so a rule can take a code from it too.
    text = clean(subject[:2000]).replace("\n", " ") + "\n" + doc.text
    empty: list[CodeRule] = []
    for rule in applying:
        hit = rule.find(text)
        if hit is None:
            empty.append(rule)
            continue
        left = text.rfind("\n", 0, hit.start) + 1
        right = text.find("\n", hit.end)
        line = text[left : right if right >= 0 else len(text)]
        context = _context(line, hit.start - left, hit.end - left)
        chosen = CodeCandidate(hit.code, 0.0, context, (Factor("rule", rule.name, 0.0),))
        return rule, chosen, tuple(empty)
    return None, None, tuple(empty)


def choose_code(
    subject: str,
    content: str,
    *,
    is_html: bool,
    sender: tuple[str, str] = ("", ""),
    rules: Sequence[CodeRule] = (),
) -> CodeChoice:
    """The code of a mail and every candidate weighed: a matching rule's find, else the best.

    ``sender`` is the message's (name, address), matched by the rules' ``from``.
    """
    doc, lines = analysed(content, is_html)
    candidates = tuple(_candidate(item) for item in _ranked(subject, doc, lines)[:MAX_KEPT])
    rule, found, empty = _rule_choice(rules, sender_text(*sender), subject, doc)
    if rule is not None and found is not None:
        return CodeChoice(found.code, found, candidates, rule, empty)
    top = candidates[0] if candidates and candidates[0].rejected is None else None
    if top is not None and top.score >= CODE_THRESHOLD:
        return CodeChoice(top.code, top, candidates, None, empty)
    return CodeChoice(None, None, candidates, None, empty)


def best_code(
    subject: str,
    content: str,
    *,
    is_html: bool,
    sender: tuple[str, str] = ("", ""),
    rules: Sequence[CodeRule] = (),
) -> str | None:
    """The most likely verification code of a mail, or None when nothing looks like one."""
    return choose_code(subject, content, is_html=is_html, sender=sender, rules=rules).code
