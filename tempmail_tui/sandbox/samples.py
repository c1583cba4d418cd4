"""Realistic sample mails (newsletter, plain note, verification, attachments) for the sandbox."""

from __future__ import annotations

import hashlib
import html
import secrets
import struct
import zlib
from dataclasses import dataclass
from importlib import resources
from string import Template
from typing import Literal, get_args

from tempmail_tui.sandbox.records import MailDraft, SandboxAttachment

SampleKind = Literal["newsletter", "plain", "verification", "attachment"]
SAMPLE_KINDS: tuple[str, ...] = get_args(SampleKind)

NOTES_TXT = (
    "Meeting notes, Tuesday\n"
    "======================\n"
    "\n"
    "- Ship the sandbox before Friday.\n"
    "- Ask Sam about the quota dashboard.\n"
    "- Next review: in two weeks.\n"
)


@dataclass(frozen=True, slots=True)
class SampleMail:
    """A sample mail and, for a verification mail, the code it carries."""

    kind: str
    draft: MailDraft
    code: str | None = None


def make_sample(kind: str, to: str) -> SampleMail:
    """A fresh sample mail of the given kind addressed to ``to``."""
    if kind == "newsletter":
        return SampleMail(kind, _newsletter(to))
    if kind == "plain":
        return SampleMail(kind, _plain(to))
    if kind == "verification":
        code = f"{secrets.randbelow(1_000_000):06d}"
        return SampleMail(kind, _verification(code), code)
    if kind == "attachment":
        return SampleMail(kind, _with_attachments())
    raise ValueError(f"unknown sample kind {kind!r} (expected one of {', '.join(SAMPLE_KINDS)})")


def sample_png(width: int = 48, height: int = 48) -> bytes:
    """A small PNG picture, byte for byte the same on every call."""
    # Noise from a hash stream keeps the file a few KB (it does not compress) and deterministic.
    stream = _hash_stream(b"tempmail-tui sandbox png", width * height * 3)
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type "None" for this scanline
        for x in range(width):
            i = (y * width + x) * 3
            rows += bytes(
                (
                    (x * 255 // max(1, width - 1)) ^ (stream[i] & 0x1F),
                    (y * 255 // max(1, height - 1)) ^ (stream[i + 1] & 0x1F),
                    stream[i + 2],
                )
            )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _png_chunk(b"IEND", b"")
    )


def _hash_stream(seed: bytes, size: int) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:size])


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _newsletter(to: str) -> MailDraft:
    template = (
        resources.files("tempmail_tui.sandbox").joinpath("newsletter.html").read_text("utf-8")
    )
    greeting = to.partition("@")[0] or "reader"
    body = Template(template).substitute(
        to=html.escape(to),
        greeting=html.escape(greeting),
        subscriber=secrets.token_hex(8),
    )
    return MailDraft(
        subject="The Weekly Byte #42: building for the terminal",
        from_name="The Weekly Byte",
        from_email="newsletter@news.example.com",
        content=body,
        html=True,
    )


def _plain(to: str) -> MailDraft:
    text = (
        "Hi,\n"
        "\n"
        f"Just a quick note to {to}: the spare keys are in the top drawer,\n"
        "and the plants need water on Thursday.\n"
        "\n"
        "Lunch on Friday? The usual place, 12:30.\n"
        "\n"
        "-- \n"
        "Alex\n"
    )
    return MailDraft(
        subject="Keys and plants",
        from_name="Alex Martin",
        from_email="alex.martin@example.org",
        content=text,
        html=False,
    )


def _verification(code: str) -> MailDraft:
    token = secrets.token_urlsafe(24)
    body = (
        "<!DOCTYPE html>\n"
        '<html><head><meta charset="utf-8"><title>Confirm your address</title></head>\n'
        '<body style="font-family: Arial, sans-serif;">\n'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0">'
        '<tr><td align="center">\n'
        '<table role="presentation" width="480"><tr><td style="padding: 24px;">\n'
        "<h1>Confirm your email address</h1>\n"
        "<p>Use this code to finish signing up:</p>\n"
        '<p style="font-size: 32px; letter-spacing: 6px; font-weight: bold;">'
        f"{code}</p>\n"
        "<p>Or click the button below. The code expires in 10 minutes.</p>\n"
        f'<p><a href="https://example.com/verify?token={token}" '
        'style="background:#0b7a3e;color:#fff;padding:10px 16px;text-decoration:none;">'
        "Confirm my address</a></p>\n"
        '<p style="color:#888;font-size:12px;">If you did not ask for this, ignore this mail.</p>\n'
        "</td></tr></table>\n"
        "</td></tr></table>\n"
        "</body></html>\n"
    )
    return MailDraft(
        subject=f"Your verification code is {code}",
        from_name="Example Accounts",
        from_email="no-reply@accounts.example.com",
        content=body,
        html=True,
    )


def _with_attachments() -> MailDraft:
    text = (
        "Hello,\n"
        "\n"
        "Attached are the notes from Tuesday and the chart we talked about.\n"
        "\n"
        "Best,\n"
        "Priya\n"
    )
    return MailDraft(
        subject="Notes and chart from Tuesday",
        from_name="Priya Shah",
        from_email="priya.shah@example.net",
        content=text,
        html=False,
        attachments=(
            SandboxAttachment("notes.txt", NOTES_TXT.encode("utf-8"), "text/plain"),
            SandboxAttachment("chart.png", sample_png(), "image/png"),
        ),
    )
