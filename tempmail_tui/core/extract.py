"""Verification codes and action links found in a mail, so the reader can copy them in one key.

People use a throwaway mailbox to get one thing out of one message: a one-time code or a
confirmation link.  This module finds both by scoring, not by per-sender rules:

* codes: a number or letter/digit group of the right shape, near a code keyword (in the
  common languages of sign-up mail), raised when it stands out (alone on a line, bold, large
  or letter-spaced, in the subject) and vetoed by what it sits next to (currency, dates,
  times, phone and order numbers, postal codes, promo codes);
* links: absolute http(s) links in document order, ranked by action words in the URL and in
  the anchor text (verify, confirm, reset, sign in ...), with footer links (unsubscribe,
  privacy, social) and "if this wasn't you" escape hatches ranked last.

Everything here is linear in the size of the mail.  Python 3.11's ``html.parser`` is
quadratic on some malformed input (``"<a" * 150_000`` takes minutes), so HTML first goes
through a linear pre-pass that lets only complete tags through and escapes every other
``<``; every regular expression either starts with a literal or carries a look-behind that
stops it from restarting inside a run it has already scanned.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from itertools import pairwise
from urllib.parse import urlsplit

__all__ = [
    "CodeCandidate",
    "Link",
    "best_code",
    "best_link",
    "find_codes",
    "find_links",
    "ranked_links",
]

# A mail larger than this is cut: codes and action links sit at the top, and the cut keeps
# the worst case bounded in time and memory.
MAX_INPUT_CHARS = 4_000_000
# best_code answers only above this score: a keyword right next to a well-shaped code scores
# about 4-7, a number that merely shares a line with a keyword scores below 3.
CODE_THRESHOLD = 3.0
# best_link answers only above this score: one action word in the URL or anchor text is 2.5-3.
LINK_THRESHOLD = 2.5
MAX_CODES = 20
# Work limits for hostile mail: a real one has a handful of code words and code-shaped strings,
# and its code sits near the top; these keep a mail made of nothing else from costing seconds.
MAX_KEYWORDS_PER_LINE = 100
MAX_EXAMINED_CANDIDATES = 2000
MAX_LINK_OCCURRENCES = 5000
MAX_LINK_TEXT = 200
MAX_URL_CHARS = 8192
MAX_CSS_CHARS = 262_144
_CONTEXT_CHARS = 90
_LINK_CONTEXT = 150


@dataclass(frozen=True)
class CodeCandidate:
    """A string that looks like a one-time code, its score and the line it came from."""

    code: str
    score: float
    context: str


@dataclass(frozen=True)
class Link:
    """An absolute http(s) link, its anchor text, its action score and 1-based document index."""

    url: str
    text: str
    score: float
    index: int


# --------------------------------------------------------------------------------------
# Text clean-up shared by both kinds of content
# --------------------------------------------------------------------------------------

# Zero-width characters and soft hyphens: senders put them inside codes and preheaders to stop
# auto-linking or to pad previews; they carry no visible text.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u034f\u180e\u200b\u200c\u200d\u2060\u2061\ufeff"))
# Full-width digits and Latin letters (common in Japanese and Chinese mail) to ASCII, one
# character for one so that offsets stay valid.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)}
_FULLWIDTH.update({cp: cp - 0xFEE0 for cp in range(0xFF21, 0xFF3B)})
_FULLWIDTH.update({cp: cp - 0xFEE0 for cp in range(0xFF41, 0xFF5B)})
# Controls and bidi overrides: what this module returns (contexts, anchor texts) is shown to
# the reader, and a stranger's escape sequence or reordering must not reach the screen.  Line
# breaks are left for ``_NEWLINES``; the rest become spaces so that offsets stay valid.
_LINE_BREAKS = "\t\n\r\x0b\x0c\x1c\x1d\x1e\x85"
_CONTROLS = {
    cp: 0x20 for cp in [*range(0x00, 0x20), *range(0x7F, 0xA0)] if chr(cp) not in _LINE_BREAKS
}
_BIDI = dict.fromkeys(
    map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)
_TEXT_TABLE: dict[int, int | None] = {**_CONTROLS, **_INVISIBLE, **_BIDI, **_FULLWIDTH}
_NEWLINES = str.maketrans(dict.fromkeys("\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029", "\n"))
_SPACES_RE = re.compile(r"[ \t\n\r\f\v]+")

# Bare URLs: the scheme is a literal, so a failed attempt costs one character.  The body stops
# at white space, quotes, angle brackets, controls and CJK/full-width punctuation.
_URL_RE = re.compile(
    r"https?://[^\s<>\"'`{}|\\^\x00-\x1f\x7f\u3000-\u303f\uff00-\uffef]+", re.IGNORECASE
)
# Look-behind: an address starts only where a run of address characters starts, so a long
# run with no "@" is scanned once, not once per character.
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)++")
_TRAILING_PUNCTUATION = ".,;:!?>)]}'\""


def _clean(text: str) -> str:
    """Text without controls or invisible characters, full-width letters and digits as ASCII."""
    return text.translate(_TEXT_TABLE)


def _strip_url(url: str) -> str:
    """A bare URL without the sentence punctuation that follows it in running text."""
    while url and url[-1] in _TRAILING_PUNCTUATION:
        # A closing parenthesis belongs to the URL when it balances one inside it.
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _usable_url(url: str) -> bool:
    """Whether a URL is an absolute http(s) URL with a host and no control or bidi characters."""
    if not url or len(url) > MAX_URL_CHARS:
        return False
    if any(ord(ch) <= 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in url):
        return False
    if any(ord(ch) in _BIDI or ord(ch) in _INVISIBLE for ch in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


# --------------------------------------------------------------------------------------
# HTML to visible text
# --------------------------------------------------------------------------------------

# A complete tag: name, then attributes in which an unquoted "<" ends the attempt.  Possessive
# quantifiers leave nothing to backtrack into, and because an attempt stops at the next "<"
# (outside quotes), the attempts of all the "<" of a document scan disjoint stretches.
_TAG_RE = re.compile(r"</?([A-Za-z][^\s/<>]*+)(?:[^<>\"']++|\"[^\"]*+\"|'[^']*+')*+>")
# Elements whose content is never visible text and may contain "<" that is not markup.
_RAW_ELEMENTS = ("script", "style")


class _FirstFinder:
    """``str.find`` that remembers a miss, so repeated searches for an absent needle are O(1)."""

    def __init__(self, haystack: str, needle: str) -> None:
        self._haystack = haystack
        self._needle = needle
        self._found = -2  # -2: not searched yet; -1: absent from the last search point on

    def find(self, start: int) -> int:
        """The first index of the needle at or after ``start``, or -1."""
        if self._found == -1 or (self._found >= start):
            return self._found
        self._found = self._haystack.find(self._needle, start)
        return self._found


def _prepare_html(html: str) -> tuple[str, str]:
    """Markup that ``html.parser`` handles in linear time, and the text of its style sheets.

    Comments, declarations, processing instructions and scripts are dropped; style sheets
    are removed and returned apart; every ``<`` that does not open a complete tag becomes
    ``&lt;``.
    """
    lower = html.lower()
    out: list[str] = []
    css: list[str] = []
    css_size = 0
    comment_end = _FirstFinder(html, "-->")
    gt = _FirstFinder(html, ">")
    raw_end = {name: _FirstFinder(lower, f"</{name}") for name in _RAW_ELEMENTS}
    pos = 0
    size = len(html)
    while pos < size:
        lt = html.find("<", pos)
        if lt < 0:
            out.append(html[pos:])
            break
        out.append(html[pos:lt])
        if html.startswith("<!--", lt):
            end = comment_end.find(lt + 4)
            # An unterminated comment hides the rest of the document, as in a browser.
            pos = size if end < 0 else end + 3
            continue
        if html.startswith(("<!", "<?"), lt):
            end = gt.find(lt + 2)
            if end < 0:
                out.append("&lt;")
                pos = lt + 1
            else:
                pos = end + 1
            continue
        match = _TAG_RE.match(html, lt)
        if match is None:
            out.append("&lt;")
            pos = lt + 1
            continue
        name = match.group(1).lower()
        if name in _RAW_ELEMENTS and html[lt + 1] != "/":
            close = raw_end[name].find(match.end())
            body_end = size if close < 0 else close
            if name == "style" and css_size < MAX_CSS_CHARS:
                chunk = html[match.end() : min(body_end, match.end() + MAX_CSS_CHARS - css_size)]
                css.append(chunk)
                css_size += len(chunk)
            if close < 0:
                break
            end = gt.find(close)
            pos = size if end < 0 else end + 1
            continue
        out.append(match.group(0))
        pos = match.end()
    return "".join(out), "\n".join(css)


_BLOCK_TAGS = frozenset(
    (
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
        "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
        "summary", "table", "tbody", "tfoot", "thead", "tr", "ul", "html",
    )
)  # fmt: skip
_CELL_TAGS = frozenset({"td", "th"})
_VOID_TAGS = frozenset(
    (
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr",
    )
)  # fmt: skip
_HIDDEN_TAGS = frozenset({"head", "title", "script", "style", "template", "svg", "object"})
_PROMINENT_TAGS = frozenset(
    ["b", "strong", "h1", "h2", "h3", "h4", "big", "code", "kbd", "samp", "tt", "mark"]
)
# How far up the open-element stack an end tag looks for its start tag: real mail nests a few
# dozen deep, and a bound keeps a flood of unmatched end tags linear.
_STACK_SEARCH = 64

_FONT_SIZE_RE = re.compile(
    r"font-size\s*:\s*(?:([0-9]{1,4}(?:\.[0-9]{1,4})?)\s*(px|pt|em|rem|%)?|(x{0,2}-?large))",
    re.IGNORECASE,
)
_LETTER_SPACING_RE = re.compile(
    r"letter-spacing\s*:\s*([0-9]{0,4}(?:\.[0-9]{1,4})?)\s*(px|pt|em|rem)?", re.IGNORECASE
)
_FONT_WEIGHT_RE = re.compile(r"font-weight\s*:\s*(?:bold|bolder|[6-9]00)\b", re.IGNORECASE)
_CLASS_SELECTOR_RE = re.compile(r"\.([A-Za-z_][\w-]{0,100})")
_SIZE_DIMENSION_RE = re.compile(r"(?:^|[;\s])(?:width|height)\s*:\s*([0-9]{1,4})px", re.IGNORECASE)


def _style_is_prominent(style: str) -> bool:
    """Whether an inline style makes its text stand out: large, bold or letter-spaced."""
    style = style[:2000]
    for match in _FONT_SIZE_RE.finditer(style):
        if match.group(3):
            return True
        if not match.group(1):
            continue
        value = float(match.group(1))
        unit = (match.group(2) or "px").lower()
        limits = {"px": 20.0, "pt": 15.0, "em": 1.3, "rem": 1.3, "%": 130.0}
        if value >= limits[unit]:
            return True
    for match in _LETTER_SPACING_RE.finditer(style):
        text = match.group(1)
        if text and text != "." and float(text) > 0:
            return True
    return _FONT_WEIGHT_RE.search(style) is not None


def _prominent_classes(css: str) -> frozenset[str]:
    """Class names that style sheet rules make large, bold or letter-spaced."""
    names: set[str] = set()
    for rule in css.split("}"):
        selectors, brace, declarations = rule.partition("{")
        if brace and _style_is_prominent(declarations):
            names.update(_CLASS_SELECTOR_RE.findall(selectors[-500:]))
    return frozenset(names)


@dataclass
class _Anchor:
    """An ``<a href>`` met while parsing: where it starts in the visible text and what it shows."""

    offset: int
    href: str
    text: list[str] = field(default_factory=list)
    images: int = 0
    pixel: bool = False


@dataclass
class _Doc:
    """Visible text of a mail, the spans of it that stand out, and its anchors."""

    text: str
    prominent: list[tuple[int, int]]
    anchors: list[_Anchor]


class _VisibleText(HTMLParser):
    """Collects the text a reader would see, with prominent spans, line breaks and anchors."""

    def __init__(self, prominent_classes: frozenset[str]) -> None:
        super().__init__(convert_charrefs=True)
        self._classes = prominent_classes
        self._parts: list[str] = []
        self._length = 0
        self._last = "\n"
        self._prominent: list[tuple[int, int]] = []
        self._stack: list[tuple[str, bool, bool, bool]] = []  # tag, prominent, hidden, pre
        self._open: dict[str, int] = {}  # how many elements of each name are on the stack
        self._prominent_depth = 0
        self._hidden_depth = 0
        self._pre_depth = 0
        self._anchor: _Anchor | None = None
        self.anchors: list[_Anchor] = []

    def document(self) -> _Doc:
        """The text collected so far."""
        self._finish_anchor()
        return _Doc("".join(self._parts), self._prominent, self.anchors)

    def _emit(self, text: str, prominent: bool = False) -> None:
        if not text:
            return
        start = self._length
        self._parts.append(text)
        self._length += len(text)
        self._last = text[-1]
        if prominent:
            if self._prominent and self._prominent[-1][1] == start:
                self._prominent[-1] = (self._prominent[-1][0], self._length)
            else:
                self._prominent.append((start, self._length))

    def _break(self, mark: str) -> None:
        if self._last not in "\n\t" or (mark == "\n" and self._last == "\t"):
            self._emit(mark)

    def _finish_anchor(self) -> None:
        if self._anchor is not None:
            self.anchors.append(self._anchor)
            self._anchor = None

    def _push(self, tag: str, prominent: bool, hidden: bool, pre: bool) -> None:
        self._stack.append((tag, prominent, hidden, pre))
        self._open[tag] = self._open.get(tag, 0) + 1
        self._prominent_depth += prominent
        self._hidden_depth += hidden
        self._pre_depth += pre

    def _pop_through(self, tag: str) -> None:
        if not self._open.get(tag):
            return
        floor = max(0, len(self._stack) - _STACK_SEARCH)
        for index in range(len(self._stack) - 1, floor - 1, -1):
            if self._stack[index][0] == tag:
                while len(self._stack) > index:
                    name, prominent, hidden, pre = self._stack.pop()
                    self._open[name] -= 1
                    self._prominent_depth -= prominent
                    self._hidden_depth -= hidden
                    self._pre_depth -= pre
                return

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Track line breaks, prominence, hidden parts and anchors as elements open."""
        values = {name: value or "" for name, value in attrs}
        if tag == "body" and self._open.get("head"):
            # A head left open would hide the whole body.
            self._pop_through("head")
        if tag in _BLOCK_TAGS or tag in ("br", "hr"):
            self._break("\n")
        elif tag in _CELL_TAGS:
            self._break("\t")
        if tag == "img":
            self._image(values)
            return
        if tag in _VOID_TAGS:
            return
        if tag == "a":
            self._finish_anchor()
            href = values.get("href", "").strip()
            if href:
                self._anchor = _Anchor(self._length, href)
        classes = values.get("class", "").split()
        prominent = (
            tag in _PROMINENT_TAGS
            or _style_is_prominent(values.get("style", ""))
            or any(name in self._classes for name in classes[:20])
        )
        self._push(tag, prominent, tag in _HIDDEN_TAGS, tag in ("pre", "textarea"))

    def _image(self, values: dict[str, str]) -> None:
        if self._anchor is None:
            return
        self._anchor.images += 1
        alt = _SPACES_RE.sub(" ", _clean(values.get("alt", ""))).strip()
        if alt:
            self._anchor.text.append(alt)
        sizes = [values.get("width", ""), values.get("height", "")]
        sizes += _SIZE_DIMENSION_RE.findall(values.get("style", "")[:2000])
        if any(
            size.strip().removesuffix("px").isdigit() and int(size.strip().removesuffix("px")) <= 2
            for size in sizes
        ):
            self._anchor.pixel = True

    def handle_endtag(self, tag: str) -> None:
        """Close the element and the line or cell it ended."""
        if tag == "a":
            self._finish_anchor()
        if tag in _BLOCK_TAGS:
            self._break("\n")
        elif tag in _CELL_TAGS:
            self._break("\t")
        if tag not in _VOID_TAGS:
            self._pop_through(tag)

    def handle_data(self, data: str) -> None:
        """Keep visible text, with white space collapsed as a browser would."""
        if self._hidden_depth:
            return
        text = _clean(data)
        if self._pre_depth:
            text = text.translate(_NEWLINES)
        else:
            text = _SPACES_RE.sub(" ", text)
            if text.startswith(" ") and self._last in " \n\t":
                text = text[1:]
        self._emit(text, self._prominent_depth > 0)
        if self._anchor is not None and len(self._anchor.text) < 64:
            self._anchor.text.append(text)


def _html_document(html: str) -> _Doc:
    markup, css = _prepare_html(html)
    parser = _VisibleText(_prominent_classes(css))
    parser.feed(markup)
    parser.close()
    return parser.document()


def _text_document(text: str) -> _Doc:
    return _Doc(_clean(text).translate(_NEWLINES), [], [])


def _document(content: str, is_html: bool) -> _Doc:
    content = content[:MAX_INPUT_CHARS]
    return _html_document(content) if is_html else _text_document(content)


@lru_cache(maxsize=4)
def _analysed(content: str, is_html: bool) -> tuple[_Doc, list[_Line]]:
    """The visible text of a mail and its lines, kept for the few mails looked at last.

    The reader asks for the code, the best link and the link list of the same mail in a row;
    the cache parses it once.  What it returns is only read, apart from per-line values that
    are filled in on first use and are the same whoever fills them.
    """
    doc = _document(content, is_html)
    return doc, _lines(doc)


@dataclass
class _Line:
    """One non-blank line of visible text; ``masked`` has URLs and addresses blanked out."""

    text: str
    masked: str
    offset: int
    begin: int = 0  # where the unstripped line starts, for finding the line of an offset
    # Filled on first use: the sorted starts and ends of the code words of the line, whether
    # it advertises a discount, and where its first and last word characters are.
    keyword_starts: list[int] | None = None
    keyword_ends: list[int] = field(default_factory=list)
    promo: bool | None = None
    word_span: tuple[int, int] | None = None


def _mask(text: str) -> str:
    """The text with URLs and e-mail addresses replaced by NULs of the same length."""
    spans = [m.span() for m in _URL_RE.finditer(text)]
    spans += [m.span() for m in _EMAIL_RE.finditer(text)]
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        chars[start:end] = "\x00" * (end - start)
    return "".join(chars)


def _lines(doc: _Doc) -> list[_Line]:
    """The non-blank lines of a document, stripped, with their offsets."""
    lines: list[_Line] = []
    offset = 0
    for raw in doc.text.split("\n"):
        stripped = raw.strip(" \t\u00a0")
        if stripped.strip(" \t\u00a0\u3000"):
            start = offset + raw.index(stripped[0])
            lines.append(_Line(stripped, _mask(stripped), start, offset))
        offset += len(raw) + 1
    return lines


# --------------------------------------------------------------------------------------
# Codes
# --------------------------------------------------------------------------------------

# A word that says "code" in sign-up mail.  Latin-script words need a word start (the
# look-behind, which also keeps the scan linear) and a word end; CJK words stand anywhere.
_KEYWORD_RE = re.compile(
    r"(?<![^\W\d_])(?:"
    r"([^\W\d_]*)codes?"
    r"|codice|c[oó]digos?|kod[^\W\d_]{0,5}|k[oó]d|kode|koodi"
    r"|v[eé]rif[^\W\d_]*+|weryfik[^\W\d_]*+|verifikasi|doğrula[^\W\d_]*+"
    r"|otp|pin|pincode|passcodes?|tokens?|2fa|mfa|tan"
    r"|one[- ]?time|einmal[^\W\d_]*+|two[- ](?:factor|step)|2[- ]step|zwei-faktor[^\W\d_]*+"
    r"|код(?:а|у|ом|ы)?|одноразов[^\W\d_]*+|пин"
    r")(?![^\W\d_])"
    r"|验证码|驗證碼|校验码|校驗碼|动态码|認證碼|认证码|确认码|確認碼|验证|驗證"
    r"|確認コード|認証コード|認証番号|確認番号|ワンタイム|パスコード|セキュリティコード|コード|認証"
    r"|인증\s?번호|인증\s?코드|확인\s?코드|보안\s?코드|코드|인증",
    re.IGNORECASE,
)
# Words ending in "code" that name something else: "barcode", "Gutscheincode", "postcode".
_OTHER_CODES = frozenset(
    (
        "bar", "post", "zip", "uni", "source", "promo", "promotion", "gutschein", "gutscheins",
        "rabatt", "rabatts", "aktions", "aktion", "voucher", "qr", "dress", "area", "country",
        "error", "discount", "coupon", "gift", "referral", "korting", "kortings", "actie", "en",
        "de", "geo", "short", "time", "hex", "color", "colour", "html", "status", "response",
        "exit", "zeit", "farb", "ean", "sort", "swift", "bank", "bankleit", "postleit", "fehler",
        "postal", "invite",
    )
)  # fmt: skip
# Phrases in which a code word names something that is not a one-time code.
_NOT_A_CODE_RE = re.compile(
    r"code\s+postal|postal\s+code|zip\s+code|c[oó]digo\s+postal"
    r"|codice\s+(?:postale|fiscale|sconto|promozionale|cliente|articolo)"
    r"|kod\s+(?:pocztowy|rabatowy|pocztowego|produktu)"
    r"|c[oó]digo\s+(?:de|do|da|del)\s+(?:seguimiento|rastreo|rastreamento|pedido|env[ií]o"
    r"|descuento|cup[oó]n|produto|producto|cliente|barras|promoci[oó]n|promocional|reserva)"
    r"|c[oó]digo\s+promocional|code\s+(?:promo|de\s+r[ée]duction|client|article|produit|avantage)"
    r"|(?:promo|discount|coupon|voucher|gift|referral|tracking|order|product|area|country|error"
    r"|source|qr|bar|dress|sort|swift|bank|invite|invitation|booking|reservation|gate|door"
    r"|entry|building|alarm|lockbox|parking)\s*codes?"
    r"|почтов[^\W\d_]*\s+код|код\s+(?:товара|заказа|скидки)|промокод"
    r"|posta\s+kodu|indirim\s+kodu|takip\s+kodu|sipari[sş]\s+kodu"
    r"|优惠码|折扣码|兑换码|邮政编码|邮编|郵便番号|割引コード|クーポンコード|プロモーションコード"
    r"|할인\s*코드|쿠폰\s*코드|우편\s*번호",
    re.IGNORECASE,
)
# A line that advertises a discount: its code words are about promo codes.
_PROMO_LINE_RE = re.compile(
    r"(?<![^\W\d_])(?:promo|coupon|discount|voucher|checkout|rabatt|gutschein|r[ée]duction"
    r"|remise|descuento|cup[oó]n|cupom|desconto|sconto|korting|скидк|промокод|indirim|kupon"
    r"|ahorr|oferta|rebaja|soldes|saldi|offerta|angebot|sparen)"
    r"|-[0-9]{1,2}\s?%|[0-9]\s?%\s*(?:off|de\s+(?:descuento|desconto|r[ée]duction)|rabatt)"
    r"|优惠|折扣|クーポン|割引|할인|쿠폰",
    re.IGNORECASE,
)
# Labels that make the number after them an identifier, not a code: order and invoice numbers,
# phone numbers, company registers, postal codes, bookings.  Prefixes allow compounds
# ("Bestellnummer"); the short ones must be whole words.
_LABEL_RE = re.compile(
    r"(?<![^\W\d_])(?:"
    r"(?:order|invoice|receipt|reference|ticket|track|shipment|parcel|sendung|bestell|rechnung"
    r"|kunden|auftrag|vertrag|konto|account|iban|swift|telefon|t[ée]l[ée]phone|tel[ée]fono"
    r"|telefone|phone|mobile|hotline|notruf|номер|заказ|телефон|pedido|commande|seguimiento"
    r"|rastreamento|spedizione|ordine|fattura|factura|facture|booking|reserv|localizador"
    r"|flight|isbn|serial|version|release|mersis|regon|siret|siren|cnpj|ogrn|огрн|инн|кпп"
    r"|customer|client|member|mitglied|postcode|postal|sipari[sş]|fatura"
    r"|leitzahl|postleitzahl)[^\W\d_]*+"
    r"|(?:no|nr|id|ref|tel|fax|apt|inn|sku|vat|nip|krs|cif|nif|cep|plz|bic|blz|hrb|hra|kvk|btw"
    r"|tva|pnr|ust|po|rcs|cpf|zip|seat|gate|room|suite|unit|call|dial|art|item)(?![^\W\d_])"
    r")|n°|nº|№|〒|订单|注文|运单|快递|邮编|郵便|电话|電話|客服|고객센터|전화|사업자|주문|송장",
    re.IGNORECASE,
)
_YEAR_RE = re.compile(r"(?:19|20)[0-9]{2}")
# A word and a number, the shape of promo codes ("VERANO20", "WELCOME10"); one-time codes are
# random and rarely start with four letters holding two vowels.
_PROMO_SHAPE_RE = re.compile(r"(?=[A-Z]*[AEIOUY][A-Z]*[AEIOUY])[A-Z]{4,}[0-9]{1,3}")
# Upper-case letters and digits only: lower-case words can never be part of a code, and
# leaving them out keeps prose (most of a mail) out of the per-token loop.
_TOKEN_RE = re.compile(r"[0-9A-Z]+")
_WORD_RE = re.compile(r"\w")
# The last word character of a line.  Each attempt only looks across the non-word run after
# one word character, so the whole search is one pass.
_LAST_WORD_RE = re.compile(r"\w(?=\W*+$)")
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


@dataclass
class _Found:
    """A code candidate before scoring: where it is and what it joins to."""

    code: str
    start: int
    end: int


def _adjacent_ok(line: str, start: int, end: int) -> bool:
    """Whether the characters around a candidate leave it standing on its own.

    Rejects the parts of dates, times, prices, decimals, versions, IP addresses, phone
    numbers (after ``+`` or an area code in parentheses), ``#``/``№`` numbers, dashed
    identifiers and figures followed by a unit or CJK date unit.
    """
    before = line[start - 1] if start > 0 else ""
    before2 = line[start - 2] if start > 1 else ""
    after = line[end] if end < len(line) else ""
    after2 = line[end + 1] if end + 1 < len(line) else ""
    if before in _NUMERIC_PUNCTUATION and before2.isdigit():
        return False
    if after in _NUMERIC_PUNCTUATION and after2.isdigit():
        return False
    if (before == "-" and before2.isalnum()) or (after == "-" and after2.isalnum()):
        return False
    if before in _REJECT_BEFORE or after in _REJECT_AFTER:
        return False
    if (before == " " and before2 in _MONEY_BEFORE) or (after == " " and after2 in _MONEY_AFTER):
        return False
    if before == ")" or (before == " " and before2 == ")"):
        return False
    if (before.isalpha() and ord(before) < 0x2E80) or (after.isalpha() and ord(after) < 0x2E80):
        return False
    return _UNIT_AFTER_RE.match(line, end) is None


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


def _candidates_in(masked: str) -> list[_Found]:
    """Code-shaped strings in one line: digit codes, split or whole, and upper-case codes."""
    tokens = [(m.start(), m.end()) for m in _TOKEN_RE.finditer(masked)]
    found: list[_Found] = []
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
    return found


def _digit_codes(masked: str, run: list[tuple[int, int]]) -> list[_Found]:
    """Digit codes in a run: each stretch of digit groups that no letter group is dashed to."""
    found: list[_Found] = []
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


def _digit_pieces(masked: str, tokens: list[tuple[int, int]]) -> list[_Found]:
    """Codes in a run of digit groups, split at table cells unless each cell is one digit."""
    groups = [masked[start:end] for start, end in tokens]
    separators = [masked[end] for _, end in tokens[:-1]]
    pieces = [(0, len(tokens))]
    if "\t" in separators and not all(len(group) == 1 for group in groups):
        cuts = [0] + [at + 1 for at, sep in enumerate(separators) if sep == "\t"] + [len(tokens)]
        pieces = list(pairwise(cuts))
    found: list[_Found] = []
    for first, stop in pieces:
        joined = "".join(groups[first:stop])
        if 4 <= len(joined) <= 8 and _digit_group_shape_ok(
            groups[first:stop], separators[first : stop - 1]
        ):
            found.append(_Found(joined, tokens[first][0], tokens[stop - 1][1]))
    return found


def _alnum_codes(masked: str, run: list[tuple[int, int]]) -> list[_Found]:
    """Letter-and-digit codes in a run: one group ("X3F9K2") or up to three joined by dashes."""
    found: list[_Found] = []
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
            found.append(_Found(joined, run[first][0], run[last][1]))
    return found


def _keywords(line: _Line) -> tuple[list[int], list[int]]:
    """Starts and ends of the code words of a line, not those naming postal or promo codes."""
    if line.keyword_starts is not None:
        return line.keyword_starts, line.keyword_ends
    text = line.masked
    starts: list[int] = []
    ends: list[int] = []
    if _PROMO_LINE_RE.search(text) is None:
        for match in _KEYWORD_RE.finditer(text):
            prefix = match.group(1)
            if prefix and prefix.lower() in _OTHER_CODES:
                continue
            # Phrases such as "code postal" or "reservation code" are short: look for one only
            # around the keyword, which keeps a long line to one pass.
            low, high = max(0, match.start() - 24), match.end() + 32
            if any(
                other.start() < match.end() and other.end() > match.start()
                for other in _NOT_A_CODE_RE.finditer(text, low, high)
            ):
                continue
            starts.append(match.start())
            ends.append(match.end())
            if len(starts) >= MAX_KEYWORDS_PER_LINE:
                break
    line.keyword_starts, line.keyword_ends = starts, ends
    return starts, ends


def _has_keyword(line: _Line) -> bool:
    return bool(_keywords(line)[0])


def _near_promo(lines: list[_Line], index: int) -> bool:
    """Whether discount language sits within two lines of a line."""
    for near in lines[max(0, index - 2) : index + 3]:
        if near.promo is None:
            near.promo = _PROMO_LINE_RE.search(near.masked) is not None
        if near.promo:
            return True
    return False


def _same_line_evidence(line: _Line, found: _Found) -> float:
    """How strongly a code word on the candidate's own line vouches for it (0 when none)."""
    starts, ends = _keywords(line)
    if not starts:
        return 0.0
    evidence = 0.0
    before = bisect_right(ends, found.start) - 1
    if before >= 0:
        gap = found.start - ends[before]
        if gap <= 40 and _LABEL_RE.search(line.masked, ends[before], found.start) is None:
            evidence = 4.0 - 2.0 * gap / 40
    after = bisect_right(starts, found.end - 1)
    if after < len(starts):
        gap = starts[after] - found.end
        if 0 <= gap <= 30:
            evidence = max(evidence, 3.0 - gap / 30)
    return evidence


def _labelled(line: _Line, found: _Found) -> bool:
    """Whether an identifier label sits just before the candidate, after any code word."""
    window_start = max(0, found.start - 30)
    ends = _keywords(line)[1]
    before = bisect_right(ends, found.start) - 1
    if before >= 0:
        window_start = max(window_start, ends[before])
    return _LABEL_RE.search(line.masked, window_start, found.start) is not None


def _alone(line: _Line, found: _Found) -> bool:
    """Whether the candidate is the only thing on its line but punctuation."""
    if line.word_span is None:
        first = _WORD_RE.search(line.masked)
        last = _LAST_WORD_RE.search(line.masked)
        line.word_span = (first.start() if first else 0, last.start() if last else 0)
    return line.word_span[0] >= found.start and line.word_span[1] < found.end


def _shape_score(code: str) -> float:
    """How code-like a string is by itself: six digits most, and years and promo words less."""
    if code.isdigit():
        score = {4: 0.5, 5: 0.7, 6: 1.0, 7: 0.8, 8: 0.8}[len(code)]
        # A four-digit year is far more often a date than a PIN.
        return score - 2.5 if len(code) == 4 and _YEAR_RE.fullmatch(code) else score
    score = 1.0 if 5 <= len(code) <= 8 else 0.7
    return score - 2.5 if _PROMO_SHAPE_RE.fullmatch(code) else score


def _context(text: str, start: int, end: int) -> str:
    """The line around a candidate, white space collapsed, cut to a short window."""
    half = max(10, (_CONTEXT_CHARS - (end - start)) // 2)
    left = max(0, start - half)
    right = min(len(text), max(end, left + _CONTEXT_CHARS))
    window = _SPACES_RE.sub(" ", text[left:right]).strip()
    return ("…" if left else "") + window + ("…" if right < len(text) else "")


@dataclass
class _Scored:
    """A scored candidate and where it was met (the subject counts as before the body)."""

    code: str
    score: float
    context: str
    order: int


def _score_line(
    lines: list[_Line], index: int, doc: _Doc, starts: list[int], limit: int
) -> tuple[list[_Scored], int]:
    """The scored candidates of one line, and how many candidates were looked at."""
    line = lines[index]
    scored: list[_Scored] = []
    candidates = _candidates_in(line.masked)[:limit]
    for found in candidates:
        if not _adjacent_ok(line.masked, found.start, found.end) or _labelled(line, found):
            continue
        alone = _alone(line, found)
        evidence = _same_line_evidence(line, found)
        if alone or len(line.masked) <= len(found.code) + 24:
            # A code on its own line is introduced by the line before ("Your code is:") or,
            # less often, explained by the line after ("This code expires in 10 minutes").
            for back, weight in ((1, 3.0 if alone else 2.0), (2, 2.0 if alone else 0.0)):
                if index - back >= 0 and weight and _has_keyword(lines[index - back]):
                    evidence = max(evidence, weight)
                    break
            if alone and index + 1 < len(lines) and _has_keyword(lines[index + 1]):
                evidence = max(evidence, 1.5)
        if evidence <= 0:
            continue
        score = _shape_score(found.code) + evidence
        if alone:
            score += 1.0
        absolute = line.offset + found.start
        at = bisect_right(starts, absolute) - 1
        if at >= 0 and doc.prominent[at][1] > absolute:
            score += 1.5
        if _near_promo(lines, index):
            score -= 1.5
        context = _context(line.text, found.start, found.end)
        scored.append(_Scored(found.code, score, context, line.offset + found.start))
    return scored, len(candidates)


def _score_subject(subject: str) -> list[_Scored]:
    """Candidates named in the subject next to a code word ("123456 is your code")."""
    text = _SPACES_RE.sub(" ", _clean(subject[:2000]).translate(_NEWLINES)).strip()
    line = _Line(text, _mask(text), 0)
    scored: list[_Scored] = []
    for found in _candidates_in(line.masked):
        if not _adjacent_ok(line.masked, found.start, found.end) or _labelled(line, found):
            continue
        evidence = _same_line_evidence(line, found)
        if evidence > 0:
            # A code put in the subject is meant to be seen without opening the mail.
            score = _shape_score(found.code) + evidence + 1.5
            scored.append(_Scored(found.code, score, _context(text, found.start, found.end), -1))
    return scored


def find_codes(subject: str, content: str, *, is_html: bool) -> list[CodeCandidate]:
    """Verification-code candidates of a mail's subject and body, best first, each code once."""
    doc, lines = _analysed(content, is_html)
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
        if kept is None or item.score > kept.score:
            best[item.code] = item
    ordered = sorted(best.values(), key=lambda item: (-item.score, item.order))
    return [
        CodeCandidate(item.code, round(item.score, 2), item.context) for item in ordered[:MAX_CODES]
    ]


def best_code(subject: str, content: str, *, is_html: bool) -> str | None:
    """The most likely verification code of a mail, or None when nothing looks like one."""
    candidates = find_codes(subject, content, is_html=is_html)
    if candidates and candidates[0].score >= CODE_THRESHOLD:
        return candidates[0].code
    return None


# --------------------------------------------------------------------------------------
# Links
# --------------------------------------------------------------------------------------

_URL_STRONG = (
    "verif", "confirm", "activat", "activer", "activar", "ativar", "aktivier", "bestaetig",
    "bestätig", "reset", "password", "passwort", "contrasena", "contraseña", "senha",
    "restablecer", "redefinir", "reinitialis", "magic", "validat", "valider", "validar",
    "passwordless",
)  # fmt: skip
_URL_LOGIN = ("login", "log-in", "log_in", "signin", "sign-in", "sign_in", "logon", "anmeld")
_URL_WEAK = frozenset({"auth", "oauth", "oauth2", "authorize", "token", "callback", "otp", "sso"})
_URL_NEGATIVE = (
    "unsub", "optout", "opt-out", "opt_out", "preference", "email-settings", "emailsettings",
    "email_settings", "emails/settings", "privacy", "privacidad", "privacidade", "datenschutz",
    "confidentialite", "/terms", "/legal", "/policy", "policies", "/help", "help.", "/support",
    "/faq", "/contact", "impressum", "/agb", "/cgv", "/cgu", "abmelden", "abbestellen",
    "desinscri", "désinscri", "/baja", "descadastr", "newsletter", "/open",
    "open.gif", "open.aspx", "pixel", "beacon",
)  # fmt: skip
_SOCIAL_HOSTS = (
    "facebook.", "fb.com", "twitter.", "x.com", "instagram.", "linkedin.", "youtube.",
    "youtu.be", "tiktok.", "pinterest.", "threads.net", "mastodon.", "t.me", "wa.me",
)  # fmt: skip
_ACTION_TEXT_RE = re.compile(
    r"(?<![^\W\d_])(?:verif|confirm|activat|reset|sign[- ]?in|log[- ]?in|log[- ]?on|magic"
    r"|validat|password|passwort|bestätig|aktivier|zurücksetzen|anmelden|einloggen|verifizier"
    r"|activer|réinitialis|me connecter|se connecter|connexion|vérifi|valider|mot de passe"
    r"|confirmar|activar|restablecer|iniciar sesi[oó]n|verificar|contraseña|validar|ativar"
    r"|redefinir|senha|entrar|fazer login|conferma|attiva|reimposta|accedi|verifica|bevestig"
    r"|activeer|inloggen|herstel|wachtwoord|verifieer|potwierd|aktywuj|zaloguj|resetuj|hasł"
    r"|подтверд|активир|войти|вход|сброс|пароль|doğrula|onayla|etkinleştir|giriş|şifre)"
    r"|確認|認証|有効化|ログイン|パスワード|验证|驗證|确认|激活|登录|登入|重置|密码|인증|확인|로그인|비밀번호|활성화",
    re.IGNORECASE,
)
_NEGATIVE_TEXT_RE = re.compile(
    r"(?<![^\W\d_])(?:unsubscribe|opt[- ]?out|manage (?:email|your)|preferences|privacy|terms"
    r"|policy|help|support|contact|view (?:it )?in (?:your )?browser|deny|report"
    r"|abmelden|abbestellen|impressum|datenschutz|désinscri|confidentialité|baja|privacidad"
    r"|descadastrar|отписаться|conditions|cgu|cgv|agb)|退订|配信停止|수신거부",
    re.IGNORECASE,
)
# "If this wasn't you, reset your password": an escape hatch, not what the mail is for.
_ESCAPE_HATCH_RE = re.compile(
    r"wasn'?t you|was not you|weren'?t you|not you\b|didn'?t (?:request|ask|try|make|sign)"
    r"|did not (?:request|ask|try|make|sign)|don'?t recogni[sz]e|do not recogni[sz]e"
    r"|si no has sido|si no fuiste|se não foi você|si vous n'êtes pas|si ce n'est pas vous"
    r"|falls (?:du|sie) (?:das )?nicht|wenn (?:du|sie) das nicht|если (?:это )?(?:вы|были) не"
    r"|non sei stato tu|als jij dit niet|jeśli to nie ty|bu işlemi siz yapmadıysanız",
    re.IGNORECASE,
)
_URL_TOKEN_RE = re.compile(r"[^\W_]+")


@dataclass
class _Occurrence:
    """One appearance of a URL: where, with what anchor text, in what line of text."""

    url: str
    offset: int
    text: str
    context: str
    images: int = 0
    pixel: bool = False
    bare: bool = False


def _url_words(url: str) -> str:
    """The lower-cased path and query of a URL, without campaign (``utm_*``) parameters."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.lower()
    query = "&".join(pair for pair in parts.query.split("&") if not pair.lower().startswith("utm_"))
    return f"{parts.path}?{query}".lower()


def _url_score(url: str) -> tuple[float, float]:
    """Action evidence and penalty from the URL itself."""
    words = _url_words(url)
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        host = ""
    positive = 0.0
    if any(word in words for word in _URL_STRONG):
        positive = 3.0
    elif any(word in words for word in _URL_LOGIN):
        positive = 2.5
    elif any(token in _URL_WEAK for token in _URL_TOKEN_RE.findall(words[:2000])):
        positive = 1.5
    negative = 0.0
    if any(word in words for word in _URL_NEGATIVE) or host.startswith("help."):
        negative -= 4.0
    if any(
        host == social.rstrip(".") or host.startswith(social) or f".{social}" in f".{host}"
        for social in _SOCIAL_HOSTS
    ):
        negative -= 3.0
    return positive, negative


def _score_occurrence(item: _Occurrence, subject_action: bool) -> float:
    url_positive, penalty = _url_score(item.url)
    text = item.text if item.text != item.url else ""
    text_positive = 3.0 if text and _ACTION_TEXT_RE.search(text) else 0.0
    score = max(url_positive, text_positive) + 0.5 * min(url_positive, text_positive) + penalty
    if text and _NEGATIVE_TEXT_RE.search(text):
        score -= 3.0
    if _ACTION_TEXT_RE.search(item.context):
        score += 1.0 if url_positive or text_positive or item.bare else 0.5
    if _ESCAPE_HATCH_RE.search(item.context):
        score -= 5.0
    if item.pixel:
        score -= 4.0
    elif item.images and not text:
        score -= 1.0
    if subject_action and (url_positive or text_positive):
        score += 0.5
    return score


def _line_at(lines: list[_Line], line_starts: list[int], offset: int) -> tuple[int, _Line | None]:
    at = bisect_right(line_starts, offset) - 1
    if at < 0:
        return at, None
    return at, lines[at]


def _occurrences(content: str, is_html: bool) -> list[_Occurrence]:
    doc, lines = _analysed(content, is_html)
    line_starts = [line.begin for line in lines]
    found: list[tuple[int, int, _Occurrence]] = []

    def context(offset: int, url: str) -> str:
        at, line = _line_at(lines, line_starts, offset)
        if line is None:
            return ""
        # The sentence around the link, not the whole line: a long line may hold thousands.
        where = offset - line.offset
        text = line.text[max(0, where - _LINK_CONTEXT) : where + len(url) + _LINK_CONTEXT]
        rest = text.replace(url, " ").strip(" \t()<>[]:.,-—–")
        if not _WORD_RE.search(rest) and at > 0:
            # A URL alone on its line is introduced by the line before it.
            text = lines[at - 1].text[-_LINK_CONTEXT:] + " " + text
        return text

    for anchor in doc.anchors:
        # Not cleaned: an href with hidden characters is dropped rather than silently changed.
        url = anchor.href.strip(" \t\n\r\f")
        if not _usable_url(url):
            continue
        text = _SPACES_RE.sub(" ", "".join(anchor.text)).strip()[:MAX_LINK_TEXT]
        item = _Occurrence(url, anchor.offset, text, context(anchor.offset, url))
        item.images, item.pixel = anchor.images, anchor.pixel
        found.append((anchor.offset, 0, item))
    for match in _URL_RE.finditer(doc.text):
        url = _strip_url(match.group(0))
        if not _usable_url(url):
            continue
        item = _Occurrence(url, match.start(), "", context(match.start(), url), bare=True)
        found.append((match.start(), 1, item))
    found.sort(key=lambda entry: (entry[0], entry[1]))
    return [item for _, _, item in found[:MAX_LINK_OCCURRENCES]]


def _links(content: str, is_html: bool, subject: str = "") -> list[Link]:
    subject_action = _ACTION_TEXT_RE.search(subject[:2000]) is not None
    merged: dict[str, tuple[str, float]] = {}
    for item in _occurrences(content, is_html):
        score = _score_occurrence(item, subject_action)
        kept = merged.get(item.url)
        if kept is None:
            merged[item.url] = (item.text if item.text != item.url else "", score)
        else:
            text = kept[0] or (item.text if item.text != item.url else "")
            merged[item.url] = (text, max(kept[1], score))
    return [
        Link(url, text, round(score, 2), index)
        for index, (url, (text, score)) in enumerate(merged.items(), start=1)
    ]


def find_links(content: str, *, is_html: bool) -> list[Link]:
    """Absolute http(s) links of a mail in document order, each once, numbered from 1."""
    return _links(content, is_html)


def ranked_links(content: str, *, is_html: bool) -> list[Link]:
    """The links of a mail, action links first and footer and tracking links last."""
    return sorted(find_links(content, is_html=is_html), key=lambda link: (-link.score, link.index))


def best_link(subject: str, content: str, *, is_html: bool) -> str | None:
    """The link the mail asks the reader to follow (verify, confirm, reset, sign in), or None."""
    links = sorted(_links(content, is_html, subject), key=lambda link: (-link.score, link.index))
    if links and links[0].score >= LINK_THRESHOLD:
        return links[0].url
    return None
