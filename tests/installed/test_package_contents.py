"""What users install: the wheel and the sdist hold the whole package and nothing of the tests."""

from __future__ import annotations

import configparser
import tarfile
import zipfile

import pytest

from .artifacts import PACKAGE, SCRIPT, Built, package_files

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def wheel_sizes(built: Built) -> dict[str, int]:
    """Every file in the wheel with its size."""
    with zipfile.ZipFile(built.wheel) as wheel:
        return {info.filename: info.file_size for info in wheel.infolist() if not info.is_dir()}


def sdist_names(built: Built) -> set[str]:
    """Every file in the sdist, relative to its top directory."""
    with tarfile.open(built.sdist) as sdist:
        return {
            member.name.partition("/")[2] for member in sdist.getmembers() if not member.isdir()
        }


def test_wheel_listing(built: Built) -> None:
    """Print the wheel's files and sizes (shown with ``pytest -s``)."""
    sizes = wheel_sizes(built)
    print(f"\n{built.wheel.name}: {len(sizes)} files, {built.wheel.stat().st_size:,} bytes")
    for name, size in sorted(sizes.items()):
        print(f"  {size:>9,}  {name}")
    assert sizes


def test_wheel_has_every_package_file(built: Built) -> None:
    """Every file of the package in the checkout, Python or not, is in the wheel."""
    wanted = package_files(built.source_files)
    missing = sorted(wanted - set(wheel_sizes(built)))
    non_python = sorted(name for name in missing if not name.endswith(".py"))
    assert not missing, f"not in the wheel: {missing} (data files among them: {non_python})"


def test_wheel_has_nothing_else(built: Built) -> None:
    """The wheel holds the package and its metadata only: no tests, benchmarks or strays."""
    names = set(wheel_sizes(built))
    dist_info = f"{PACKAGE}-"
    strays = sorted(
        name
        for name in names
        if not (name.startswith(f"{PACKAGE}/") or name.split("/")[0].startswith(dist_info))
    )
    assert not strays, f"files outside the package in the wheel: {strays}"
    from_tests = sorted(name for name in names if "tests" in name.split("/")[:-1])
    assert not from_tests, f"test files in the wheel: {from_tests}"
    ours = package_files(built.source_files)
    extra = sorted(name for name in names if name.startswith(f"{PACKAGE}/") and name not in ours)
    assert not extra, f"files in the wheel that the checkout does not have: {extra}"


def test_wheel_console_script(built: Built) -> None:
    """The wheel declares the console script and the pytest plugin's entry point."""
    with zipfile.ZipFile(built.wheel) as wheel:
        entry_points = [
            name for name in wheel.namelist() if name.endswith(".dist-info/entry_points.txt")
        ]
        assert len(entry_points) == 1, f"entry_points.txt in the wheel: {entry_points}"
        text = wheel.read(entry_points[0]).decode("utf-8")
    parser = configparser.ConfigParser()
    parser.read_string(text)
    assert parser.has_section("console_scripts"), text
    assert parser.get("console_scripts", SCRIPT, fallback=None) == f"{PACKAGE}.console:main", text
    assert parser.get("pytest11", "tempmail", fallback=None) == f"{PACKAGE}.pytest_plugin", text


def test_sdist_has_the_package_and_no_tests(built: Built) -> None:
    """The sdist holds every package file and what building needs, and no test at all."""
    names = sdist_names(built)
    print(f"\n{built.sdist.name}: {len(names)} files")
    for name in sorted(names):
        print(f"  {name}")
    missing = sorted(package_files(built.source_files) - names)
    assert not missing, f"package files not in the sdist: {missing}"
    needed = {"pyproject.toml", "README.md", "PKG-INFO"}
    assert needed <= names, f"not in the sdist: {sorted(needed - names)}"
    from_tests = sorted(name for name in names if name.split("/")[0] == "tests")
    assert not from_tests, f"test files in the sdist (MANIFEST.in should prune tests): {from_tests}"
