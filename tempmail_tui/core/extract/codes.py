"""Verification codes in a mail, found by scoring rather than by per-sender rules.

A code is a number or letter/digit group of the right shape, near a code keyword (in the
common languages of sign-up mail), raised when it stands out (alone on a line, bold, large
or letter-spaced, in the subject) and vetoed by what it sits next to (currency, dates,
times, phone and order numbers, postal codes, promo codes).

Every regular expression either starts with a literal or carries a look-behind that stops
it from restarting inside a run it has already scanned, so the search is linear.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import pairwise

from tempmail_tui.core.extract.document import WORD_RE, Line, analysed, clean, mask
from tempmail_tui.core.html.text import SPACES_RE, Document

__all__ = ["CODE_THRESHOLD", "CodeCandidate", "best_code", "find_codes"]

# best_code answers only above this score: a keyword right next to a well-shaped code scores
# about 4-7, a number that merely shares a line with a keyword scores below 3.
CODE_THRESHOLD = 3.0
MAX_CODES = 20
# Work limits for hostile mail: a real one has a handful of code words and code-shaped strings,
# and its code sits near the top; these keep a mail made of nothing else from costing seconds.
MAX_KEYWORDS_PER_LINE = 100
MAX_EXAMINED_CANDIDATES = 2000
_CONTEXT_CHARS = 90


@dataclass(frozen=True)
class CodeCandidate:
    """A string that looks like a one-time code, its score and the line it came from."""

    code: str
    score: float
    context: str


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


def _keywords(line: Line) -> tuple[list[int], list[int]]:
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


def _has_keyword(line: Line) -> bool:
    return bool(_keywords(line)[0])


def _near_promo(lines: list[Line], index: int) -> bool:
    """Whether discount language sits within two lines of a line."""
    for near in lines[max(0, index - 2) : index + 3]:
        if near.promo is None:
            near.promo = _PROMO_LINE_RE.search(near.masked) is not None
        if near.promo:
            return True
    return False


def _same_line_evidence(line: Line, found: _Found) -> float:
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


def _labelled(line: Line, found: _Found) -> bool:
    """Whether an identifier label sits just before the candidate, after any code word."""
    window_start = max(0, found.start - 30)
    ends = _keywords(line)[1]
    before = bisect_right(ends, found.start) - 1
    if before >= 0:
        window_start = max(window_start, ends[before])
    return _LABEL_RE.search(line.masked, window_start, found.start) is not None


def _alone(line: Line, found: _Found) -> bool:
    """Whether the candidate is the only thing on its line but punctuation."""
    if line.word_span is None:
        first = WORD_RE.search(line.masked)
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
    window = SPACES_RE.sub(" ", text[left:right]).strip()
    return ("…" if left else "") + window + ("…" if right < len(text) else "")


@dataclass
class _Scored:
    """A scored candidate and where it was met (the subject counts as before the body)."""

    code: str
    score: float
    context: str
    order: int


def _score_line(
    lines: list[Line], index: int, doc: Document, starts: list[int], limit: int
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
    text = SPACES_RE.sub(" ", clean(subject[:2000])).strip()
    line = Line(text, mask(text), 0)
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
    doc, lines = analysed(content, is_html)
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
