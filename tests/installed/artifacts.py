"""The artifacts under test: what was built and installed, and the helpers that made them."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "tempmail_tui"
SCRIPT = "tempmail-tui"

# Variables that would let the checkout (or another interpreter's setup) leak into a child.
_LEAKY_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONUSERBASE")


@dataclass(frozen=True)
class Built:
    """The distributions built from a copy of the checkout."""

    #: The checkout's files that were copied for the build (relative POSIX paths).
    source_files: tuple[str, ...]
    sdist: Path
    wheel: Path
    log: str


@dataclass(frozen=True)
class Installed:
    """A fresh venv holding the wheel and its dependencies, and nothing of the checkout."""

    built: Built
    venv: Path
    python: Path
    #: The console script pip made for ``tempmail-tui``.
    script: Path
    #: Where the installed package's ``__init__.py`` is.
    package_init: Path


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without anything that points at the checkout."""
    env = {name: value for name, value in os.environ.items() if name not in _LEAKY_VARIABLES}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.update(extra or {})
    return env


def run_step(argv: list[str], what: str, *, cwd: Path, timeout: float = 600) -> str:
    """Run one build or install step; its output, or a test failure that shows that output."""
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            env=clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        output = error.stdout if isinstance(error.stdout, str) else ""
        pytest.fail(f"{what} took over {timeout:g} s: {argv}\n{output[-6000:]}", pytrace=False)
    if done.returncode != 0:
        pytest.fail(
            f"{what} failed (status {done.returncode}): {' '.join(argv)}\n{done.stdout[-8000:]}",
            pytrace=False,
        )
    return done.stdout


def checkout_files() -> tuple[str, ...]:
    """The working tree's files git would commit: tracked ones and new ones not ignored."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO_ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.fail(f"cannot list the checkout's files with git: {error}", pytrace=False)
    names = sorted({name for name in listed.decode("utf-8").split("\0") if name})
    # A tracked file deleted in the working tree is not part of what is being tested.
    return tuple(name for name in names if (REPO_ROOT / name).is_file())


def package_files(files: tuple[str, ...]) -> set[str]:
    """The package's own files among ``files``, without bytecode."""
    return {
        name
        for name in files
        if name.startswith(f"{PACKAGE}/")
        and "__pycache__" not in name.split("/")
        and not name.endswith((".pyc", ".pyo"))
    }


def isolated_env(root: Path) -> dict[str, str]:
    """The installed script's environment: private dirs under ``root``, no key, no keyring."""
    home = root / "home"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "TMPDIR": str(root / "tmp"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
    }
    for name in ("HOME", "TMPDIR"):
        Path(env[name]).mkdir(parents=True, exist_ok=True)
    return env


def logged_failures(root: Path) -> list[str]:
    """The error and traceback lines of every log the app wrote under ``root``."""
    found: list[str] = []
    for log in sorted(root.rglob("*.log")):
        for line in log.read_text("utf-8", "replace").splitlines():
            if re.search(r"\b(?:ERROR|CRITICAL)\b|Traceback", line):
                found.append(f"{log}: {line}")
    return found
