"""Why a code was chosen: the lines ``code --explain`` prints after the code.

Read from the same ``CodeChoice`` that ``best_code`` answers from, so the explanation can
never name another code than the one chosen.
"""

from __future__ import annotations

from tempmail_tui.core.extract.codes import CODE_THRESHOLD, CodeCandidate, CodeChoice, Factor

__all__ = ["explain"]

#: How many runners-up an explanation lists; the rest are counted.
MAX_RUNNERS_UP = 8


def _factors(candidate: CodeCandidate) -> str:
    """The score as its sum: "score 6.9 = 6 digits +1, a code word just before it +3.9"."""
    parts = ", ".join(f"{f.why} {f.weight:+g}" for f in candidate.factors)
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
    elif candidate.score == chosen.score:
        # Ties go to the code met first (the subject counts as first).
        reason = f"same score {candidate.score:g}, met later in the mail"
    else:
        reason = f"lower score {candidate.score:g} against {chosen.score:g}"
    own = {f.kind: f for f in candidate.factors}
    lacks: list[str] = []
    weaker: list[str] = []
    # Kind by kind, what the chosen code has that this one has not, or has less of.
    for better in chosen.factors if chosen is not None else ():
        mine = own.get(better.kind)
        if better.weight <= 0:
            continue
        if mine is None:
            lacks.append(better.why)
        elif mine.weight < better.weight:
            weaker.append(_against(mine, better))
    against = [f.why for f in candidate.factors if f.weight < 0]
    if lacks:
        reason += "; lacks: " + ", ".join(lacks)
    if weaker:
        reason += "; weaker: " + ", ".join(weaker)
    if against:
        reason += "; against it: " + ", ".join(against)
    return reason


def _against(own: Factor, better: Factor) -> str:
    """One factor beside the chosen code's: "a code word just before it +3.5 against +3.9"."""
    if own.why == better.why:
        return f"{own.why} {own.weight:+g} against {better.weight:+g}"
    return f"{own.why} {own.weight:+g} against {better.why} {better.weight:+g}"


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
