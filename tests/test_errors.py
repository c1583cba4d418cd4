"""The one error family: every public exception the package defines descends from TempMailError."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import tempmail_tui
from tempmail_tui.api.errors import ApiError
from tempmail_tui.core.config import ConfigError
from tempmail_tui.core.credentials import KeyStoreError
from tempmail_tui.core.savefile import SaveFileError
from tempmail_tui.core.store import StoreError
from tempmail_tui.errors import LocalError, TempMailError
from tempmail_tui.sandbox.errors import SandboxError


def _public_exceptions() -> dict[str, type[BaseException]]:
    """Every public exception class defined in a module of the package, by qualified name."""
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(tempmail_tui.__path__, "tempmail_tui."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
                and not name.startswith("_")
            ):
                found[f"{module.__name__}.{name}"] = value
    return found


def test_every_public_exception_is_in_the_family() -> None:
    exceptions = _public_exceptions()
    assert len(exceptions) > 15, "the walk found too few exceptions to mean anything"
    outside = sorted(name for name, cls in exceptions.items() if not issubclass(cls, TempMailError))
    assert outside == []


@pytest.mark.parametrize(
    "local", [StoreError, ConfigError, KeyStoreError, SaveFileError, SandboxError]
)
def test_local_failures_are_never_api_errors(local: type[Exception]) -> None:
    assert issubclass(local, LocalError)
    assert not issubclass(local, ApiError)


def test_api_errors_are_not_local() -> None:
    assert issubclass(ApiError, TempMailError)
    assert not issubclass(ApiError, LocalError)


def test_a_save_failure_is_still_an_os_error() -> None:
    # Callers that catch OSError around file work keep catching a refused save.
    assert issubclass(SaveFileError, OSError)
