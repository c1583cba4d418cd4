"""Deterministic mail bodies for the benchmarks: small HTML notices and large newsletters."""

from __future__ import annotations

_VOCABULARY = """
account build cloud deploy update region release faster dashboard invoice order shipping
verify security notice weekly digest change policy team project report storage network
latency access token review merge branch pipeline status
"""
_WORDS = tuple(_VOCABULARY.split())


def _sentence(seed: int, length: int) -> str:
    """A pseudo-random sentence of ``length`` words, the same for the same seed."""
    words = [_WORDS[(seed * 7 + i * 13 + (seed >> 3)) % len(_WORDS)] for i in range(length)]
    return " ".join(words).capitalize() + "."


def small_html(index: int) -> str:
    """A transactional mail of about 2 KB of HTML (a notice with links and a small table)."""
    paragraphs = "".join(
        f'<p style="font-size:14px;line-height:20px;color:#333">{_sentence(index + i, 14)} '
        f'<a href="https://app.example.com/n/{index}/{i}?utm_source=mail">details</a></p>\n'
        for i in range(6)
    )
    rows = "".join(
        f'<tr><td style="padding:4px">{_WORDS[(index + i) % len(_WORDS)]}</td>'
        f'<td style="padding:4px;text-align:right">{(index * 31 + i * 7) % 997}</td></tr>'
        for i in range(4)
    )
    return (
        '<html><body style="margin:0"><table width="100%" role="presentation"><tr><td>'
        f'<h2 style="font-size:18px">Notice #{index}</h2>\n{paragraphs}'
        f'<table style="border-collapse:collapse">{rows}</table>'
        '<p style="font-size:11px;color:#999">You receive this because you signed up. '
        f'<a href="https://app.example.com/unsub/{index}">Unsubscribe</a></p>'
        "</td></tr></table></body></html>"
    )


_NEWSLETTER_HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>The Weekly Byte</title>
<style>
 body { margin:0; padding:0; background:#f2f4f7; font-family:Helvetica,Arial,sans-serif; }
 .content { width:600px; background:#ffffff; }
 .btn { background:#1a73e8; color:#ffffff; padding:10px 18px; border-radius:4px; }
 @media (max-width:620px) { .content { width:100% !important; } }
</style></head><body>
<div style="display:none;font-size:1px;color:#f2f4f7;max-height:0;overflow:hidden">
This week: faster builds, terminal interfaces and 20% off. &#8204;&nbsp;&#8204;&nbsp;</div>
<table class="wrapper" role="presentation" width="100%" cellpadding="0" cellspacing="0">
<tr><td align="center">
<table class="content" role="presentation" width="600" cellpadding="0" cellspacing="0">
"""

_NEWSLETTER_TAIL = """<tr><td style="padding:24px;font-size:11px;color:#999999">
Acme Inc., 1 Main Street. <a href="https://news.example.com/unsubscribe?u=42">Unsubscribe</a>
&middot; <a href="https://news.example.com/prefs?u=42">Preferences</a></td></tr>
</table></td></tr></table>
<img src="https://track.example.com/open.gif?u=42" width="1" height="1" alt="">
</body></html>
"""


def _article(index: int) -> str:
    """One newsletter section: heading, image, two paragraphs, a button, nested tables."""
    return f"""<tr><td style="padding:24px 24px 0 24px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr>
<td width="180" valign="top"><a href="https://news.example.com/a/{index}?utm_campaign=w42">
<img src="https://cdn.example.com/img/{index}.jpg" width="160" height="100"
 alt="Illustration for story {index}" style="display:block;border:0"></a></td>
<td valign="top" style="padding-left:12px">
<h2 style="font-size:20px;margin:0 0 8px;color:#111111">Story {index}: {_sentence(index, 6)}</h2>
<p style="font-size:15px;line-height:22px;color:#333333">{_sentence(index + 1, 30)}
<strong>{_sentence(index + 2, 5)}</strong> {_sentence(index + 3, 24)}</p>
<p style="font-size:15px;line-height:22px;color:#333333">{_sentence(index + 4, 28)}
<em>{_sentence(index + 5, 6)}</em> {_sentence(index + 6, 18)}</p>
<p style="padding:8px 0"><a class="btn" style="background:#1a73e8;color:#ffffff"
 href="https://news.example.com/a/{index}/read?utm_source=email&amp;utm_medium=nl&amp;id={index}"
 >Read more &rarr;</a></p>
<ul style="font-size:14px;color:#555555"><li>{_sentence(index + 7, 8)}</li>
<li>{_sentence(index + 8, 9)}</li><li>{_sentence(index + 9, 7)}</li></ul>
</td></tr></table></td></tr>
"""


def newsletter_html(size: int) -> str:
    """A marketing newsletter of at least ``size`` characters, built from repeated stories."""
    parts = [_NEWSLETTER_HEAD]
    total = len(_NEWSLETTER_HEAD) + len(_NEWSLETTER_TAIL)
    index = 0
    while total < size:
        article = _article(index)
        parts.append(article)
        total += len(article)
        index += 1
    parts.append(_NEWSLETTER_TAIL)
    return "".join(parts)
