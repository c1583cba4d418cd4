"""Session fixtures: the sdist and wheel built from the checkout, and a venv with the wheel."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .artifacts import (
    PACKAGE,
    REPO_ROOT,
    SCRIPT,
    Built,
    Installed,
    checkout_files,
    run_step,
)

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep the installed-package tests on one xdist worker: they share one built wheel."""
    for item in items:
        if _HERE in item.path.parents:
            item.add_marker(pytest.mark.xdist_group("installed"))


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Build the sdist, then the wheel from that sdist, out of a copy of the checkout."""
    if importlib.util.find_spec("build") is None:
        pytest.fail(
            "the `build` package is not in the dev venv: run `make install` "
            "(it is in the dev extra)",
            pytrace=False,
        )
    root = tmp_path_factory.mktemp("build")
    source, out = root / "src", root / "dist"
    files = checkout_files()
    for name in files:
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, target, follow_symlinks=False)
    # No --sdist/--wheel: build's default makes the wheel from the unpacked sdist, so a file
    # missing from the sdist is missing from the wheel too and the tests see it.
    log = run_step(
        [sys.executable, "-m", "build", "--outdir", str(out), str(source)],
        "building the sdist and the wheel",
        cwd=root,
    )
    sdists, wheels = sorted(out.glob("*.tar.gz")), sorted(out.glob("*.whl"))
    if len(sdists) != 1 or len(wheels) != 1:
        pytest.fail(f"expected one sdist and one wheel in {out}, got {sdists + wheels}\n{log}")
    return Built(files, sdists[0], wheels[0], log)


@pytest.fixture(scope="session")
def installed(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """A new venv with the wheel pip-installed (dependencies from the index), checked clean."""
    root = tmp_path_factory.mktemp("installed")
    venv = root / "venv"
    run_step([sys.executable, "-m", "venv", str(venv)], "creating a venv", cwd=root)
    python = venv / "bin" / "python"
    run_step(
        [str(python), "-m", "pip", "install", str(built.wheel)], "installing the wheel", cwd=root
    )
    script = venv / "bin" / SCRIPT
    if not script.is_file():
        pytest.fail(f"pip made no {SCRIPT} console script in {script.parent}", pytrace=False)
    # From an empty directory with a clean environment: the checkout cannot be on sys.path.
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    where = run_step(
        [str(python), "-c", f"import {PACKAGE}; print({PACKAGE}.__file__)"],
        "importing the installed package",
        cwd=elsewhere,
    )
    package_init = Path(where.strip().splitlines()[-1]).resolve()
    site_packages = {path.resolve() for path in venv.glob("lib/python*/site-packages")}
    if not any(package_init.is_relative_to(site) for site in site_packages):
        pytest.fail(
            f"{PACKAGE} was imported from {package_init}, not from the venv's site-packages "
            f"{sorted(map(str, site_packages))}",
            pytrace=False,
        )
    yield Installed(built, venv, python, script, package_init)
    # 80 MB a session, and pytest keeps the last three sessions' directories: the wheel stays
    # for a look afterwards, the venv is made again from it in seconds.
    shutil.rmtree(venv, ignore_errors=True)
