"""Tests for verification-code and action-link extraction, over a corpus of realistic mail."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tempmail_tui.core.extract import (
    CodeCandidate,
    Link,
    best_code,
    best_link,
    find_codes,
    find_links,
    ranked_links,
)

CORPUS_DIR = Path(__file__).parent / "corpus"
REQUIRED_SCORE = 0.95
# Codes are what a script types into a form: every wrong or missing one is a failed sign-up.
REQUIRED_CODE_SCORE = 1.0


@dataclass(frozen=True)
class CorpusMail:
    """One fixture mail and what a reader would want out of it."""

    name: str
    subject: str
    is_html: bool
    content: str
    expected_code: str | None
    expected_link: str | None


def load_corpus() -> list[CorpusMail]:
    """Every mail of ``tests/corpus``, sorted by file name."""
    mails = []
    for path in sorted(CORPUS_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        mails.append(
            CorpusMail(
                name=path.stem,
                subject=data["subject"],
                is_html=data["is_html"],
                content=data["content"],
                expected_code=data["expected_code"],
                expected_link=data["expected_link"],
            )
        )
    return mails


CORPUS = load_corpus()


@dataclass(frozen=True)
class Score:
    """Precision and recall of one extractor over the corpus, with the mails it got wrong."""

    precision: float
    recall: float
    returned: int
    right: int
    expected: int
    found: int
    misses: list[str]


def score(results: list[tuple[CorpusMail, str | None, str | None]]) -> Score:
    """Precision: of the answers given, how many are exactly right; recall: of the answers
    wanted, how many were given exactly."""
    returned = [(mail, got, want) for mail, got, want in results if got is not None]
    wanted = [(mail, got, want) for mail, got, want in results if want is not None]
    right = sum(got == want for _, got, want in returned)
    found = sum(got == want for _, got, want in wanted)
    misses = [
        f"{mail.name}: got {got!r}, expected {want!r}" for mail, got, want in results if got != want
    ]
    return Score(
        precision=right / len(returned) if returned else 1.0,
        recall=found / len(wanted) if wanted else 1.0,
        returned=len(returned),
        right=right,
        expected=len(wanted),
        found=found,
        misses=misses,
    )


def report(kind: str, result: Score) -> str:
    """A one-paragraph report, printed so that ``pytest -s`` and failure summaries show it."""
    lines = [
        f"{kind}: precision {result.precision:.3f} ({result.right}/{result.returned} returned "
        f"were right), recall {result.recall:.3f} ({result.found}/{result.expected} expected "
        f"were found) over {len(CORPUS)} mails"
    ]
    lines += [f"  wrong: {miss}" for miss in result.misses]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------


def test_corpus_has_what_the_evaluation_needs() -> None:
    """The corpus is big and varied enough for precision and recall to mean something."""
    assert len(CORPUS) >= 40
    assert sum(mail.expected_code is None for mail in CORPUS) >= 15
    assert sum(mail.expected_code is not None for mail in CORPUS) >= 15
    assert sum(mail.expected_link is not None for mail in CORPUS) >= 10
    assert sum(mail.is_html for mail in CORPUS) >= 15
    assert sum(not mail.is_html for mail in CORPUS) >= 15
    languages = {mail.name.split("_", 1)[0] for mail in CORPUS}
    assert {"en", "de", "fr", "es", "pt", "ru"} <= languages
    assert languages & {"ja", "zh"}
    # Codes shown split ("739 204", "7194-2285") and codes found only in the subject.
    assert any(m.expected_code and m.expected_code not in m.content for m in CORPUS)
    assert any(
        m.expected_code and m.expected_code in m.subject and m.expected_code not in m.content
        for m in CORPUS
    )
    # Alphanumeric codes, not only digits; lower-case and mixed-case ones too.
    assert any(m.expected_code and not m.expected_code.isdigit() for m in CORPUS)
    assert (
        sum(
            bool(
                m.expected_code
                and m.expected_code.lower() == m.expected_code
                and not m.expected_code.isdigit()
            )
            for m in CORPUS
        )
        >= 8
    )
    assert any(
        m.expected_code
        and not m.expected_code.isupper()
        and m.expected_code.lower() != m.expected_code
        for m in CORPUS
    )
    # Look-alikes: mails without a code holding lower-case letter-and-digit strings.
    lookalikes = [
        m
        for m in CORPUS
        if m.expected_code is None
        and re.search(r"\b(?=[a-z]*[0-9])(?=[0-9]*[a-z])[a-z0-9]{5,}\b", m.content)
    ]
    assert len(lookalikes) >= 10


def test_best_code_precision_and_recall_over_the_corpus() -> None:
    """best_code returns the expected code, and nothing for mails without one."""
    results = [
        (mail, best_code(mail.subject, mail.content, is_html=mail.is_html), mail.expected_code)
        for mail in CORPUS
    ]
    result = score(results)
    print(report("best_code", result))
    assert result.precision >= REQUIRED_CODE_SCORE, report("best_code", result)
    assert result.recall >= REQUIRED_CODE_SCORE, report("best_code", result)


def test_best_link_precision_and_recall_over_the_corpus() -> None:
    """best_link returns the action link, and nothing for mails with no action."""
    results = [
        (mail, best_link(mail.subject, mail.content, is_html=mail.is_html), mail.expected_link)
        for mail in CORPUS
    ]
    result = score(results)
    print(report("best_link", result))
    assert result.precision >= REQUIRED_SCORE, report("best_link", result)
    assert result.recall >= REQUIRED_SCORE, report("best_link", result)


def test_every_expected_link_is_among_the_mails_links() -> None:
    """An expected link is one of the links find_links lists, exactly as written."""
    for mail in CORPUS:
        if mail.expected_link is not None:
            urls = [link.url for link in find_links(mail.content, is_html=mail.is_html)]
            assert mail.expected_link in urls, mail.name


# --------------------------------------------------------------------------------------
# Codes
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shown", "code"),
    [
        ("123456", "123456"),
        ("123 456", "123456"),
        ("123-456", "123456"),
        ("1 2 3 4 5 6", "123456"),
        ("12 34 56", "123456"),
        ("4417 9023", "44179023"),
        ("402\u00a0187", "402187"),
        ("A7K-9QX", "A7K9QX"),
        ("X3F9K2", "X3F9K2"),
    ],
)
def test_codes_split_by_spaces_or_dashes_are_joined(shown: str, code: str) -> None:
    """However the sender groups a code, the result is the code to type."""
    assert best_code("", f"Your verification code is {shown}.", is_html=False) == code
    html = f"<p>Your verification code:</p><p><strong>{shown}</strong></p>"
    assert best_code("", html, is_html=True) == code


@pytest.mark.parametrize(
    "number",
    [
        "2026-06-28",
        "28.06.2026",
        "06/28/2026",
        "2026",
        "10:57",
        "€12.99",
        "$1,299",
        "1.299,00 €",
        "49.00 USD",
        "15%",
        "+1 415 555 0134",
        "(030) 1234567",
        "#4821",
        "order 582913",
        "invoice 582913",
        "Bestellnummer 582913",
        "ref 582913",
        "v2.14.3",
        "1234567890",
        "192.168.100.200",
    ],
)
def test_numbers_that_are_not_codes(number: str) -> None:
    """Dates, times, prices, phones, order numbers and long runs are never the code."""
    text = f"The verification code applies to {number} only."
    assert best_code("", text, is_html=False) is None, number
    # The same sentence with a code in it: the test can tell a code from a non-code.
    assert best_code("", f"Your verification code is 583921 ({number}).", is_html=False) == "583921"


def test_no_code_in_a_receipt_full_of_numbers() -> None:
    """A receipt with order numbers, prices, dates and phones yields no code."""
    receipt = """Thank you for your order!

Order #112-4567890-1234567 placed on 28.06.2026 at 10:57
Invoice number: INV-2026-004512
  2 x USB-C cable        €12.99
  1 x Power bank         €89.00
Total: €114.98 (incl. 19% VAT)
Card ending 4242 · Customer no. 10045873
Questions? Call +49 30 1234567 or (030) 1234567.
Musterfirma GmbH · Friedrichstraße 123 · 10117 Berlin · HRB 123456 B
"""
    assert best_code("Your order confirmation", receipt, is_html=False) is None
    assert find_codes("Your order confirmation", receipt, is_html=False) == []


def test_no_keyword_no_code() -> None:
    """A number alone on a line is not a code when nothing in the mail speaks of a code."""
    assert best_code("Newsletter", "Our members:\n\n482913\n\nThanks!", is_html=False) is None
    assert best_code("Your code", "Use this:\n\n482913\n\nThanks!", is_html=False) is None
    assert best_code("", "Your code:\n\n482913\n\nThanks!", is_html=False) == "482913"


def test_promo_codes_postal_codes_and_hex_colours_are_not_codes() -> None:
    """Discount codes, postal codes and CSS colours are not verification codes."""
    assert best_code("", "Use code SUMMER25 for 20% off at checkout!", is_html=False) is None
    assert best_code("", "Code postal : 75011 Paris", is_html=False) is None
    html = (
        '<html><head><style>.x{color:#123456}</style></head><body style="color:#654321">'
        '<p style="background:#AABB12">Your code is ready.</p></body></html>'
    )
    assert best_code("", html, is_html=True) is None


def test_code_only_in_the_subject() -> None:
    """A code named in the subject is found when the body only refers to it."""
    body = "<p>Enter the code from the subject line to confirm it's you.</p>"
    assert best_code("804215 is your Pictogram code", body, is_html=True) == "804215"


def test_prominent_code_ranks_above_a_plain_one() -> None:
    """Of two candidates near a code word, the large, bold one alone on its line wins."""
    html = (
        "<p>Your security code is below. Your previous code 771209 no longer works.</p>"
        '<div style="font-size:32px;letter-spacing:6px">508336</div>'
    )
    candidates = find_codes("", html, is_html=True)
    assert [c.code for c in candidates[:2]] == ["508336", "771209"]
    assert candidates[0].score > candidates[1].score


def test_find_codes_deduplicates_and_keeps_the_line() -> None:
    """The same code in subject and body is listed once, with a short cleaned context."""
    html = "<p>Hello,</p><p>Your login code:   <b>4RK9T</b></p><p>Thanks</p>"
    candidates = find_codes("Your login code: 4RK9T", html, is_html=True)
    assert [c.code for c in candidates] == ["4RK9T"]
    assert isinstance(candidates[0], CodeCandidate)
    assert "4RK9T" in candidates[0].context
    assert len(candidates[0].context) <= 100


def test_non_latin_keywords() -> None:
    """Code words in other scripts and languages introduce codes."""
    assert best_code("", "您的验证码是739204，请在10分钟内完成验证。", is_html=False) == "739204"
    assert best_code("", "認証コード：４８２０３１", is_html=False) == "482031"
    assert best_code("", "Ваш код подтверждения: 3917", is_html=False) == "3917"
    assert best_code("", "인증번호 [582910]을 입력해 주세요.", is_html=False) == "582910"
    assert best_code("", "Doğrulama kodunuz: 708 215", is_html=False) == "708215"


def test_context_has_no_terminal_controls() -> None:
    """Contexts are shown to the reader: escape sequences and bidi overrides are removed."""
    text = "Your code: 123456 \x1b]52;c;ZXZpbA==\x07 \u202eevil \x9b2J"
    (candidate,) = find_codes("", text, is_html=False)
    assert candidate.code == "123456"
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in candidate.context)
    assert "\u202e" not in candidate.context


# --------------------------------------------------------------------------------------
# Links
# --------------------------------------------------------------------------------------


def test_links_in_document_order_with_indexes_and_dedup() -> None:
    """Links come in document order, each URL once, numbered from 1."""
    html = """
    <p><a href="https://example.com/a">First</a> and https://example.com/b in text.</p>
    <p><a href="https://example.com/a">First again</a>
       <a href="https://example.com/a/">Not the same string</a></p>
    <p>Bare: https://example.com/c, and again https://example.com/b.</p>
    """
    links = find_links(html, is_html=True)
    assert [link.url for link in links] == [
        "https://example.com/a",
        "https://example.com/b",
        "https://example.com/a/",
        "https://example.com/c",
    ]
    assert [link.index for link in links] == [1, 2, 3, 4]
    assert links[0].text == "First"
    assert all(isinstance(link, Link) for link in links)


def test_only_absolute_http_links_are_kept() -> None:
    """mailto, javascript, data, tel, relative and scheme-less links are dropped."""
    html = """
    <a href="mailto:help@example.com">Mail us</a>
    <a href="javascript:alert(1)">Click</a>
    <a href="JavaScript:void(0)">Click</a>
    <a href="data:text/html;base64,PHNjcmlwdD4=">Data</a>
    <a href="tel:+14155550134">Call</a>
    <a href="/account/verify?t=1">Relative</a>
    <a href="//example.com/x">Scheme-relative</a>
    <a href="https://">No host</a>
    <a href="https://exa\u202emple.com/">Bidi</a>
    <a href="  https://example.com/ok  ">Kept</a>
    <a href="HTTP://EXAMPLE.COM/UPPER">Upper</a>
    """
    urls = [link.url for link in find_links(html, is_html=True)]
    assert urls == ["https://example.com/ok", "HTTP://EXAMPLE.COM/UPPER"]


def test_hrefs_are_entity_unescaped() -> None:
    """``&amp;`` and other entities in hrefs are unescaped; text URLs too."""
    html = (
        '<a href="https://example.com/verify?a=1&amp;b=2&#38;c=3">Verify</a>'
        "<p>https://example.com/x?y=1&amp;z=2</p>"
    )
    urls = [link.url for link in find_links(html, is_html=True)]
    assert urls == ["https://example.com/verify?a=1&b=2&c=3", "https://example.com/x?y=1&z=2"]


def test_trailing_punctuation_is_stripped_from_bare_urls() -> None:
    """Sentence punctuation after a bare URL is not part of it; balanced parentheses are."""
    text = (
        "See https://example.com/a). Or https://example.com/b, https://example.com/c; "
        "<https://example.com/d>. Wiki https://en.example.org/wiki/Foo_(bar) and "
        "(https://example.com/e)."
    )
    urls = [link.url for link in find_links(text, is_html=False)]
    assert urls == [
        "https://example.com/a",
        "https://example.com/b",
        "https://example.com/c",
        "https://example.com/d",
        "https://en.example.org/wiki/Foo_(bar)",
        "https://example.com/e",
    ]


def test_action_links_rank_first_and_footer_links_last() -> None:
    """Verify links lead; unsubscribe, privacy, social and pixel links trail."""
    html = """
    <p><a href="https://shop.example.com/"><img src="logo.png" alt=""></a></p>
    <p><a href="https://shop.example.com/blog/summer">Read our blog</a></p>
    <p><a href="https://t.example.net/c/8812">Confirm my email</a></p>
    <p><a href="https://shop.example.com/account/reset-password?t=abc">Choose a new password</a></p>
    <p><a href="https://shop.example.com/unsubscribe?u=1">Unsubscribe</a>
       <a href="https://www.facebook.com/shop">Facebook</a>
       <a href="https://shop.example.com/privacy">Privacy</a>
       <a href="https://t.example.net/o/1"><img src="x.gif" width="1" height="1"></a></p>
    """
    ranked = [link.url for link in ranked_links(html, is_html=True)]
    assert set(ranked[:2]) == {
        "https://t.example.net/c/8812",
        "https://shop.example.com/account/reset-password?t=abc",
    }
    assert set(ranked[-4:]) == {
        "https://shop.example.com/unsubscribe?u=1",
        "https://www.facebook.com/shop",
        "https://shop.example.com/privacy",
        "https://t.example.net/o/1",
    }
    # The ranking does not change the numbering of find_links.
    by_url = {link.url: link.index for link in find_links(html, is_html=True)}
    assert by_url["https://t.example.net/c/8812"] == 3


def test_best_link_keeps_tracking_redirects_as_they_are() -> None:
    """A tracking redirect is returned as written, found by its anchor text."""
    html = (
        '<a href="https://u123.ct.sendgrid.example/ls/click?upn=abc-3D">Verify Email</a>'
        '<a href="https://u123.ct.sendgrid.example/ls/click?upn=def-3D">Help</a>'
    )
    assert (
        best_link("", html, is_html=True) == "https://u123.ct.sendgrid.example/ls/click?upn=abc-3D"
    )


def test_best_link_is_none_without_an_action() -> None:
    """A newsletter's links are not actions; an escape hatch is not the action either."""
    html = """
    <p><a href="https://shop.example.com/sale">Shop the sale</a></p>
    <p><a href="https://shop.example.com/unsubscribe">Unsubscribe</a></p>
    """
    assert best_link("Summer sale", html, is_html=True) is None
    hatch = (
        "<p>Your code is 123456.</p><p>If this wasn't you, "
        '<a href="https://example.com/account/password/change">change your password</a>.</p>'
    )
    assert best_link("Your code", hatch, is_html=True) is None
    assert best_link("", "no links at all", is_html=False) is None


def test_plain_text_magic_link() -> None:
    """A bare sign-in link in plain text is the best link."""
    text = "Click to sign in:\n\nhttps://app.example.com/login/magic?token=abc123.\n\nThanks"
    assert (
        best_link("Sign in", text, is_html=False)
        == "https://app.example.com/login/magic?token=abc123"
    )


# --------------------------------------------------------------------------------------
# Size and hostile input
# --------------------------------------------------------------------------------------

HOSTILE_PARTS = [
    "<a" * 60_000,
    "</" * 60_000,
    "<!" * 60_000,
    "<?" * 60_000,
    "<a href='x" * 20_000,
    "<b>" * 40_000 + "</i>" * 30_000,
    "<div>" * 30_000,
    "1 " * 60_000,
    "code 1234567890 " * 10_000,
    "https://" * 20_000,
    "a@" * 60_000,
    "verif" + "a" * 100_000,
    "A1-" * 40_000,
    "\t1" * 60_000,
    "&#" * 60_000,
    "<style>" + "{" * 100_000 + "</style>",
    '<a href="https://example.com/verify?t=1">Verify</a>' * 2_000,
    "<!--" * 30_000,
]


@pytest.mark.timeout(90)
@pytest.mark.parametrize("is_html", [True, False])
def test_large_hostile_input_does_not_blow_up(is_html: bool) -> None:
    """About 1.5 MB of constructs that make naive parsers and patterns quadratic."""
    hostile = "".join(HOSTILE_PARTS)
    content = "<p>Your verification code is <b>583921</b></p>\n" + hostile
    assert len(content) > 1_400_000
    assert best_code("", content, is_html=is_html) == "583921"
    links = find_links(content, is_html=is_html)
    assert [link.index for link in links] == list(range(1, len(links) + 1))
    assert len({link.url for link in links}) == len(links)
    ranked_links(content, is_html=is_html)
    best_link("Verify", content, is_html=is_html)


@pytest.mark.timeout(90)
def test_a_three_megabyte_mail_is_handled() -> None:
    """A real mail padded to 3 MB still gives its code and its link."""
    mail = next(m for m in CORPUS if m.name == "en_confirm_email_code_and_link_html")
    padding = next(m for m in CORPUS if m.name == "en_newsletter_promo_html").content
    content = mail.content.replace("</body>", padding * (3_000_000 // len(padding)) + "</body>")
    assert len(content) >= 2_900_000
    assert best_code(mail.subject, content, is_html=True) == mail.expected_code
    assert best_link(mail.subject, content, is_html=True) == mail.expected_link
