"""The words around a code: code words, phrases naming other codes, discounts and labels.

Every pattern starts with a literal or carries a look-behind that stops it from restarting
inside a run it has already scanned, so each search is linear.
"""

from __future__ import annotations

import re

__all__ = ["KEYWORD_RE", "LABEL_RE", "NOT_A_CODE_RE", "OTHER_CODES", "PROMO_LINE_RE", "VOID_RE"]

# A word that says "code" in sign-up mail.  Latin-script words need a word start (the
# look-behind, which also keeps the scan linear) and a word end; CJK words stand anywhere.
KEYWORD_RE = re.compile(
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
OTHER_CODES = frozenset(
    (
        "bar", "post", "zip", "uni", "source", "promo", "promotion", "gutschein", "gutscheins",
        "rabatt", "rabatts", "aktions", "aktion", "voucher", "qr", "dress", "area", "country",
        "error", "discount", "coupon", "gift", "referral", "korting", "kortings", "actie", "en",
        "de", "geo", "short", "time", "hex", "color", "colour", "html", "status", "response",
        "exit", "zeit", "farb", "ean", "sort", "swift", "bank", "bankleit", "postleit", "fehler",
        "postal", "invite",
    )
)  # fmt: skip
# Phrases in which a code word names something that is not a one-time code ("colour code:
# e4a11b" and "hex code" name colours, which have the shape of lower-case codes).
NOT_A_CODE_RE = re.compile(
    r"code\s+postal|postal\s+code|zip\s+code|c[oó]digo\s+postal"
    r"|codice\s+(?:postale|fiscale|sconto|promozionale|cliente|articolo)"
    r"|kod\s+(?:pocztowy|rabatowy|pocztowego|produktu)"
    r"|c[oó]digo\s+(?:de|do|da|del)\s+(?:seguimiento|rastreo|rastreamento|pedido|env[ií]o"
    r"|descuento|cup[oó]n|produto|producto|cliente|barras|promoci[oó]n|promocional|reserva)"
    r"|c[oó]digo\s+promocional|code\s+(?:promo|de\s+r[ée]duction|client|article|produit|avantage)"
    r"|(?:promo|discount|coupon|voucher|gift|referral|tracking|order|product|area|country|error"
    r"|source|qr|bar|dress|sort|swift|bank|invite|invitation|booking|reservation|gate|door"
    r"|entry|building|alarm|lockbox|parking|colou?r|hex)\s*codes?"
    r"|почтов[^\W\d_]*\s+код|код\s+(?:товара|заказа|скидки)|промокод"
    r"|posta\s+kodu|indirim\s+kodu|takip\s+kodu|sipari[sş]\s+kodu"
    r"|优惠码|折扣码|兑换码|邮政编码|邮编|郵便番号|割引コード|クーポンコード|プロモーションコード"
    r"|할인\s*코드|쿠폰\s*코드|우편\s*번호",
    re.IGNORECASE,
)
# A line that advertises a discount: its code words are about promo codes.
PROMO_LINE_RE = re.compile(
    r"(?<![^\W\d_])(?:promo|coupon|discount|voucher|checkout|rabatt|gutschein|r[ée]duction"
    r"|remise|descuento|cup[oó]n|cupom|desconto|sconto|korting|скидк|промокод|indirim|kupon"
    r"|ahorr|oferta|rebaja|soldes|saldi|offerta|angebot|sparen)"
    r"|-[0-9]{1,2}\s?%|[0-9]\s?%\s*(?:off|de\s+(?:descuento|desconto|r[ée]duction)|rabatt)"
    r"|优惠|折扣|クーポン|割引|할인|쿠폰",
    re.IGNORECASE,
)
# Labels that make the number after them an identifier, not a code: order and invoice numbers,
# phone numbers, company registers, postal codes, bookings, and the names developers' mail
# gives hex strings and handles (commit, build, sha, fingerprint, user name), which look like
# lower-case codes.  Prefixes allow compounds ("Bestellnummer"); the short ones must be whole
# words.
LABEL_RE = re.compile(
    r"(?<![^\W\d_])(?:"
    r"(?:order|invoice|receipt|reference|ticket|track|shipment|parcel|sendung|bestell|rechnung"
    r"|kunden|auftrag|vertrag|konto|account|iban|swift|telefon|t[ée]l[ée]phone|tel[ée]fono"
    r"|telefone|phone|mobile|hotline|notruf|номер|заказ|телефон|pedido|commande|seguimiento"
    r"|rastreamento|spedizione|ordine|fattura|factura|facture|booking|reserv|localizador"
    r"|flight|isbn|serial|version|release|mersis|regon|siret|siren|cnpj|ogrn|огрн|инн|кпп"
    r"|customer|client|member|mitglied|postcode|postal|sipari[sş]|fatura"
    r"|leitzahl|postleitzahl|commit|fingerprint|username|benutzername|usuario|utilisateur"
    r"|utente|revision|build)[^\W\d_]*+"
    r"|(?:no|nr|id|ref|tel|fax|apt|inn|sku|vat|nip|krs|cif|nif|cep|plz|bic|blz|hrb|hra|kvk|btw"
    r"|tva|pnr|ust|po|rcs|cpf|zip|seat|gate|room|suite|unit|call|dial|art|item|sha|rev|user)"
    r"(?![^\W\d_])"
    r")|n°|nº|№|〒|订单|注文|运单|快递|邮编|郵便|电话|電話|客服|고객센터|전화|사업자|주문|송장",
    re.IGNORECASE,
)
# Words that put a code in the past ("your previous code 771209 no longer works"): a resent
# mail names the old code beside the new one.  Only words that come before the code are
# listed; "expired" or "no longer valid" also describe the live code's future.
VOID_RE = re.compile(
    r"(?<![^\W\d_])(?:previous|old|earlier|former|vorherige[nrs]?|alte[nrs]?|bisherige[nrs]?"
    r"|pr[ée]c[ée]dent|ancien|anterior|antiguo|precedente|vecchio|предыдущ[^\W\d_]*+"
    r"|стар(?:ый|ого|ом)|poprzedni[^\W\d_]*+)(?![^\W\d_])",
    re.IGNORECASE,
)
