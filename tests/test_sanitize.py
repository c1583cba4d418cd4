"""Tests of untrusted-text cleaning: escape sequences, controls, bidi, limits, linearity."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tempmail_tui.core.sanitize import clean_line, clean_text, coerce_text

ESC = "\x1b"

# Code points that must never survive cleaning.
FORBIDDEN = (
    {chr(c) for c in range(0x20) if chr(c) not in "\n\t"}
    | {"\x7f"}
    | {chr(c) for c in range(0x80, 0xA0)}
    | {chr(c) for c in range(0x202A, 0x202F)}
    | {chr(c) for c in range(0x2066, 0x206A)}
    | {"\u200e", "\u200f", "\u061c", "\u200b", "\u200c", "\u200d"}
    | {chr(c) for c in range(0x2060, 0x2065)}
    | {"\ufeff", "\u00ad", "\u180e", "\u2028", "\u2029"}
)


def assert_safe(text: str) -> None:
    bad = {character for character in text if character in FORBIDDEN}
    assert not bad, f"forbidden characters left: {sorted(map(hex, map(ord, bad)))}"
    assert not any(0xD800 <= ord(character) <= 0xDFFF for character in text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # OSC 52 clipboard write, BEL-terminated.
        (f"a{ESC}]52;c;ZXZpbA==\x07b", "ab"),
        # OSC 0 window title, ST-terminated (ESC \).
        (f"a{ESC}]0;owned{ESC}\\b", "ab"),
        # OSC terminated by the 8-bit ST.
        (f"a{ESC}]8;;https://evil.example\x9cb", "ab"),
        # Unterminated OSC runs to the end.
        (f"keep{ESC}]0;everything after is gone", "keep"),
        # 8-bit OSC and CSI.
        ("x\x9d0;title\x07y\x9b31mz", "xyz"),
        # CSI colour and cursor movement, with parameters and intermediates.
        (f"{ESC}[1;31mred{ESC}[0m {ESC}[2J{ESC}[H{ESC}[?1049h{ESC}[ q", "red "),
        # DCS (sixel), SOS, PM, APC, 7-bit and 8-bit.
        (f"a{ESC}Pq#0;2;0;0;0{ESC}\\b", "ab"),
        ("a\x90payload\x9cb\x98sos\x9cc\x9epm\x9cd\x9fapc\x9ce", "abcde"),
        (f"a{ESC}Xsos{ESC}\\b{ESC}^pm{ESC}\\c{ESC}_apc{ESC}\\d", "abcd"),
        # Two-character and nF escapes: reset, save cursor, charset designation.
        (f"a{ESC}cb{ESC}7c{ESC}(Bd{ESC}#8e", "abcde"),
        # A lone ESC at the end and an ESC followed by a non-ASCII letter.
        (f"a{ESC}", "a"),
        (f"a{ESC}ébc", "aébc"),
        # A truncated CSI does not leave its ESC behind.
        (f"a{ESC}[12", "a"),
    ],
)
def test_escape_sequences_are_removed_whole(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_c0_c1_and_del_are_removed_but_newline_and_tab_kept() -> None:
    raw = (
        "".join(chr(c) for c in range(0x20)) + "x\x7f" + "".join(chr(c) for c in range(0x80, 0xA0))
    )
    cleaned = clean_text(raw)
    assert cleaned == "\t\n\nx"  # TAB, LF, and CR (0x0d) turned into LF
    assert_safe(cleaned)


def test_carriage_returns_become_newlines() -> None:
    assert clean_text("one\r\ntwo\rthree\nfour") == "one\ntwo\nthree\nfour"
    assert clean_text("a\u2028b\u2029c") == "a\nb\nc"


def test_bidi_and_invisible_characters_are_removed() -> None:
    raw = (
        "in\u202evoice\u202c.\u2066pdf\u2069 \u200e\u200f\u061c"
        "z\u200bw\u200cj\u200d\u2060\u2061\u2062\u2063\u2064\ufeffsoft\u00adhy\u180en"
    )
    assert clean_text(raw) == "invoice.pdf zwjsofthyn"


def test_ordinary_unicode_is_kept() -> None:
    text = "Café naïve — “quotes” 東京 안녕 مرحبا 😀 🇫🇷 e\u0301 NBSP\u00a0here\ttab"
    assert clean_text(text) == text


def test_markup_brackets_are_kept_verbatim() -> None:
    text = "[/] [@click=app.quit]x[/] [link=https://evil.example]y[/link] [b]"
    assert clean_text(text) == text
    assert clean_line(text) == text


def test_surrogates() -> None:
    # A pair written as two code points becomes the character; a lone half becomes U+FFFD.
    assert clean_text("\ud83d\ude00") == "😀"
    assert clean_text("a\ud800b\udfffc") == "a\ufffdb\ufffdc"
    assert_safe(clean_text("\udc80\ud83d"))


def test_non_string_values() -> None:
    assert clean_text(None) == ""
    assert clean_text(b"caf\xc3\xa9 \xff\x1b[31m") == "café \ufffd"
    assert clean_text(bytearray(b"ok")) == "ok"
    assert clean_text(42) == "42"
    assert coerce_text(memoryview(b"mv")) == "mv"
    assert clean_line(None) == ""


def test_max_chars_truncates_with_a_visible_marker() -> None:
    assert clean_text("abcdef", max_chars=10) == "abcdef"
    assert clean_text("abcdef", max_chars=6) == "abcdef"
    assert clean_text("abcdefg", max_chars=6) == "abcde…"
    assert clean_text("abcdef", max_chars=1) == "…"
    assert clean_text("abcdef", max_chars=0) == ""
    # The limit counts the cleaned text, not the escape sequences.
    assert clean_text(f"{ESC}[31m" * 100 + "abc", max_chars=3) == "abc"


def test_clean_line_collapses_whitespace() -> None:
    assert clean_line("  Re:\tyour\r\n  order \u00a0 #1\n") == "Re: your order #1"
    assert clean_line("x" * 600) == "x" * 499 + "…"
    assert clean_line("x" * 600, max_chars=None) == "x" * 600
    assert clean_line(f"Subject{ESC}]0;pwned\x07 here") == "Subject here"


def test_clean_line_has_no_line_breaks_left() -> None:
    cleaned = clean_line("a\nb\rc\u2028d\u2029e\x85f\x0bg\x0ch\ti")
    # NEL, VT and FF are controls and go; only newlines and tabs turn into spaces.
    assert cleaned == "a b c d efgh i"
    assert "\n" not in cleaned and "\t" not in cleaned


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    "hostile",
    [
        f"{ESC}[" * 2_500_000,
        f"{ESC}]" * 2_500_000,
        f"{ESC}[" + "1;" * 2_500_000,
        "\x9b" * 5_000_000,
        (f"{ESC}]0;" + "a" * 10 + f"{ESC}[1;2" + "\u202e\u200b") * 250_000,
        " \t" * 2_500_000 + "end",
    ],
    ids=["csi-openers", "osc-openers", "long-params", "c1-csi", "mixed", "whitespace"],
)
def test_five_megabytes_of_hostile_input_is_linear(hostile: str) -> None:
    # A quadratic pattern would take hours here and hit the timeout.
    cleaned = clean_text(hostile)
    assert_safe(cleaned)
    assert_safe(clean_line(hostile))
    assert len(cleaned) <= len(hostile)


@given(st.text())
def test_any_text_comes_out_safe(text: str) -> None:
    cleaned = clean_text(text)
    assert_safe(cleaned)
    assert "\r" not in cleaned
    line = clean_line(text)
    assert_safe(line)
    assert "\n" not in line and "\t" not in line
    assert line == line.strip()


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp"))))
def test_text_without_controls_or_format_characters_is_unchanged(text: str) -> None:
    assert clean_text(text) == text


@given(st.text(), st.integers(min_value=1, max_value=50))
def test_truncation_respects_the_limit(text: str, limit: int) -> None:
    cleaned = clean_text(text, max_chars=limit)
    assert len(cleaned) <= limit
    full = clean_text(text)
    if len(full) > limit:
        assert cleaned.endswith("…") and full.startswith(cleaned[:-1])
    else:
        assert cleaned == full


def test_forbidden_set_matches_unicode_categories() -> None:
    # Guard the test oracle itself: every removed character is a control or format one,
    # or a line/paragraph separator.
    for character in FORBIDDEN:
        assert unicodedata.category(character) in {"Cc", "Cf", "Zl", "Zp"}, hex(ord(character))
