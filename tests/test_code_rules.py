"""Tests for config.toml's [[codes]] rules: loading, validation, and the code they choose."""

from __future__ import annotations

from pathlib import Path

import pytest

from tempmail_tui.core import paths
from tempmail_tui.core.config import Config, ConfigError, load_config, save_setting
from tempmail_tui.core.extract import best_code, choose_code, explain
from tempmail_tui.core.extract.rules import RULE_TEXT_LIMIT
from tempmail_tui.core.reading import reading_aids
from tempmail_tui.core.render import HtmlRenderer

RULES = """\
theme = "nord"

# Acme's mail has a support PIN in it, but what to type is the sign-in phrase.
[[codes]]
from = 'acme\\.example'
pattern = 'Sign-in phrase: ([A-Z]+-[A-Z]+)'

# Only Widgetco's sign-in mail; its code is the whole match.
[[codes]]
from = "widgetco"
subject = "sign.in"
pattern = '\\bW[0-9]{5}\\b'
"""

ACME_MAIL = "Your support PIN is 552910.\nSign-in phrase: TANGO-PLUM\nThanks, Acme"


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where load_config looks for config.toml, in a private XDG_CONFIG_HOME."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    directory = paths.config_dir()
    directory.mkdir(parents=True)
    return directory / "config.toml"


def _load() -> Config:
    return load_config(flags={}, environ={}, use_keyring=False)


def test_rules_load_from_config_toml_and_win_over_the_heuristics(config_file: Path) -> None:
    config_file.write_text(RULES, encoding="utf-8")
    config = _load()
    assert config.theme == "nord" and config.warnings == ()
    first, second = config.code_rules
    assert (first.number, second.number) == (1, 2)
    # Without the rules the heuristics take the six digits.
    assert best_code("Sign in", ACME_MAIL, is_html=False) == "552910"
    acme = ("Acme", "no-reply@ACME.example")
    assert best_code("Sign in", ACME_MAIL, is_html=False, sender=acme, rules=config.code_rules) == (
        "TANGO-PLUM"
    )
    # Another sender: the rules do not apply.
    other = ("Other", "no-reply@other.example")
    assert best_code(
        "Sign in", ACME_MAIL, is_html=False, sender=other, rules=config.code_rules
    ) == ("552910")


def test_rule_sender_is_matched_like_from_and_the_subject_narrows_it(config_file: Path) -> None:
    """``from`` searches "Name <address>" case-insensitively; ``subject`` must match too."""
    config_file.write_text(RULES, encoding="utf-8")
    rules = _load().code_rules
    body = "Your code: 482913\nReference W31415"
    by_name = ("WidgetCo Accounts", "noreply@mail.example")
    assert best_code("Sign-in request", body, is_html=False, sender=by_name, rules=rules) == (
        "W31415"
    )
    assert best_code("Your invoice", body, is_html=False, sender=by_name, rules=rules) == "482913"


def test_a_rule_that_finds_nothing_falls_back_and_the_explanation_says_so(
    config_file: Path,
) -> None:
    config_file.write_text(RULES, encoding="utf-8")
    rules = _load().code_rules
    choice = choose_code(
        "Sign in",
        "<p>Your code: <b>k7q2m9</b></p>",
        is_html=True,
        sender=("Acme", "login@acme.example"),
        rules=rules,
    )
    assert choice.code == "k7q2m9" and choice.rule is None
    lines = explain(choice)
    assert lines[0].startswith("chosen by: the heuristics")
    assert (
        "note: rule 1 (from 'acme\\.example') is for this sender but its pattern found nothing"
        in (lines)
    )


def test_explanation_of_a_rules_choice_names_the_rule_and_why_others_lost(
    config_file: Path,
) -> None:
    config_file.write_text(RULES, encoding="utf-8")
    rules = _load().code_rules
    choice = choose_code(
        "Sign in", ACME_MAIL, is_html=False, sender=("", "a@acme.example"), rules=rules
    )
    lines = explain(choice)
    assert lines[:2] == [
        "chosen by: rule 1 (from 'acme\\.example') in config.toml",
        "line: Sign-in phrase: TANGO-PLUM",
    ]
    assert any(
        line.startswith("runner-up 552910: score ")
        and line.endswith("rule 1 (from 'acme\\.example') picked another")
        for line in lines
    )


def test_a_rule_pattern_sees_a_bounded_text() -> None:
    """A user's pattern runs over at most RULE_TEXT_LIMIT characters of the mail."""
    from tempmail_tui.core.extract.rules import compile_rule

    rule = compile_rule(1, {"from": ".", "pattern": "TOKEN=(\\w+)"})
    near = "x " * 1000 + "TOKEN=abc123"
    far = "x " * RULE_TEXT_LIMIT + "TOKEN=abc123"
    assert best_code("", near, is_html=False, sender=("A", "a@b.example"), rules=[rule]) == "abc123"
    assert best_code("", far, is_html=False, sender=("A", "a@b.example"), rules=[rule]) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[[codes]]\nfrom = 'acme'\npattern = '([0-9]{6}'\n", "rule 1: pattern is not a valid"),
        (
            "[[codes]]\nfrom = 'a'\npattern = 'b'\n[[codes]]\nfrom = '(?P<'\npattern = 'x'\n",
            "rule 2: from is not a valid regular expression",
        ),
        ("[[codes]]\nfrom = 'acme'\n", 'rule 1: no pattern = "..."'),
        ("[[codes]]\npattern = 'x'\n", 'rule 1: no from = "..."'),
        ("[[codes]]\nfrom = 'a'\npatern = 'x'\npattern = 'y'\n", "rule 1: unknown keys 'patern'"),
        ("[[codes]]\nfrom = ''\npattern = 'x'\n", "rule 1: from must be a non-empty"),
        ("[[codes]]\nfrom = 'a'\npattern = 3\n", "rule 1: pattern must be a non-empty"),
        ("[codes]\nfrom = 'a'\npattern = 'x'\n", "codes must be rules written [[codes]]"),
        ("codes = ['a']\n", "rule 1: not a table"),
    ],
)
def test_bad_rules_are_errors_naming_the_file_and_the_rule(
    config_file: Path, text: str, problem: str
) -> None:
    config_file.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        _load()
    message = str(caught.value)
    assert message.startswith(f"config file {config_file}: ")
    assert problem in message
    assert "\n" not in message


def test_saving_a_setting_keeps_the_rules(config_file: Path) -> None:
    """The theme save (tomlkit) writes a top-level key without swallowing it into [[codes]]."""
    config_file.write_text(RULES.replace('theme = "nord"\n', ""), encoding="utf-8")
    save_setting(config_file, "theme", "gruvbox")
    config = _load()
    assert config.theme == "gruvbox"
    assert [rule.pattern.pattern for rule in config.code_rules] == [
        "Sign-in phrase: ([A-Z]+-[A-Z]+)",
        "\\bW[0-9]{5}\\b",
    ]
    assert "# Acme's mail has a support PIN" in config_file.read_text(encoding="utf-8")


def test_the_reader_shows_the_rules_code(config_file: Path) -> None:
    """reading_aids chooses the code with the same rules as the code command."""
    config_file.write_text(RULES, encoding="utf-8")
    rules = _load().code_rules
    rendered = HtmlRenderer().render(ACME_MAIL, is_html=False)
    plain = reading_aids("Sign in", ACME_MAIL, is_html=False, rendered=rendered)
    assert plain.code == "552910"
    aids = reading_aids(
        "Sign in",
        ACME_MAIL,
        is_html=False,
        rendered=rendered,
        sender=("Acme", "login@acme.example"),
        rules=rules,
    )
    assert aids.code == "TANGO-PLUM"


async def test_a_service_opened_from_the_settings_shows_the_rules_code(
    config_file: Path, tmp_path: Path
) -> None:
    """The reader's service takes config.toml's rules: an opened message shows the rule's code."""
    from dataclasses import replace

    from tempmail_tui.core.session import open_mail
    from tempmail_tui.sandbox.server import SandboxServer

    config_file.write_text(RULES, encoding="utf-8")
    with SandboxServer(smtp_port=None) as server:
        config = replace(_load(), api_key=server.api_key, base_url=server.base_url)
        box = server.state.create_mailbox()
        sent = server.state.deliver(
            box.email,
            subject="Sign in",
            from_name="Acme",
            from_email="a@acme.example",
            text=ACME_MAIL,
        )
        async with open_mail(config, store_path=tmp_path / "store.sqlite3") as service:
            await service.fetch(box.email)
            opened = await service.open_message(sent.id)
    assert opened.aids.code == "TANGO-PLUM"
    # The reader connects its service another way; it takes the same rules.
    from tempmail_tui.core.session import connect, open_local_store

    local = open_local_store(tmp_path / "reader.sqlite3")
    reader_service = connect(config, server.api_key, local)
    try:
        assert reader_service.code_rules == config.code_rules != ()
    finally:
        await reader_service.aclose()
        local.close()
