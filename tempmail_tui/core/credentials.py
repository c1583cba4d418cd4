"""Where the Temp Mail API key comes from: the environment first, then the OS keyring."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from tempmail_tui.api.secrets import remember_secret
from tempmail_tui.errors import LocalError

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

#: The environment variable read before the keyring.
ENV_VAR = "TEMPMAIL_API_KEY"
#: The keyring entry the key is stored under.
KEYRING_SERVICE = "tempmail-tui"
KEYRING_USERNAME = "api-key"

#: What to do when the keyring cannot hold the key.
ADVICE = (
    f"set {ENV_VAR} in your shell profile, or install a keyring backend "
    "(e.g. gnome-keyring / `pip install keyrings.alt` — plaintext)"
)

NO_BACKEND = "no keyring backend is available (usual over SSH)"

# Real keys are a few dozen characters; anything far longer is a paste accident.
_MAX_KEY_LENGTH = 4096
# As text: compiled (and cached by re) on the first keyring error, not at start-up.
_CONTROL = r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+"
_MAX_DETAIL = 160

KeySource = Literal["env", "keyring"]


class KeyStoreError(LocalError):
    """The keyring could not store or remove the key; the message carries advice."""


@dataclass(frozen=True)
class KeyLookup:
    """The outcome of looking for the API key: the key, where it came from, or why none."""

    key: str | None = field(repr=False)
    source: KeySource | None
    problem: str | None

    def __post_init__(self) -> None:
        # A key found anywhere is kept out of the log from this moment on.
        if self.key:
            remember_secret(self.key)


@dataclass(frozen=True)
class KeyringInfo:
    """What the keyring backend is and whether it can be trusted with the key."""

    usable: bool
    description: str
    insecure: bool = False


def mask_key(key: str) -> str:
    """A form of the key safe to show: at most a short prefix and its last four characters."""
    # Imported here: the api package loads its models, which --help does not need.
    from tempmail_tui.api.secrets import mask_secret

    return mask_secret(key)


def key_problem(key: str) -> str | None:
    """Why a string cannot be an API key, or None if it can."""
    if not key:
        return "the API key is empty"
    if len(key) > _MAX_KEY_LENGTH:
        return "the API key is far too long"
    # It travels in an HTTP header: whitespace, controls and non-ASCII would break it.
    if not all(33 <= ord(ch) <= 126 for ch in key):
        return "the API key contains spaces, control characters or non-ASCII characters"
    return None


def lookup_api_key(environ: Mapping[str, str]) -> KeyLookup:
    """Find the key: TEMPMAIL_API_KEY first, then the OS keyring, else none."""
    found = env_api_key(environ)
    if found.key is not None or found.problem is not None:
        # A key set but unusable is reported, not skipped: falling back would hide the mistake.
        return found
    return read_keyring_key()


def env_api_key(environ: Mapping[str, str]) -> KeyLookup:
    """Read the key from TEMPMAIL_API_KEY only; an empty variable counts as unset."""
    raw = environ.get(ENV_VAR, "").strip()
    if not raw:
        return KeyLookup(None, None, None)
    problem = key_problem(raw)
    if problem is not None:
        return KeyLookup(None, None, f"{ENV_VAR} is set but unusable: {problem}")
    return KeyLookup(raw, "env", None)


def read_keyring_key() -> KeyLookup:
    """Read the key from the OS keyring only, turning every failure into a problem text."""
    backend, problem = _backend()
    if backend is None:
        return KeyLookup(None, None, problem)
    try:
        stored = backend.get_password(KEYRING_SERVICE, KEYRING_USERNAME)
    except Exception as exc:  # Backends raise anything (D-Bus, OS errors); none may crash us.
        return KeyLookup(None, None, describe_keyring_error(exc))
    if stored is None:
        return KeyLookup(None, None, None)
    if not isinstance(stored, str):
        return KeyLookup(None, None, "the keyring returned something that is not text")
    stored = stored.strip()
    bad = key_problem(stored)
    if bad is not None:
        return KeyLookup(None, None, f"the key stored in the keyring is unusable: {bad}")
    return KeyLookup(stored, "keyring", None)


def describe_keyring() -> KeyringInfo:
    """Describe the keyring backend in use, flagging missing, disabled and plaintext ones."""
    backend, problem = _backend()
    if backend is None:
        return KeyringInfo(False, problem or NO_BACKEND)
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring):
        return KeyringInfo(False, NO_BACKEND)
    if isinstance(backend, null.Keyring):
        return KeyringInfo(False, "the keyring is turned off (null backend)")
    members: list[KeyringBackend] = [backend]
    name = _backend_name(backend)
    if isinstance(backend, chainer.ChainerBackend):
        try:
            members = list(backend.backends)
        except Exception as exc:  # Discovering chained backends runs third-party code.
            return KeyringInfo(False, describe_keyring_error(exc))
        if not members:
            return KeyringInfo(False, NO_BACKEND)
        name = "chain of " + ", ".join(_backend_name(member) for member in members)
    if any(_is_plaintext(member) for member in members):
        return KeyringInfo(
            True,
            f"{name} — INSECURE: keyrings.alt's plaintext file only base64-encodes the key",
            insecure=True,
        )
    return KeyringInfo(True, name)


def keyring_available() -> tuple[bool, str]:
    """Whether a keyring can hold the key, and a human description of the backend or problem."""
    info = describe_keyring()
    return info.usable, info.description


def store_api_key(key: str) -> None:
    """Store the key in the OS keyring, raising KeyStoreError with advice when it cannot."""
    bad = key_problem(key)
    if bad is not None:
        raise ValueError(bad)
    info = describe_keyring()
    if not info.usable:
        raise KeyStoreError(f"cannot store the API key: {info.description}; {ADVICE}")
    backend, problem = _backend()
    if backend is None:
        raise KeyStoreError(f"cannot store the API key: {problem}; {ADVICE}")
    try:
        backend.set_password(KEYRING_SERVICE, KEYRING_USERNAME, key)
        # Some backends accept a write and drop it; reading back is the only proof.
        kept = backend.get_password(KEYRING_SERVICE, KEYRING_USERNAME)
    except Exception as exc:  # Backends raise anything; report it without the key.
        detail = describe_keyring_error(exc, secret=key)
        raise KeyStoreError(f"cannot store the API key: {detail}; {ADVICE}") from None
    if kept != key:
        raise KeyStoreError(
            f"cannot store the API key: the keyring accepted it but did not keep it; {ADVICE}"
        )


def clear_api_key() -> bool:
    """Remove the key from the OS keyring; True if one was there and is now gone."""
    backend, problem = _backend()
    if backend is None:
        raise KeyStoreError(f"cannot reach the keyring: {problem}")
    from keyring.errors import PasswordDeleteError

    try:
        if backend.get_password(KEYRING_SERVICE, KEYRING_USERNAME) is None:
            return False
        backend.delete_password(KEYRING_SERVICE, KEYRING_USERNAME)
    except PasswordDeleteError:
        return False
    except Exception as exc:  # Backends raise anything; report it plainly.
        raise KeyStoreError(f"cannot remove the API key: {describe_keyring_error(exc)}") from None
    return True


def describe_keyring_error(exc: BaseException, *, secret: str | None = None) -> str:
    """A one-line, key-free explanation of an exception raised by the keyring."""
    if isinstance(exc, ImportError):
        return "the keyring library is not installed"
    from keyring import errors

    if isinstance(exc, errors.NoKeyringError):
        return NO_BACKEND
    detail = _clean_detail(str(exc), secret)
    if isinstance(exc, errors.KeyringLocked):
        return _join("the keyring is locked", detail)
    if isinstance(exc, errors.InitError):
        return _join("the keyring could not be opened", detail)
    if isinstance(exc, errors.PasswordSetError):
        return _join("the keyring refused to store the key", detail)
    if isinstance(exc, errors.KeyringError):
        return _join("the keyring failed", detail)
    return _join(f"the keyring backend failed ({type(exc).__name__})", detail)


def _join(summary: str, detail: str) -> str:
    return f"{summary}: {detail}" if detail else summary


def _clean_detail(text: str, secret: str | None) -> str:
    if secret:
        from tempmail_tui.api.secrets import redact

        text = redact(text, secret)
    text = re.sub(_CONTROL, " ", text).strip()
    if len(text) > _MAX_DETAIL:
        text = text[: _MAX_DETAIL - 1] + "…"
    return text


def _backend() -> tuple[KeyringBackend | None, str | None]:
    # Imported here: keyring costs ~80 ms and most runs never need it before the first frame.
    try:
        import keyring
    except ImportError as exc:
        return None, describe_keyring_error(exc)
    try:
        # Choosing a backend runs PYTHON_KEYRING_BACKEND and keyringrc.cfg, which can both fail.
        return keyring.get_keyring(), None
    except Exception as exc:
        detail = _join(type(exc).__name__, _clean_detail(str(exc), None))
        return None, f"the configured keyring backend cannot be loaded ({detail})"


def _backend_name(backend: KeyringBackend) -> str:
    cls = type(backend)
    try:
        name = str(cls.name)
    except Exception:  # A third-party classproperty; the class path is enough.
        name = cls.__name__
    return f"{name} ({cls.__module__}.{cls.__qualname__})"


def _is_plaintext(backend: KeyringBackend) -> bool:
    # keyrings.alt names its base64-only backends Plaintext*, in more than one module.
    return "Plaintext" in type(backend).__name__
