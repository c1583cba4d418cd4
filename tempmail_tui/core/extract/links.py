"""The action link of a mail: its links ranked by what they ask the reader to do.

Links come from ``core.html.links`` (hrefs of link elements, URLs written in the text)
in document order, and are ranked by action words in the URL and in the anchor text
(verify, confirm, reset, sign in ...), with footer links (unsubscribe, privacy, social)
and "if this wasn't you" escape hatches ranked last.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from urllib.parse import urlsplit

from tempmail_tui.core.extract.document import WORD_RE, Line, analysed
from tempmail_tui.core.html.links import bare_urls, usable_link
from tempmail_tui.core.html.text import SPACES_RE

__all__ = ["LINK_THRESHOLD", "Link", "best_link", "find_links", "ranked_links"]

# best_link answers only above this score: one action word in the URL or anchor text is 2.5-3.
LINK_THRESHOLD = 2.5
# Work limits for hostile mail, which may hold thousands of links and long anchor texts.
MAX_LINK_OCCURRENCES = 5000
MAX_LINK_TEXT = 200
_LINK_CONTEXT = 150


@dataclass(frozen=True)
class Link:
    """An absolute http(s) link, its anchor text, its action score and 1-based document index."""

    url: str
    text: str
    score: float
    index: int


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


def _line_at(lines: list[Line], line_starts: list[int], offset: int) -> tuple[int, Line | None]:
    at = bisect_right(line_starts, offset) - 1
    if at < 0:
        return at, None
    return at, lines[at]


def _occurrences(content: str, is_html: bool) -> list[_Occurrence]:
    doc, lines = analysed(content, is_html)
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
        if not WORD_RE.search(rest) and at > 0:
            # A URL alone on its line is introduced by the line before it.
            text = lines[at - 1].text[-_LINK_CONTEXT:] + " " + text
        return text

    for anchor in doc.anchors:
        # Not cleaned: an href with hidden characters is dropped rather than silently changed.
        url = usable_link(anchor.href)
        if url is None:
            continue
        text = SPACES_RE.sub(" ", "".join(anchor.text)).strip()[:MAX_LINK_TEXT]
        item = _Occurrence(url, anchor.offset, text, context(anchor.offset, url))
        item.images, item.pixel = anchor.images, anchor.pixel
        found.append((anchor.offset, 0, item))
    for offset, url in bare_urls(doc.text):
        item = _Occurrence(url, offset, "", context(offset, url), bare=True)
        found.append((offset, 1, item))
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
