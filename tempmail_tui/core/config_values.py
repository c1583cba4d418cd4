"""How each setting's value is checked, and how a bad one is quoted in the message."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from tempmail_tui.errors import LocalError

_MAX_SHOWN = 60


class ConfigError(LocalError):
    """A setting is invalid; the message is one line naming where it came from."""


def shown(value: object) -> str:
    """A value from config.toml as a message quotes it: escaped and cut short."""
    # repr escapes control characters, and the cut keeps a pasted novel off the screen.
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def shown_name(name: str) -> str:
    """A setting's name as a message quotes it: bare when it is a plain identifier."""
    return name if name.isidentifier() and name.isascii() else shown(name)


def _number(value: object, where: str) -> float:
    if isinstance(value, bool):
        raise ConfigError(f"{where} must be a number, not {shown(value)}")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise ConfigError(f"{where} must be a number, not {shown(value)}") from None
    else:
        raise ConfigError(f"{where} must be a number, not {shown(value)}")
    if not math.isfinite(number):
        raise ConfigError(f"{where} must be a finite number, not {shown(value)}")
    return number


def _seconds(minimum: float, *, inclusive: bool) -> Callable[[object, str], object]:
    def parse(value: object, where: str) -> object:
        number = _number(value, where)
        if number < minimum or (not inclusive and number == minimum):
            bound = f"at least {minimum:g}" if inclusive else f"more than {minimum:g}"
            raise ConfigError(f"{where} must be {bound} seconds, not {shown(value)}")
        return number

    return parse


def _fraction(value: object, where: str) -> object:
    number = _number(value, where)
    if not 0 <= number < 1:
        raise ConfigError(f"{where} must be at least 0 and below 1, not {shown(value)}")
    return number


def _boolean(value: object, where: str) -> object:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false, not {shown(value)}")
    return value


def _path(value: object, where: str) -> object:
    if isinstance(value, Path):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise ConfigError(f"{where} must be a path, not {shown(value)}")
    if not text or "\x00" in text:
        raise ConfigError(f"{where} must be a path, not {shown(value)}")
    return Path(text).expanduser()


def _url(value: object, where: str) -> object:
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be an http:// or https:// URL, not {shown(value)}")
    text = value.strip()
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise ConfigError(f"{where} must be a URL without spaces or control characters")
    try:
        parts = urlsplit(text)
        # urlsplit checks the port only when it is read.
        _ = parts.port
    except ValueError:
        raise ConfigError(f"{where} is not a valid URL: {shown(text)}") from None
    if parts.username is not None or parts.password is not None:
        # Not echoed: it would put the password on the screen.
        raise ConfigError(f"{where} must not contain a user name or password")
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where} must be an http:// or https:// URL, not {shown(text)}")
    if parts.query or parts.fragment:
        raise ConfigError(f"{where} must not have a ?query or #fragment: {shown(text)}")
    return text.rstrip("/")


def sends_key_in_clear(url: str) -> bool:
    """Whether a request to this URL would carry the API key unencrypted off this machine."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "http":
        return False
    import ipaddress

    host = parts.hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


# Patterns as text: re compiles (and caches) one on its first use, not at start-up.
_THEME_NAME = r"[a-z0-9][a-z0-9_-]{0,63}"


def _theme(value: object, where: str) -> object:
    if not isinstance(value, str) or not re.fullmatch(_THEME_NAME, value.strip()):
        raise ConfigError(f'{where} must be a theme name such as "nord", not {shown(value)}')
    return value.strip()


# How each setting is validated, whichever layer it comes from.
SETTINGS: Mapping[str, Callable[[object, str], object]] = {
    "base_url": _url,
    "download_dir": _path,
    "poll_interval": _seconds(1.0, inclusive=True),
    "background_interval": _seconds(0.0, inclusive=False),
    "reserve_fraction": _fraction,
    "bell": _boolean,
    "desktop_notifications": _boolean,
    "timeout": _seconds(0.0, inclusive=False),
    "theme": _theme,
}
