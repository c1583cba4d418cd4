"""Checks on what callers hand the client, and the URLs built from what passes them."""

from __future__ import annotations

import ipaddress
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from .errors import InputError

_MAX_SEGMENT_LEN = 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters that would change the meaning of a URL path, whatever the encoding.
_PATH_BREAKERS = frozenset("/?#\\")


def unsafe_char(char: str) -> bool:
    """Whether a character is whitespace, a control, a format character or a lone surrogate."""
    return char.isspace() or unicodedata.category(char) in {"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"}


def check_segment(value: object, what: str, *, allow_spaces: bool = False) -> str:
    """A value that is safe to percent-encode as one URL path segment, or InputError."""
    if not isinstance(value, str):
        raise InputError(f"Invalid {what}: not a string")
    if not value or value in {".", ".."}:
        raise InputError(f"Invalid {what}: empty or a dot segment")
    if len(value) > _MAX_SEGMENT_LEN:
        raise InputError(f"Invalid {what}: too long")
    for char in value:
        if char in _PATH_BREAKERS:
            raise InputError(f"Invalid {what}: contains {char!r}")
        if allow_spaces and char == " ":
            continue
        if unsafe_char(char):
            raise InputError(f"Invalid {what}: contains whitespace or control characters")
    return value


def check_email(value: object, what: str = "email address") -> str:
    """A loosely valid ``local@domain`` address, or InputError."""
    email = check_segment(value, what)
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain:
        raise InputError(f"Invalid {what}: expected local@domain")
    return email


def check_api_key(api_key: object) -> str:
    """An API key that can travel in an HTTP header; the error never shows the key itself."""
    if not isinstance(api_key, str) or not api_key:
        raise InputError("The API key is empty")
    if not all("\x21" <= char <= "\x7e" for char in api_key):
        raise InputError("The API key contains spaces, controls or non-ASCII characters")
    return api_key


def is_loopback(host: str) -> bool:
    """Whether a host name or address is the local machine."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Origin:
    """The scheme, host and port the key may be sent to."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: httpx.URL) -> Origin:
        """The origin of a URL, with default ports made explicit."""
        scheme = url.scheme.lower()
        return cls(scheme, url.host.lower(), url.port or _DEFAULT_PORTS.get(scheme, -1))


def parse_url(text: str) -> httpx.URL | None:
    """The URL, or None when httpx cannot parse it (the caller raises, unchained)."""
    try:
        return httpx.URL(text)
    except Exception:
        return None


def normalise_base_url(base_url: object, *, allow_http: bool) -> httpx.URL:
    """The base URL without trailing slashes, or InputError when it cannot be an API root."""
    if not isinstance(base_url, str) or not base_url.strip():
        raise InputError("The API base URL is empty")
    url = parse_url(base_url.strip().rstrip("/"))
    if url is None:
        raise InputError("The API base URL is not a valid URL")
    scheme = url.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not url.host:
        raise InputError("The API base URL must be an http(s) URL with a host")
    if url.userinfo or url.query or url.fragment:
        raise InputError("The API base URL must not carry credentials, a query or a fragment")
    if scheme == "http" and not (allow_http or is_loopback(url.host)):
        # The key would cross the network in clear text.
        raise InputError("The API base URL must use https (http is allowed only on loopback)")
    return url


def api_url(base_url: str, segments: list[str]) -> httpx.URL:
    """The URL of an API path, each segment percent-encoded (so ``@`` becomes ``%40``)."""
    return httpx.URL(base_url + "/" + "/".join(quote(s, safe="") for s in segments))


def attachment_url(
    base_url: str, origin: Origin, message_id: str, name: str, url: str | None
) -> httpx.URL:
    """Where to fetch an attachment from, refusing any URL off the API's origin."""
    if url:
        if not isinstance(url, str) or any(unsafe_char(c) and c != " " for c in url):
            raise InputError("Invalid attachment URL")
        target = parse_url(url)
        if target is None:
            raise InputError("Invalid attachment URL")
        if not target.is_absolute_url or target.userinfo or Origin.of(target) != origin:
            raise InputError(
                "The attachment URL points outside the API's origin; refusing to send the key"
            )
        return target.copy_with(fragment=None)
    return api_url(
        base_url,
        [
            "messages",
            check_segment(message_id, "message id"),
            "attachments",
            check_segment(name, "attachment name", allow_spaces=True),
        ],
    )
