"""Helpers that keep the API key out of logs, reprs and error messages."""

from __future__ import annotations

import re

# A conventional key prefix such as "tmk_" names the kind of key, not the key itself.
# As text: compiled (and cached by re) on first use, not when the package loads.
_PREFIX = r"[a-z]{2,5}_"

# Below this length even the last four characters would give away too much of the key.
_MIN_LEN_FOR_TAIL = 20


def mask_secret(secret: str) -> str:
    """A display form of a secret that shows at most its prefix and last four characters."""
    if not secret:
        return "<empty>"
    if len(secret) < _MIN_LEN_FOR_TAIL:
        return "…"
    prefix_match = re.match(_PREFIX, secret)
    prefix = prefix_match.group(0) if prefix_match else ""
    return f"{prefix}…{secret[-4:]}"


# Every secret this process has handled, so log output can be scrubbed of them all.
_KNOWN: set[str] = set()


def remember_secret(secret: str) -> None:
    """Note a secret so that ``scrub`` hides it (and its encoded forms) wherever it appears."""
    if secret:
        _KNOWN.add(secret)


def scrub(text: str) -> str:
    """The text with every remembered secret, plain, base64 or URL-encoded, masked."""
    if not _KNOWN:
        return text
    import base64
    from urllib.parse import quote

    for secret in _KNOWN:
        masked = mask_secret(secret)
        for form in (secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode()):
            if form in text:
                text = text.replace(form, masked)
    return text


def redact(text: str, secret: str) -> str:
    """The text with every occurrence of the secret replaced by its masked form."""
    if not secret or secret not in text:
        return text
    return text.replace(secret, mask_secret(secret))


class Secret:
    """A string that only reveals itself when asked, so it never shows up in a repr by accident."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        remember_secret(value)

    def reveal(self) -> str:
        """The secret value itself, for the one place that must send it."""
        return self._value

    @property
    def masked(self) -> str:
        """The masked display form of the secret."""
        return mask_secret(self._value)

    def __repr__(self) -> str:
        return f"Secret({self.masked!r})"

    def __str__(self) -> str:
        return self.masked

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._value == other._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        # Pickling would write the key wherever the pickle goes.
        raise TypeError("Secret values cannot be pickled")
