"""Turn a raw MIME mail (as received over SMTP) into the API's message shape."""

from __future__ import annotations

import email
import email.policy
import email.utils
import mimetypes
from email.message import EmailMessage, Message, MIMEPart

from tempmail_tui.sandbox.records import MailDraft, SandboxAttachment


def parse_mime(raw: bytes, *, envelope_from: str = "") -> MailDraft:
    """Parse a mail: HTML body preferred over text, attachments kept byte for byte."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)  # guaranteed by policy.default
    from_name, from_email = _sender(msg, envelope_from)
    body = msg.get_body(preferencelist=("html", "plain"))
    html = False
    content = ""
    if body is not None:
        html = body.get_content_type() == "text/html"
        # SMTP carries CRLF line ends; the API's content uses plain newlines.
        content = _text_of(body).replace("\r\n", "\n")
    attachments: list[SandboxAttachment] = []
    for index, part in enumerate(msg.walk()):
        if part.is_multipart() or part is body or _is_body_alternative(part):
            continue
        attachments.append(_attachment(part, index))
    return MailDraft(
        subject=_unicode(_header(msg, "Subject")),
        from_name=_unicode(from_name),
        from_email=_unicode(from_email),
        content=_unicode(content),
        html=html,
        attachments=tuple(attachments),
    )


def _unicode(text: str) -> str:
    """Text that encodes as UTF-8: raw 8-bit header bytes arrive as surrogate escapes."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte
        return text.encode("utf-8", "replace").decode("utf-8")


def _header(msg: EmailMessage, name: str) -> str:
    # A malformed header can make the policy's header classes raise: fall back to the raw text.
    try:
        value = msg.get(name)
        return "" if value is None else str(value)
    except Exception:
        for key, raw in msg.raw_items():
            if key.lower() == name.lower():
                return str(raw)
        return ""


def _sender(msg: EmailMessage, envelope_from: str) -> tuple[str, str]:
    try:
        header = msg.get("From")
        addresses = getattr(header, "addresses", ()) if header is not None else ()
        if addresses:
            return str(addresses[0].display_name), str(addresses[0].addr_spec)
    except Exception:
        header = None
    name, addr = email.utils.parseaddr(_header(msg, "From"))
    addr = addr or envelope_from
    return name, addr


def _text_of(part: MIMEPart) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        # An unknown charset: decode the bytes leniently rather than lose the mail.
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _is_body_alternative(part: Message) -> bool:
    # The text/plain twin of the chosen HTML body is not an attachment.
    return (
        part.get_content_type() in ("text/plain", "text/html")
        and part.get_content_disposition() != "attachment"
        and not part.get_filename()
    )


def _attachment(part: Message, index: int) -> SandboxAttachment:
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    content_type = part.get_content_type()
    name = part.get_filename()
    if not name:
        ext = mimetypes.guess_extension(content_type, strict=False) or ".bin"
        name = f"attachment-{index}{ext}"
    return SandboxAttachment(name=_unicode(str(name)), data=data, content_type=content_type)
