"""Saving attachments whose names and contents come from strangers.

As trusted mail clients do (aerc, meli, himalaya): only the last path component of a
name is kept, controls and invisible characters are removed, hidden and reserved names
are neutralised, an existing file is never overwritten (a clash becomes
``name (1).ext``), a symlink planted under the target name is never followed, files are
created ``0600``, and nothing ever appears under the final name until the whole file is
on disk.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from tempmail_tui.core.sanitize import clean_line
from tempmail_tui.errors import LocalError

__all__ = [
    "AtomicDownload",
    "SaveFileError",
    "SizeMismatchError",
    "free_name",
    "safe_filename",
    "write_file",
]

MAX_NAME_BYTES = 200
# Extensions longer than this are treated as part of the name when cutting it short.
MAX_EXTENSION_BYTES = 20
# How many "name (n).ext" variants are tried before giving up.
MAX_VARIANTS = 10_000

_SEPARATORS = re.compile(r"[/\\]")
_WINDOWS_RESERVED_CHARACTERS = str.maketrans(dict.fromkeys('<>:"|?*', "_"))
_WINDOWS_RESERVED_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{digit}" for digit in "0123456789¹²³"}
    | {f"LPT{digit}" for digit in "0123456789¹²³"}
)
_DOUBLE_EXTENSIONS = (".tar",)

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)
_CREATE_FLAGS = os.O_CREAT | os.O_EXCL | os.O_WRONLY | _O_NOFOLLOW | _O_CLOEXEC | _O_BINARY
# Errors of os.link that mean "this file system cannot hard-link", not "name taken".
_NO_HARD_LINKS = frozenset(
    {errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK}
)


class SaveFileError(LocalError, OSError):
    """A download could not be saved safely."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        # Callers report an OSError by its strerror, which is otherwise None here.
        self.strerror = message


class SizeMismatchError(SaveFileError):
    """The bytes received are not the size the server announced."""

    def __init__(self, expected: int, actual: int) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(f"expected {expected} bytes but received {actual}")


def _cut_utf8(text: str, max_bytes: int) -> str:
    """Return the longest prefix of ``text`` that fits in ``max_bytes`` of UTF-8."""
    return text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")


def _split_extension(name: str) -> tuple[str, str]:
    """Split ``name`` into stem and extension; ``.tar.gz`` counts as one extension."""
    dot = name.rfind(".")
    if dot <= 0:
        return name, ""
    stem, extension = name[:dot], name[dot:]
    for double in _DOUBLE_EXTENSIONS:
        if stem.lower().endswith(double) and len(stem) > len(double):
            stem, extension = stem[: -len(double)], stem[-len(double) :] + extension
    if len(extension.encode("utf-8")) > MAX_EXTENSION_BYTES:
        return name, ""
    return stem, extension


def safe_filename(name: object, *, fallback: str = "attachment") -> str:
    """Return a harmless single file name for an untrusted attachment name.

    Keeps the part after the last ``/`` or ``\\``; removes controls, escape sequences,
    bidi and invisible characters; strips leading and trailing dots and spaces; replaces
    ``<>:"|?*`` with ``_``; caps the name at 200 bytes of UTF-8, keeping the extension.
    An empty result, ``.`` or ``..`` becomes ``fallback`` (made safe the same way).
    """
    text = clean_line(name, max_chars=None)
    text = _SEPARATORS.split(text)[-1]
    text = text.translate(_WINDOWS_RESERVED_CHARACTERS).strip(". ")
    if not text:
        if fallback == "attachment":
            return fallback
        return safe_filename(fallback)
    stem, extension = _split_extension(text)
    if stem.split(".")[0].rstrip(" ").upper() in _WINDOWS_RESERVED_NAMES:
        stem = "_" + stem
    if len((stem + extension).encode("utf-8")) > MAX_NAME_BYTES:
        stem = _cut_utf8(stem, MAX_NAME_BYTES - len(extension.encode("utf-8"))).rstrip(". ")
        if not stem:
            stem = "attachment"
    return stem + extension


def _variants(name: str) -> Iterator[str]:
    """Yield ``name``, then ``stem (1).ext``, ``stem (2).ext``, and so on."""
    yield name
    stem, extension = _split_extension(name)
    for number in range(1, MAX_VARIANTS):
        yield f"{stem} ({number}){extension}"


def free_name(directory: Path, name: str) -> str:
    """Return the first variant of a safe ``name`` not yet taken in ``directory``.

    Advisory only (another process may take it a moment later); ``AtomicDownload``
    claims its name atomically.  A dangling symlink counts as taken.
    """
    for candidate in _variants(safe_filename(name)):
        if not os.path.lexists(directory / candidate):
            return candidate
    raise SaveFileError(f"no free name for {name!r} in {directory}")


def _make_private_directory(directory: Path) -> None:
    """Create ``directory`` and any missing parents with mode 0700."""
    missing: list[Path] = []
    current = directory
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):  # created meanwhile: fine
            path.mkdir(mode=0o700)


def _create_temp(directory: Path) -> tuple[Path, int]:
    """A new hidden 0600 file in ``directory`` (never an existing one) and its descriptor."""
    for _ in range(100):
        path = directory / f".tempmail-{secrets.token_hex(8)}.partial"
        try:
            fd = os.open(path, _CREATE_FLAGS, 0o600)
        except FileExistsError:
            continue
        # The umask could only have removed bits; set exactly 0600 regardless.
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        return path, fd
    raise SaveFileError(f"could not create a temporary file in {directory}")


def write_file(path: Path, data: bytes, *, overwrite: bool = False) -> Path:
    """Write ``data`` to exactly ``path``, whole or not at all; the path written.

    The bytes go to a hidden file beside it first; only a complete file takes the name.
    An existing file (or symlink) under the name is never touched unless ``overwrite``:
    ``FileExistsError`` then. Created 0600, as saved attachments are.
    """
    directory = path.parent.resolve(strict=True)
    final = directory / path.name
    temp, fd = _create_temp(directory)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        if overwrite:
            os.replace(temp, final)
        elif not _claim(temp, final):
            raise FileExistsError(errno.EEXIST, "file exists", str(final))
    finally:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    _fsync_directory(directory)
    return final


def _claim(temp: Path, final: Path) -> bool:
    """Give the finished file the name ``final`` unless it is taken; False if taken."""
    try:
        _link(temp, final)
    except FileExistsError:
        return False
    except NotImplementedError:
        return _publish_by_rename(temp, final)
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        return _publish_by_rename(temp, final)
    return True


class AtomicDownload:
    """Writes a download to a hidden temporary file, then publishes it under a free name.

    Use as a context manager: ``write`` the bytes, then ``commit`` to get the saved
    path.  Leaving the block without committing, or any failure, removes the temporary
    file, so no partial file is ever left under the final name.
    """

    def __init__(self, directory: Path, name: str, *, expected_size: int | None = None) -> None:
        _make_private_directory(Path(directory))
        self.directory = Path(directory).resolve(strict=True)
        if not self.directory.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(self.directory))
        self.name = safe_filename(name)
        self.expected_size = expected_size
        self.written = 0
        self._temp_path, self._fd = _create_temp(self.directory)
        self._done = False

    def __enter__(self) -> AtomicDownload:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.abort()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Append ``data``; more bytes than ``expected_size`` abort the download."""
        if self._done:
            raise ValueError("the download is already committed or aborted")
        view = memoryview(data)
        if self.expected_size is not None and self.written + view.nbytes > self.expected_size:
            actual = self.written + view.nbytes
            self.abort()
            raise SizeMismatchError(self.expected_size, actual)
        while view:
            count = os.write(self._fd, view)
            view = view[count:]
            self.written += count

    def commit(self) -> Path:
        """Flush to disk, check the size, and publish without overwriting; return the path."""
        if self._done:
            raise ValueError("the download is already committed or aborted")
        try:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = -1
            if self.expected_size is not None and self.written != self.expected_size:
                raise SizeMismatchError(self.expected_size, self.written)
            final = self._publish()
        except BaseException:
            self.abort()
            raise
        self._done = True
        self._remove_temp()
        _fsync_directory(self.directory)
        return final

    def abort(self) -> None:
        """Discard the download (nothing is left behind).  Idempotent."""
        if self._done:
            return
        self._done = True
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1
        self._remove_temp()

    def _remove_temp(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._temp_path)

    def _final_path(self, candidate: str) -> Path:
        path = self.directory / candidate
        # The name is a single safe component, so this holds; checked anyway because a
        # file outside the download directory must never be written.
        if path.name != candidate or path.parent.resolve() != self.directory:
            raise SaveFileError(f"refusing to save outside {self.directory}")
        return path

    def _publish(self) -> Path:
        hard_links = True
        for candidate in _variants(self.name):
            final = self._final_path(candidate)
            if hard_links:
                try:
                    # link() never follows or replaces an existing entry, symlinks
                    # included: EEXIST means "taken, try the next name".
                    _link(self._temp_path, final)
                    return final
                except FileExistsError:
                    continue
                except OSError as error:
                    if error.errno not in _NO_HARD_LINKS:
                        raise
                    hard_links = False
                except NotImplementedError:
                    hard_links = False
            if _publish_by_rename(self._temp_path, final):
                return final
        raise SaveFileError(f"no free name for {self.name!r} in {self.directory}")


def _link(source: Path, target: Path) -> None:
    """Hard-link ``target`` to ``source`` without following a symlink at ``source``."""
    if os.link in os.supports_follow_symlinks:
        os.link(source, target, follow_symlinks=False)
    else:
        os.link(source, target)


def _publish_by_rename(temp: Path, final: Path) -> bool:
    """Claim ``final`` with an exclusive placeholder, then rename the file over it.

    For file systems without hard links.  The exclusive create fails if anything, a
    symlink included, already has the name, so only our own placeholder is ever
    replaced.  Returns False when the name is taken.
    """
    try:
        placeholder = os.open(final, _CREATE_FLAGS, 0o600)
    except FileExistsError:
        return False
    try:
        claimed = os.fstat(placeholder)
    finally:
        os.close(placeholder)
    try:
        os.replace(temp, final)
    except BaseException:
        # Remove the placeholder only if it is still ours.
        with contextlib.suppress(OSError):
            current = os.stat(final, follow_symlinks=False)
            if (current.st_dev, current.st_ino) == (claimed.st_dev, claimed.st_ino):
                os.unlink(final)
        raise
    return True


def _fsync_directory(directory: Path) -> None:
    """Make the new directory entry durable where the platform allows it."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
