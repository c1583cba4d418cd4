"""Themes: the `theme` config key, a palette choice kept for the next start, NO_COLOR honoured."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tempmail_tui.core.config import ConfigError, load_config, save_setting
from tempmail_tui.sandbox.server import SandboxServer
from tempmail_tui.ui.app import TempMailApp

from .app_helpers import make_app, wait_for

SIZE = (100, 30)


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox without SMTP."""
    with SandboxServer(smtp_port=None) as server:
        yield server


def app_with(sandbox: SandboxServer, tmp_path: Path, config_file: Path) -> TempMailApp:
    """The app with the settings a start would read from this config file."""
    loaded = load_config(flags={}, environ={}, config_path=config_file, use_keyring=False)
    base = make_app(sandbox, tmp_path).config
    config = replace(base, theme=loaded.theme, config_file=loaded.config_file)
    return TempMailApp(config, store_path=tmp_path / "store.sqlite3")


async def test_a_theme_chosen_in_the_palette_is_kept_for_the_next_start(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    config_file = tmp_path / "config" / "config.toml"
    config_file.parent.mkdir()
    config_file.write_text("# my settings\nbell = false  # quiet please\n", encoding="utf-8")
    app = app_with(sandbox, tmp_path, config_file)
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "textual-dark"
        app.theme = "gruvbox"  # what the palette's "Change theme" does
        await wait_for(pilot, lambda: "gruvbox" in config_file.read_text(), what="theme saved")
    text = config_file.read_text(encoding="utf-8")
    assert text == '# my settings\nbell = false  # quiet please\ntheme = "gruvbox"\n'

    again = app_with(sandbox, tmp_path, config_file)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert again.theme == "gruvbox"


async def test_unknown_theme_warns_and_keeps_the_default(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text('theme = "no-such-theme"\n', encoding="utf-8")
    app = app_with(sandbox, tmp_path, config_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "textual-dark"
        warnings = [n.message for n in app._notifications if n.severity == "warning"]
        assert any("Unknown theme 'no-such-theme'" in w for w in warnings), warnings
    # A warning is no reason to rewrite the user's file.
    assert config_file.read_text(encoding="utf-8") == 'theme = "no-such-theme"\n'


async def test_no_color_still_wins_over_a_saved_theme(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    config_file = tmp_path / "config.toml"
    config_file.write_text('theme = "nord"\n', encoding="utf-8")
    app = app_with(sandbox, tmp_path, config_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "nord"
        assert app.no_color
        screenshot = app.export_screenshot()
    # Monochrome: no colour other than greys is drawn.
    assert "#88c0d0" not in screenshot.lower()


async def test_unwritable_config_keeps_the_theme_for_now_and_says_so(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the config directory should be")
    app = make_app(sandbox, tmp_path)
    app.config = replace(app.config, config_file=blocker / "config.toml")
    async with app.run_test(size=SIZE) as pilot:
        app.theme = "nord"
        deadline = time.monotonic() + 5
        while not [n for n in app._notifications if n.severity == "warning"]:
            assert time.monotonic() < deadline, "no warning"
            await pilot.pause(0.05)
        assert app.theme == "nord"
        (warning,) = [n.message for n in app._notifications if n.severity == "warning"]
        assert warning.startswith("The theme is used now but not kept: config file ")
        assert "cannot be read: Not a directory" in warning


def test_theme_setting_is_validated_and_saved_keeping_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('theme = "Bad Theme!"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="must be a theme name"):
        load_config(flags={}, environ={}, config_path=path, use_keyring=False)
    path.write_text("[extra]\nx = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown setting"):
        save_setting(path, "colour", "red")
    save_setting(tmp_path / "new" / "config.toml", "theme", "nord")
    assert (tmp_path / "new" / "config.toml").read_text() == 'theme = "nord"\n'
