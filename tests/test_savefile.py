"""Tests of attachment saving: safe names, no overwrite, no symlink following, no leftovers."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tempmail_tui.core import savefile
from tempmail_tui.core.savefile import (
    AtomicDownload,
    SaveFileError,
    SizeMismatchError,
    free_name,
    safe_filename,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../.bashrc", "bashrc"),
        ("/etc/passwd", "passwd"),
        ("..\\..\\x.bat", "x.bat"),
        ("C:\\Windows\\System32\\evil.dll", "evil.dll"),
        ("dir/", "attachment"),
        ("", "attachment"),
        (".", "attachment"),
        ("..", "attachment"),
        ("...", "attachment"),
        ("  . ", "attachment"),
        (None, "attachment"),
        ("nul\x00byte.txt", "nulbyte.txt"),
        ("tab\tand\nnewline.txt", "tab and newline.txt"),
        ("\u202etxt.exe", "txt.exe"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("zero\u200bwidth\ufeff.doc", "zerowidth.doc"),
        ("\x1b]0;title\x07clean.txt", "clean.txt"),
        ('a<b>c:d"e|f?g*h.txt', "a_b_c_d_e_f_g_h.txt"),
        ("trailing dots... ", "trailing dots"),
        ("CON.txt", "_CON.txt"),
        ("lpt1", "_lpt1"),
        ("Résumé 東京 😀.pdf", "Résumé 東京 😀.pdf"),
        (b"bytes.bin", "bytes.bin"),
    ],
)
def test_safe_filename(raw: object, expected: str) -> None:
    assert safe_filename(raw) == expected


def test_safe_filename_fallback_is_made_safe_too() -> None:
    assert safe_filename("", fallback="message-1.eml") == "message-1.eml"
    assert safe_filename("..", fallback="../evil") == "evil"
    assert safe_filename("..", fallback="..") == "attachment"


def test_long_names_are_cut_to_200_bytes_keeping_the_extension() -> None:
    name = "a" * 300 + ".pdf"
    safe = safe_filename(name)
    assert safe == "a" * 196 + ".pdf"
    # Multi-byte characters are never split.
    wide = safe_filename("é" * 300 + ".tar.gz")
    assert wide.endswith(".tar.gz")
    assert len(wide.encode("utf-8")) <= 200
    assert wide == "é" * 96 + ".tar.gz"
    # An absurd "extension" is not kept whole at the expense of the name.
    odd = safe_filename("name." + "x" * 300)
    assert len(odd.encode("utf-8")) <= 200 and odd.startswith("name.")


@given(st.text())
def test_safe_filename_never_yields_a_path(raw: str) -> None:
    safe = safe_filename(raw)
    assert safe
    assert "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert safe not in (".", "..")
    assert not safe.startswith((".", " ")) and not safe.endswith((".", " "))
    assert len(safe.encode("utf-8")) <= 200
    assert not any(c in safe for c in '<>:"|?*')
    assert safe_filename(safe) == safe  # idempotent


def test_free_name(tmp_path: Path) -> None:
    assert free_name(tmp_path, "a.txt") == "a.txt"
    (tmp_path / "a.txt").write_bytes(b"")
    (tmp_path / "a (1).txt").write_bytes(b"")
    assert free_name(tmp_path, "a.txt") == "a (2).txt"
    (tmp_path / "dangling").symlink_to(tmp_path / "missing")
    assert free_name(tmp_path, "dangling") == "dangling (1)"
    assert free_name(tmp_path, "../a.txt") == "a (2).txt"


def listing(directory: Path) -> list[str]:
    return sorted(os.listdir(directory))


def save(directory: Path, name: str, data: bytes, expected: int | None = None) -> Path:
    with AtomicDownload(directory, name, expected_size=expected) as out:
        for start in range(0, len(data), 7):
            out.write(data[start : start + 7])
        return out.commit()


def test_saves_byte_identical_private_file(tmp_path: Path) -> None:
    data = bytes(range(256)) * 40
    path = save(tmp_path, "../../data.bin", data, expected=len(data))
    assert path == tmp_path.resolve() / "data.bin"
    assert path.read_bytes() == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert listing(tmp_path) == ["data.bin"]  # no temporary file left


def test_existing_name_gets_a_number(tmp_path: Path) -> None:
    (tmp_path / "report.pdf").write_bytes(b"original")
    first = save(tmp_path, "report.pdf", b"one")
    second = save(tmp_path, "report.pdf", b"two")
    assert (first.name, second.name) == ("report (1).pdf", "report (2).pdf")
    assert (tmp_path / "report.pdf").read_bytes() == b"original"
    assert first.read_bytes() == b"one" and second.read_bytes() == b"two"
    archive = save(tmp_path, "x.tar.gz", b"a")
    again = save(tmp_path, "x.tar.gz", b"b")
    assert (archive.name, again.name) == ("x.tar.gz", "x (1).tar.gz")


def test_planted_symlink_is_not_followed(tmp_path: Path) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    (downloads / "notes.txt").symlink_to(victim)
    (downloads / "notes (1).txt").symlink_to(tmp_path / "does-not-exist")
    path = save(downloads, "notes.txt", b"attacker data")
    assert path.name == "notes (2).txt"
    assert victim.read_bytes() == b"precious"
    assert not (tmp_path / "does-not-exist").exists()
    assert (downloads / "notes.txt").is_symlink()
    assert path.read_bytes() == b"attacker data" and not path.is_symlink()


def test_size_mismatch_leaves_nothing(tmp_path: Path) -> None:
    with (
        pytest.raises(SizeMismatchError) as short,
        AtomicDownload(tmp_path, "short.bin", expected_size=10) as out,
    ):
        out.write(b"12345")
        out.commit()
    assert (short.value.expected, short.value.actual) == (10, 5)
    assert listing(tmp_path) == []
    # Too many bytes are refused as they arrive, not after the whole body.
    with (
        pytest.raises(SizeMismatchError),
        AtomicDownload(tmp_path, "long.bin", expected_size=3) as out,
    ):
        out.write(b"12")
        out.write(b"34")
    assert listing(tmp_path) == []


def test_abort_and_exceptions_leave_nothing(tmp_path: Path) -> None:
    with AtomicDownload(tmp_path, "left.bin") as out:
        out.write(b"partial")
        assert len(listing(tmp_path)) == 1
        temp = listing(tmp_path)[0]
        assert temp.startswith(".") and temp.endswith(".partial")
    assert listing(tmp_path) == []  # leaving without commit aborts
    with pytest.raises(RuntimeError), AtomicDownload(tmp_path, "boom.bin") as out:
        out.write(b"partial")
        raise RuntimeError("network dropped")
    assert listing(tmp_path) == []
    out = AtomicDownload(tmp_path, "manual.bin")
    out.write(b"x")
    out.abort()
    out.abort()
    assert listing(tmp_path) == []
    with pytest.raises(ValueError):
        out.write(b"late")
    with pytest.raises(ValueError):
        out.commit()


def test_temporary_file_is_private_and_written_counted(tmp_path: Path) -> None:
    with AtomicDownload(tmp_path, "f.bin", expected_size=6) as out:
        out.write(b"abc")
        out.write(bytearray(b"de"))
        out.write(memoryview(b"f"))
        assert out.written == 6
        (temp,) = tmp_path.iterdir()
        assert stat.S_IMODE(temp.stat().st_mode) == 0o600
        path = out.commit()
    assert path.read_bytes() == b"abcdef"


def test_missing_directories_are_created_private(tmp_path: Path) -> None:
    target = tmp_path / "new" / "nested"
    path = save(target, "a.txt", b"x")
    assert path.parent == target.resolve()
    for directory in (tmp_path / "new", target):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_download_directory_may_be_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    path = save(tmp_path / "link", "a.txt", b"x")
    assert path == real.resolve() / "a.txt"


def test_a_file_in_place_of_the_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(NotADirectoryError):
        AtomicDownload(tmp_path / "file", "a.txt")


def test_fallback_without_hard_links_never_overwrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file system without hard links (FAT, some network mounts) answers EPERM.
    def no_links(source: Path, target: Path) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(savefile, "_link", no_links)
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    (tmp_path / "doc.txt").write_bytes(b"original")
    (tmp_path / "doc (1).txt").symlink_to(victim)
    path = save(tmp_path, "doc.txt", b"new")
    assert path.name == "doc (2).txt"
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (tmp_path / "doc.txt").read_bytes() == b"original"
    assert victim.read_bytes() == b"precious"
    assert listing(tmp_path) == ["doc (1).txt", "doc (2).txt", "doc.txt", "victim.txt"]


def test_unexpected_link_error_is_raised_and_cleaned_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(source: Path, target: Path) -> None:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(savefile, "_link", broken)
    with pytest.raises(OSError) as failure:
        save(tmp_path, "a.txt", b"x")
    assert failure.value.errno == errno.EIO
    assert listing(tmp_path) == []


def test_no_free_name_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(savefile, "MAX_VARIANTS", 3)
    for name in ("a.txt", "a (1).txt", "a (2).txt"):
        (tmp_path / name).write_bytes(b"taken")
    with pytest.raises(SaveFileError):
        save(tmp_path, "a.txt", b"x")
    assert listing(tmp_path) == ["a (1).txt", "a (2).txt", "a.txt"]
