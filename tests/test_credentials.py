"""Tests for API-key lookup and storage against real keyring backends."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.errors import InitError, PasswordDeleteError

from tempmail_tui.core import credentials

CANARY = "canarykey-7f3a9c2e41d84b6f9a0e5c1d2b3a4f5e"
OTHER = "otherkey-0000111122223333444455556666"


class MemoryKeyring(KeyringBackend):
    """A complete in-memory keyring backend; never chosen automatically."""

    # Below the fail backend's 0, so keyring never picks it on its own.
    priority = -10.0

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring's __init__ is unannotated
        self.entries: dict[tuple[str, str], str] = {}
        self.reads = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.reads += 1
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.entries[(service, username)]
        except KeyError:
            raise PasswordDeleteError("not found") from None


class LockedKeyring(MemoryKeyring):
    """A secret service that cannot be unlocked (gnome-keyring with no display)."""

    def get_password(self, service: str, username: str) -> str | None:
        raise InitError("Failed to unlock the collection: Prompt dismissed")


class LeakyKeyring(MemoryKeyring):
    """A backend whose write failure quotes the secret in its message."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError(f"D-Bus said no to storing {password!r}")


class ForgetfulKeyring(MemoryKeyring):
    """A backend that accepts writes and keeps nothing."""

    def set_password(self, service: str, username: str, password: str) -> None:
        return None


class PlaintextKeyring(MemoryKeyring):
    """Stands for keyrings.alt's base64-only file backend, which is not installed here."""


PlaintextKeyring.__module__ = "keyrings.alt.file"


@pytest.fixture
def use_backend() -> Iterator[None]:
    """Restore whatever keyring backend was active before the test."""
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def memory(use_backend: None) -> MemoryKeyring:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


def _install(backend: KeyringBackend) -> None:
    keyring.set_keyring(backend)


def test_environment_comes_before_the_keyring(memory: MemoryKeyring) -> None:
    memory.set_password(credentials.KEYRING_SERVICE, credentials.KEYRING_USERNAME, OTHER)
    found = credentials.lookup_api_key({"TEMPMAIL_API_KEY": f"  {CANARY}\n"})
    assert (found.key, found.source, found.problem) == (CANARY, "env", None)
    assert memory.reads == 0


def test_keyring_is_used_when_the_environment_is_empty(memory: MemoryKeyring) -> None:
    memory.set_password(credentials.KEYRING_SERVICE, credentials.KEYRING_USERNAME, CANARY)
    found = credentials.lookup_api_key({"TEMPMAIL_API_KEY": "   "})
    assert (found.key, found.source, found.problem) == (CANARY, "keyring", None)


def test_nothing_stored_is_not_a_problem(memory: MemoryKeyring) -> None:
    assert credentials.lookup_api_key({}) == credentials.KeyLookup(None, None, None)


def test_unusable_environment_key_is_reported_without_falling_back(
    memory: MemoryKeyring,
) -> None:
    memory.set_password(credentials.KEYRING_SERVICE, credentials.KEYRING_USERNAME, OTHER)
    found = credentials.lookup_api_key({"TEMPMAIL_API_KEY": "canary key\x1b]52;c;x"})
    assert found.key is None
    assert found.problem is not None
    assert "TEMPMAIL_API_KEY" in found.problem
    assert "canary" not in found.problem


def test_fail_backend_gives_a_clear_problem(use_backend: None) -> None:
    _install(fail.Keyring())  # type: ignore[no-untyped-call]
    found = credentials.lookup_api_key({})
    assert found.key is None
    assert found.problem == credentials.NO_BACKEND
    usable, description = credentials.keyring_available()
    assert not usable
    assert "no keyring backend" in description


def test_fail_backend_store_raises_with_advice(use_backend: None) -> None:
    _install(fail.Keyring())  # type: ignore[no-untyped-call]
    with pytest.raises(credentials.KeyStoreError) as caught:
        credentials.store_api_key(CANARY)
    message = str(caught.value)
    assert "no keyring backend" in message
    assert "TEMPMAIL_API_KEY" in message
    assert "keyrings.alt" in message
    assert CANARY not in message and CANARY not in repr(caught.value)
    with pytest.raises(credentials.KeyStoreError):
        credentials.clear_api_key()


def test_store_lookup_and_clear_round_trip(memory: MemoryKeyring) -> None:
    credentials.store_api_key(CANARY)
    assert memory.entries == {(credentials.KEYRING_SERVICE, credentials.KEYRING_USERNAME): CANARY}
    assert credentials.lookup_api_key({}).key == CANARY
    assert credentials.keyring_available()[0]
    assert credentials.clear_api_key() is True
    assert memory.entries == {}
    assert credentials.clear_api_key() is False


def test_locked_keyring_is_a_status_not_a_crash(use_backend: None) -> None:
    _install(LockedKeyring())
    found = credentials.lookup_api_key({})
    assert found.key is None
    assert found.problem == (
        "the keyring could not be opened: Failed to unlock the collection: Prompt dismissed"
    )


def test_backend_errors_never_carry_the_key(use_backend: None) -> None:
    _install(LeakyKeyring())
    with pytest.raises(credentials.KeyStoreError) as caught:
        credentials.store_api_key(CANARY)
    message = str(caught.value)
    assert "RuntimeError" in message
    assert CANARY not in message
    assert CANARY[:-4] not in message


def test_a_backend_that_drops_writes_is_caught(use_backend: None) -> None:
    _install(ForgetfulKeyring())
    with pytest.raises(credentials.KeyStoreError, match="did not keep it"):
        credentials.store_api_key(CANARY)


def test_null_backend_refuses_to_store(use_backend: None) -> None:
    _install(null.Keyring())  # type: ignore[no-untyped-call]
    with pytest.raises(credentials.KeyStoreError, match="turned off"):
        credentials.store_api_key(CANARY)


def test_invalid_key_is_refused_before_the_keyring(memory: MemoryKeyring) -> None:
    with pytest.raises(ValueError, match="spaces"):
        credentials.store_api_key("two words")
    assert memory.entries == {}


def test_plaintext_backend_is_flagged_insecure(use_backend: None) -> None:
    _install(PlaintextKeyring())
    info = credentials.describe_keyring()
    assert info.usable and info.insecure
    assert "INSECURE" in info.description
    assert "keyrings.alt.file.PlaintextKeyring" in info.description


def test_real_backend_is_described_by_name(memory: MemoryKeyring) -> None:
    info = credentials.describe_keyring()
    assert info.usable and not info.insecure
    assert "MemoryKeyring" in info.description


def test_corrupt_keyring_entry_is_reported(memory: MemoryKeyring) -> None:
    memory.set_password(credentials.KEYRING_SERVICE, credentials.KEYRING_USERNAME, "bad\nkey")
    found = credentials.lookup_api_key({})
    assert found.key is None
    assert found.problem is not None and "stored in the keyring" in found.problem


def test_key_never_in_repr_and_mask_hides_it() -> None:
    found = credentials.KeyLookup(CANARY, "env", None)
    assert CANARY not in repr(found)
    masked = credentials.mask_key(CANARY)
    assert CANARY[:-4] not in masked
    assert masked.endswith(CANARY[-4:])


@pytest.mark.parametrize(
    ("candidate", "ok"),
    [(CANARY, True), ("", False), ("a b", False), ("tab\tkey", False), ("ключ", False)],
)
def test_key_problem(candidate: str, ok: bool) -> None:
    assert (credentials.key_problem(candidate) is None) is ok
