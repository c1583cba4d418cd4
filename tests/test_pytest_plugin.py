"""The pytest plugin as a user meets it: test files of their own, run by pytest in a subprocess."""

from __future__ import annotations

import pytest

import tempmail_tui.automation
from tempmail_tui import pytest_plugin

pytest_plugins = ["pytester"]

# What a user writes: ten lines, a box, mail from "their application", the code.
USER_TEST = """
import smtplib
from email.message import EmailMessage

def test_signup_sends_a_code(tempmail, tempmail_smtp):
    box = tempmail.new(label="signup")
    open("address.txt", "w").write(box.address)  # for the check that follows
    mail = EmailMessage(); mail["From"] = "app@example.com"; mail["To"] = box.address
    mail["Subject"] = "Verify your account"; mail.set_content("Your code is 123456")
    with smtplib.SMTP(*tempmail_smtp) as smtp: smtp.send_message(mail)
    assert box.wait(subject="verify", timeout=10).code == {expected!r}
"""

# Run after the user's file (same session, same sandbox): was the box deleted at teardown?
CHECK_DELETED = """
def test_the_box_was_deleted_at_teardown(tempmail_sandbox):
    address = open("address.txt").read()
    assert "@" in address
    assert not tempmail_sandbox.state.is_live_address(address)
"""


@pytest.fixture
def user_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A fresh project directory, home and XDG dirs; no key, and only this plugin loaded."""
    home = pytester.path / "home"
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(home / name.lower()))
    for name in ("TEMPMAIL_API_KEY", "TEMPMAIL_LIVE"):
        monkeypatch.delenv(name, raising=False)
    # A base URL the sandbox mode must not use (port 9 on loopback: nothing answers).
    monkeypatch.setenv("TEMPMAIL_BASE_URL", "http://127.0.0.1:9/api")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    # The installed entry point would load the plugin a second time next to -p.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return pytester


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest_subprocess("-p", "tempmail_tui.pytest_plugin", *args, timeout=120)


def test_a_ten_line_user_test_passes_on_the_sandbox_and_its_box_is_deleted(
    user_project: pytest.Pytester,
) -> None:
    user_project.makepyfile(
        test_a_signup=USER_TEST.format(expected="123456"), test_z_check=CHECK_DELETED
    )
    result = run(user_project)
    result.assert_outcomes(passed=2)
    assert not (user_project.path / "home" / "xdg_data_home" / "tempmail-tui").exists()


def test_a_failing_user_assertion_is_reported_as_usual(user_project: pytest.Pytester) -> None:
    user_project.makepyfile(
        test_a_signup=USER_TEST.format(expected="999999"), test_z_check=CHECK_DELETED
    )
    result = run(user_project)
    # The user's test fails on its own assertion; its box is deleted all the same.
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_a_signup.py:*AssertionError*", "FAILED test_a_signup.py*"])
    result.stdout.fnmatch_lines(["*assert '123456' == '999999'*"])


def test_a_box_that_cannot_be_deleted_is_a_warning_not_an_error(
    user_project: pytest.Pytester,
) -> None:
    user_project.makepyfile(
        test_a_fault="""
def test_the_delete_fails(tempmail, tempmail_sandbox):
    box = tempmail.new()
    open("address.txt", "w").write(box.address)
    # The next request (the teardown's delete) answers 500.
    tempmail_sandbox.state.update_faults(force_status=500, force_count=1)
""",
        test_z_still_there="""
def test_the_box_is_still_there(tempmail_sandbox):
    assert tempmail_sandbox.state.is_live_address(open("address.txt").read())
""",
    )
    result = run(user_project)
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(["*tempmail: could not delete *@*"])


def test_tests_that_do_not_use_the_fixtures_load_nothing(user_project: pytest.Pytester) -> None:
    user_project.makepyfile(
        test_plain="""
import sys

def test_plain():
    loaded = [m for m in sys.modules if m.startswith("tempmail_tui.")]
    assert loaded == ["tempmail_tui.pytest_plugin"]
"""
    )
    run(user_project).assert_outcomes(passed=1)


def test_the_package_is_taken_off_assert_rewriting(pytestconfig: pytest.Config) -> None:
    # pytest marks a plugin's whole distribution (the wheel's files) for rewriting: each
    # module imported later would be parsed by pytest, which is thread-unsafe in 3.11.
    hook = pytestconfig.pluginmanager.rewrite_hook
    hook.mark_rewrite("tempmail_tui")
    path = list(tempmail_tui.automation.__path__)
    assert hook.find_spec("tempmail_tui.automation.sync", path) is not None
    pytest_plugin.pytest_configure(pytestconfig)
    assert hook.find_spec("tempmail_tui.automation.sync", path) is None


def test_async_tests_get_an_async_session_with_pytest_asyncio(
    user_project: pytest.Pytester,
) -> None:
    user_project.makepyfile(
        test_a_async="""
import pytest

@pytest.mark.asyncio
async def test_async_signup(async_tempmail, tempmail_sandbox):
    box = await async_tempmail.new(label="async")
    open("address.txt", "w").write(box.address)
    tempmail_sandbox.state.deliver(box.address, subject="Verify", text="code 654321")
    assert (await box.wait(subject="verify", timeout=10)).code == "654321"
""",
        test_z_check=CHECK_DELETED,
    )
    result = run(user_project, "-p", "pytest_asyncio.plugin")
    result.assert_outcomes(passed=2)


@pytest.mark.parametrize("how", ["flag", "env"])
def test_live_mode_without_a_key_fails_the_setup_saying_how_to_set_it(
    user_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    user_project.makepyfile(
        test_live="""
def test_live(tempmail):
    tempmail.new()

def test_smtp(tempmail_smtp):
    pass
"""
    )
    args = ["-rs"]
    if how == "flag":
        args.append("--tempmail-live")
    else:
        monkeypatch.setenv("TEMPMAIL_LIVE", "1")
    result = run(user_project, *args)
    result.assert_outcomes(errors=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*--tempmail-live needs your Temp Mail API key*TEMPMAIL_API_KEY*auth set*",
            "*tempmail_smtp: the real service takes mail from the internet*",
        ]
    )
