"""Why a code was chosen: the lines ``code --explain`` prints after the code.

Read from the same ``CodeChoice`` that ``best_code`` answers from, so the explanation can
never name another code than the one chosen.
"""

from __future__ import annotations

from tempmail_tui.core.extract.codes import CODE_THRESHOLD, CodeCandidate, CodeChoice

__all__ = ["explain"]

#: How many runners-up an explanation lists; the rest are counted.
MAX_RUNNERS_UP = 8


def _factors(candidate: CodeCandidate) -> str:
    """The score as its sum: "score 6.9 = 6 digits +1, a code word just before it +3.9"."""
    parts = ", ".join(f"{why} {weight:+g}" for why, weight in candidate.factors)
    return f"score {candidate.score:g} = {parts}"


def _why_lost(candidate: CodeCandidate, choice: CodeChoice) -> str:
    """Why a candidate is not the code, in words."""
    if candidate.rejected is not None:
        return f"turned down: {candidate.rejected}"
    chosen = choice.chosen
    if choice.rule is not None:
        return f"score {candidate.score:g}; {choice.rule.name} picked another"
    if chosen is None or candidate.score < CODE_THRESHOLD:
        reason = f"score {candidate.score:g} is below the threshold {CODE_THRESHOLD:g}"
    else:
        reason = f"lower score {candidate.score:g} against {chosen.score:g}"
    own = {why for why, _ in candidate.factors}
    # The first factor is the shape, which every candidate has in its own words.
    lacks = [why for why, weight in (chosen.factors[1:] if chosen else ()) if weight > 0]
    lacks = [why for why in lacks if why not in own]
    against = [why for why, weight in candidate.factors if weight < 0]
    if lacks:
        reason += "; lacks: " + ", ".join(lacks)
    if against:
        reason += "; against it: " + ", ".join(against)
    return reason


def explain(choice: CodeChoice) -> list[str]:
    """The lines that say how a mail's code was chosen and why each other candidate lost."""
    lines: list[str] = []
    chosen = choice.chosen
    if chosen is None:
        lines.append(f"no code: no candidate scored {CODE_THRESHOLD:g} or more")
    elif choice.rule is not None:
        lines.append(f"chosen by: {choice.rule.name} in config.toml")
    else:
        lines.append(f"chosen by: the heuristics, {_factors(chosen)}")
    if chosen is not None:
        lines.append(f"line: {chosen.context}")
    for rule in choice.empty_rules:
        lines.append(f"note: {rule.name} is for this sender but its pattern found nothing")
    others = [c for c in choice.candidates if chosen is None or c.code != chosen.code]
    for candidate in others[:MAX_RUNNERS_UP]:
        lines.append(f"runner-up {candidate.code}: {_why_lost(candidate, choice)}")
        lines.append(f"  line: {candidate.context}")
    if len(others) > MAX_RUNNERS_UP:
        lines.append(f"... and {len(others) - MAX_RUNNERS_UP} more turned down or lower")
    return lines
