"""Tests for lower-case codes, their look-alikes, and the explanation of a code's choice."""

from __future__ import annotations

import pytest

from tempmail_tui.core.extract import CodeChoice, best_code, choose_code, explain, find_codes
from tempmail_tui.core.extract.codes import CODE_THRESHOLD
from tempmail_tui.core.extract.shapes import word_and_number
from tests.test_extract import CORPUS

# --------------------------------------------------------------------------------------
# Lower-case and mixed-case codes
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Your code: k7q2m9", "k7q2m9"),
        ("Your sign-in code is x4b8np.", "x4b8np"),
        ("k7q2m9 is your login code", "k7q2m9"),
        ("Tu código de acceso es: m5n7bx", "m5n7bx"),
        ("Ваш код для входа: p4t8wz", "p4t8wz"),
        ("Your one-time passcode is Xk9pQ2 (case-sensitive).", "Xk9pQ2"),
        ("Verification code: 7c2b-9e4f", "7c2b9e4f"),
        ("Verification code\tq7x4kp", "q7x4kp"),
        ("Your verification code:\n\nq7x-4kp\n\nIt expires soon.", "q7x4kp"),
    ],
)
def test_lower_case_codes_marked_by_a_code_word(text: str, code: str) -> None:
    """A lower-case or mixed code is found right after, right before or just below a code word."""
    assert best_code("", text, is_html=False) == code


def test_lower_case_code_in_html_and_in_the_subject() -> None:
    """The mark works in an HTML table cell and in the subject, and the case is kept."""
    html = "<table><tr><td>Your code</td><td><b>aB3dE9</b></td></tr></table>"
    assert best_code("", html, is_html=True) == "aB3dE9"
    assert best_code("r2d8kq is your Acme code", "<p>Welcome back.</p>", is_html=True) == "r2d8kq"


@pytest.mark.parametrize(
    "text",
    [
        # A code word, but too far before the lower-case string: nothing marks it.
        "Your code arrives in a separate message; meanwhile your workspace is team7x4q.",
        # A code word on the same line, but a sentence away: a reviewer's handle, not a code.
        "Your code review is assigned to maintainer dk4m2x",
        # Not alone on its line, with the code word only on the line above.
        "Your verification code:\nPlease use k7q2m9 as your invite handle",
        # Alone, but the code word is two lines up.
        "Your verification code\nwill follow shortly\nk7q2m9",
    ],
)
def test_lower_case_strings_not_marked_are_not_codes(text: str) -> None:
    """Prose is full of lower-case words with digits: without a code word beside, none counts."""
    assert best_code("", text, is_html=False) is None
    # The same mark with an upper-case code shows the gate is about case, not shape.
    assert best_code("", "Your code: K7Q2M9", is_html=False) == "K7Q2M9"


@pytest.mark.parametrize(
    "word",
    ["user42", "10min", "sha256", "node20", "covid19", "h264", "win11", "maya2026", "save10"],
)
def test_a_word_and_a_number_is_not_a_code(word: str) -> None:
    """One turn from letters to digits is a name, a unit or a version, even after "code:"."""
    assert word_and_number(word)
    assert best_code("", f"Your code: {word}", is_html=False) is None
    candidates = choose_code("", f"Your code: {word}", is_html=False).candidates
    (candidate,) = [c for c in candidates if c.code == word]
    assert candidate.rejected is not None and "a word and a number" in candidate.rejected


@pytest.mark.parametrize("code", ["k7q2m9", "x4b8np", "ab12cd", "7c2b9e4f", "aB3dE9"])
def test_random_codes_turn_between_letters_and_digits(code: str) -> None:
    assert not word_and_number(code)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Your code: expires soon. Request a new one.", None),
        ("Code review: commit 3f9a2c7 is ready", "commit"),
        ("Your code build 2f4e6a1 passed", "build"),
        ("Your code signing key fingerprint 7a3c9e1f", "fingerprint"),
        ("Your access code goes to username jd8k2x", "username"),
        ("Primary colour code: e4a11b", None),
        ("Hex code for backgrounds: f7efe2", None),
        ("Tracking code: sq4k82nd9x", None),
        ("Código de pedido: mt93kx7a", None),
        ("Votre code client : cl4821ab", None),
        ("Use code hiver20 for -20 % on everything", None),
        ("Your code (valid 10min) was not used", None),
    ],
)
def test_look_alikes_after_code_words_are_not_codes(text: str, why: str | None) -> None:
    """Ordinary words, commits, builds, user names, colours, orders and promos are not codes."""
    choice = choose_code("", text, is_html=False)
    assert choice.code is None, choice
    if why is not None:
        reasons = [c.rejected or "" for c in choice.candidates]
        assert any(f"labelled {why!r}" in reason for reason in reasons), reasons


def test_a_code_beside_look_alikes_still_wins() -> None:
    """Dates, prices and a user name around a lower-case code do not hide it."""
    text = (
        "Hi anna92,\nYour login code is t6y3u8. It expires on 24 Nov 2026 at 21:00.\n"
        "Username: anna92 · Balance £82.40 · Tel. 0330 123 4567"
    )
    assert best_code("", text, is_html=False) == "t6y3u8"


def test_css_class_names_and_ids_are_not_read() -> None:
    """Generated class names and ids live in attributes, never in the text that is searched."""
    html = (
        '<div class="code x_c4f2a9" id="otp-k3m9q1"><p class="code-b7e1d2">'
        "Your code is below.</p><p><b>739104</b></p></div>"
    )
    codes = [c.code for c in find_codes("", html, is_html=True)]
    assert codes == ["739104"]


# --------------------------------------------------------------------------------------
# One choice for the answer and the explanation
# --------------------------------------------------------------------------------------


def test_every_corpus_choice_agrees_with_best_code_and_its_explanation() -> None:
    """best_code is the choice's code; the explanation names it and every other candidate."""
    for mail in CORPUS:
        choice = choose_code(mail.subject, mail.content, is_html=mail.is_html)
        assert best_code(mail.subject, mail.content, is_html=mail.is_html) == choice.code
        lines = explain(choice)
        if choice.code is None:
            assert lines[0].startswith("no code"), mail.name
            continue
        assert choice.chosen is not None and choice.chosen.code == choice.code
        assert lines[0].startswith("chosen by: the heuristics, score "), mail.name
        assert choice.chosen.score == pytest.approx(
            sum(factor.weight for factor in choice.chosen.factors), abs=0.02
        )
        assert choice.chosen.score >= CODE_THRESHOLD
        runners = [line for line in lines if line.startswith("runner-up ")]
        assert not any(line.startswith(f"runner-up {choice.code}:") for line in runners)
        # No candidate the explanation lists outranks the chosen one.
        assert all(
            c.rejected is not None or c.score <= choice.chosen.score for c in choice.candidates
        )


def test_explanation_says_why_each_runner_up_lost() -> None:
    """A lower score, the threshold and an outright veto each read as a reason."""
    text = (
        "Your backup code 771209 works once too.\n"
        "Your security code:\n"
        "508336\n"
        "Sent on 28.06.2026 from 192.168.100.200."
    )
    choice = choose_code("", text, is_html=False)
    assert choice.code == "508336"
    lines = explain(choice)
    assert lines[0] == (
        "chosen by: the heuristics, score 5 = 6 digits +1, a code word on the line before +3, "
        "alone on its line +1"
    )
    assert lines[1] == "line: 508336"
    assert "runner-up 771209: lower score 4.95 against 5; lacks: alone on its line" in lines
    assert any(
        line.startswith("runner-up 2026: turned down: joined to digits by '.'") for line in lines
    )


def test_explanation_of_a_mail_without_a_code() -> None:
    choice = choose_code("", "Your code: 2026 is the year we change everything.", is_html=False)
    assert choice == CodeChoice(None, None, choice.candidates)
    lines = explain(choice)
    assert lines[0] == f"no code: no candidate scored {CODE_THRESHOLD:g} or more"
    assert lines[1].startswith("runner-up 2026: score ") and "looks like a year" in lines[1]


def test_explanation_lines_are_one_line_each_and_clean() -> None:
    """Contexts come from cleaned text: no controls, no line breaks, bounded length."""
    text = "Your code: k7q2m9 \x1b]52;c;ZXZpbA==\x07 \u202eevil " + "x" * 500
    for line in explain(choose_code("", text, is_html=False)):
        assert "\n" not in line and "\x1b" not in line and "\u202e" not in line
        assert len(line) < 200


@pytest.mark.parametrize(
    "old",
    [
        "Your previous code 771209 no longer works.",
        "Dein vorheriger Code 771209 ist ungültig.",
        "Votre code précédent 771209 n'est plus valable.",
    ],
)
def test_a_code_called_earlier_loses_to_the_new_one(old: str) -> None:
    """A resent mail names the old code beside the new one: the new one is the code."""
    text = f"{old}\n\nYour sign-in code: k7q2m9\n\nIt expires in 15 minutes."
    choice = choose_code("", text, is_html=False)
    assert choice.code == "k7q2m9"
    (line,) = [line for line in explain(choice) if line.startswith("runner-up 771209:")]
    assert line.endswith("against it: called an earlier code")
    # Alone, a code called earlier is not worth typing.
    assert best_code("", old, is_html=False) is None


def test_explanation_compares_like_with_like() -> None:
    """A runner-up with a weaker code word is told so, with both weights, and its penalties."""
    choice = choose_code("", "Your code arrives 2026.\n\nYour code: 4821\n", is_html=False)
    assert choice.code == "4821"
    assert explain(choice)[2] == (
        "runner-up 2026: score 1.55 is below the threshold 3; weaker: a code word just before "
        "it +3.55 against +3.9; against it: looks like a year"
    )


def test_a_tie_goes_to_the_code_met_first_and_says_so() -> None:
    choice = choose_code("", "Your code: 482913\nYour code: 739204\n", is_html=False)
    assert choice.code == "482913"
    assert explain(choice)[2] == "runner-up 739204: same score 4.9, met later in the mail"
