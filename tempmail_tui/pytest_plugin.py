"""The pytest plugin: ``tempmail`` (a connected TempMail) and ``tempmail_smtp`` fixtures.

With pytest-asyncio installed, ``async_tempmail`` is the same as an open AsyncTempMail.

By default the fixtures start the embedded sandbox (real HTTP and SMTP on loopback, no key,
no network); ``--tempmail-live`` or ``TEMPMAIL_LIVE=1`` uses the real service with the
user's key. pytest loads this module in every run of every project that has tempmail-tui
installed, so it imports nothing of the package until a fixture is used.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from tempmail_tui.automation import AsyncTempMail, NoApiKeyError, TempMail
    from tempmail_tui.sandbox.server import SandboxServer

#: The environment variable that turns live mode on (``1``, ``true`` or ``yes``).
LIVE_ENV_VAR = "TEMPMAIL_LIVE"
#: Seconds between checks of a box in the sandbox (the settings' minimum).
SANDBOX_POLL_INTERVAL = 1.0


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare --tempmail-live."""
    group = parser.getgroup("tempmail", "tempmail-tui mailboxes")
    group.addoption(
        "--tempmail-live",
        action="store_true",
        default=False,
        help="the tempmail fixture uses the real Temp Mail service with your API key "
        f"(TEMPMAIL_API_KEY or the keyring) instead of the local sandbox; or set {LIVE_ENV_VAR}=1",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Let Python load the package's modules itself, not pytest's assert rewriting."""
    _not_rewritten(config, __name__.partition(".")[0])


def _not_rewritten(config: pytest.Config, package: str) -> None:
    """Take ``package`` off the assert rewriting that pytest puts a plugin's distribution on.

    Rewriting parses each module with ``ast.parse`` as it is imported, and the package
    imports lazily, from the sandbox's and the client's threads too: under CPython 3.11 two
    threads parsing at once can fail with "SystemError: AST constructor recursion depth
    mismatch". The package's asserts are not the user's tests, so nothing is lost. pytest
    has no public way to unmark a package: this uses its hook's set, where it still exists.
    """
    hook = getattr(config.pluginmanager, "rewrite_hook", None)
    marked = getattr(hook, "_must_rewrite", None)
    if isinstance(marked, set) and package in marked:
        marked.discard(package)
        cache = getattr(hook, "_marked_for_rewrite_cache", None)
        if isinstance(cache, dict):
            cache.clear()


def is_live(config: pytest.Config) -> bool:
    """Whether this run uses the real service (the flag, or TEMPMAIL_LIVE)."""
    flag = bool(config.getoption("tempmail_live"))
    return flag or os.environ.get(LIVE_ENV_VAR, "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def _tempmail_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's own store directory for the sandbox: the user's store is never touched."""
    return tmp_path_factory.mktemp("tempmail")


@pytest.fixture(scope="session")
def tempmail_sandbox(request: pytest.FixtureRequest) -> Iterator[SandboxServer]:
    """The embedded sandbox (HTTP and SMTP on free loopback ports), for the whole run."""
    if is_live(request.config):
        pytest.skip("tempmail_sandbox: no sandbox runs with --tempmail-live")
    from tempmail_tui.sandbox.server import SandboxServer

    with SandboxServer() as server:
        yield server


def _options(request: pytest.FixtureRequest, store: Path) -> dict[str, Any]:
    """How the fixture's session connects: the user's settings (live) or the sandbox."""
    if is_live(request.config):
        # The user's store: its quota ledger is what parallel workers and other processes share.
        return {}
    sandbox: SandboxServer = request.getfixturevalue("tempmail_sandbox")
    return {
        "api_key": sandbox.api_key,
        "base_url": sandbox.base_url,
        "store_path": store,
        "poll_interval": SANDBOX_POLL_INTERVAL,
    }


def _fail_for_the_key(missing: NoApiKeyError) -> NoReturn:
    """Fail the test's setup saying how to set the key (live mode with none)."""
    why = f" ({missing.problem})" if missing.problem else ""
    pytest.fail(
        f"--tempmail-live needs your Temp Mail API key{why}: set TEMPMAIL_API_KEY "
        "or run `tempmail-tui auth set`",
        pytrace=False,
    )


def _left_behind(address: str, error: Exception) -> None:
    """Warn of a box the teardown could not delete: the test's own outcome stands."""
    warnings.warn(f"tempmail: could not delete {address}: {error}", UserWarning, stacklevel=2)


@pytest.fixture
def tempmail(request: pytest.FixtureRequest, _tempmail_dir: Path) -> Iterator[TempMail]:
    """A connected TempMail: ``tempmail.new()`` gives a box, deleted when the test ends."""
    from tempmail_tui.automation import NoApiKeyError, TempMail, TempMailError

    missing: NoApiKeyError | None = None
    try:
        mail = TempMail(**_options(request, _tempmail_dir / "store.sqlite3"))
    except NoApiKeyError as error:
        missing = error
    if missing is not None:
        # Out of the except block, so the report is this one line, not a chain.
        _fail_for_the_key(missing)
    try:
        yield mail
    finally:
        try:
            for box in mail.created:
                if not box.deleted:
                    try:
                        box.delete()
                    except TempMailError as error:
                        _left_behind(box.address, error)
        finally:
            mail.close()


if importlib.util.find_spec("pytest_asyncio") is not None:
    # Only where pytest-asyncio is installed (then pytest has loaded it already).
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def async_tempmail(
        request: pytest.FixtureRequest, _tempmail_dir: Path
    ) -> AsyncIterator[AsyncTempMail]:
        """An open AsyncTempMail for async tests; its boxes are deleted when the test ends."""
        from tempmail_tui.automation import AsyncTempMail, NoApiKeyError, TempMailError

        mail = AsyncTempMail(**_options(request, _tempmail_dir / "store.sqlite3"))
        missing: NoApiKeyError | None = None
        try:
            await mail.open()
        except NoApiKeyError as error:
            missing = error
        if missing is not None:
            _fail_for_the_key(missing)
        try:
            yield mail
        finally:
            try:
                for box in mail.created:
                    if not box.deleted:
                        try:
                            await box.delete()
                        except TempMailError as error:
                            _left_behind(box.address, error)
            finally:
                await mail.aclose()


@pytest.fixture
def tempmail_smtp(request: pytest.FixtureRequest) -> tuple[str, int]:
    """The sandbox's SMTP server as ``(host, port)``, to point the application under test at."""
    if is_live(request.config):
        pytest.skip("tempmail_smtp: the real service takes mail from the internet, not over SMTP")
    sandbox: SandboxServer = request.getfixturevalue("tempmail_sandbox")
    if sandbox.smtp_port is None:
        pytest.fail("tempmail_smtp: the sandbox runs without SMTP", pytrace=False)
    return sandbox.smtp_host, sandbox.smtp_port
