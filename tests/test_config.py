"""Tests for configuration loading: precedence, validation and keeping the key out of sight."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from tempmail_tui.core import credentials, paths
from tempmail_tui.core.config import DEFAULT_BASE_URL, Config, ConfigError, load_config

CANARY = "canarykey-7f3a9c2e41d84b6f9a0e5c1d2b3a4f5e"
KEYRING_KEY = "keyringkey-aaaabbbbccccddddeeeeffff0000"


class MemoryKeyring(KeyringBackend):
    """A complete in-memory keyring backend; never chosen automatically."""

    priority = -10.0

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring's __init__ is unannotated
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password


class UntouchableKeyring(MemoryKeyring):
    """Fails the test if anything reads it."""

    def get_password(self, service: str, username: str) -> str | None:
        raise AssertionError("the keyring was read")


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private XDG_CONFIG_HOME; returns the app's config directory inside it."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    directory = paths.config_dir()
    assert directory == tmp_path / "xdg-config" / "tempmail-tui"
    directory.mkdir(parents=True)
    return directory


@pytest.fixture
def keyring_backend() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    backend.set_password(credentials.KEYRING_SERVICE, credentials.KEYRING_USERNAME, KEYRING_KEY)
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def _write(directory: Path, text: str) -> Path:
    path = directory / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _load(flags: dict[str, object] | None = None, environ: dict[str, str] | None = None) -> Config:
    return load_config(flags=flags or {}, environ=environ or {}, use_keyring=False)


def test_defaults_without_a_file(config_home: Path) -> None:
    config = _load()
    assert config.base_url == DEFAULT_BASE_URL
    assert (config.poll_interval, config.background_interval) == (5.0, 60.0)
    assert (config.reserve_fraction, config.timeout) == (0.01, 15.0)
    assert config.bell is True and config.desktop_notifications is False
    assert config.download_dir == paths.download_dir()
    assert config.api_key is None and config.api_key_source is None
    assert config.config_file is None and config.warnings == ()


def test_precedence_flags_over_env_over_file_over_defaults(config_home: Path) -> None:
    path = _write(
        config_home,
        'base_url = "https://file.example/api"\n'
        'download_dir = "~/from-file"\n'
        "poll_interval = 7\n"
        "timeout = 20.5\n"
        "bell = false\n",
    )
    environ = {
        "TEMPMAIL_BASE_URL": "https://env.example/api",
        "TEMPMAIL_POLL_INTERVAL": "9",
    }
    config = _load({"base_url": "https://flag.example/api/", "poll_interval": None}, environ)
    assert config.base_url == "https://flag.example/api"
    assert config.poll_interval == 9.0
    assert config.download_dir == Path.home() / "from-file"
    assert config.timeout == 20.5
    assert config.bell is False
    assert config.background_interval == 60.0
    assert config.config_file == path


def test_environment_overrides_the_file(config_home: Path) -> None:
    _write(config_home, 'download_dir = "/from/file"\n')
    config = _load(environ={"TEMPMAIL_DOWNLOAD_DIR": "~/from-env"})
    assert config.download_dir == Path.home() / "from-env"


def test_empty_environment_variable_counts_as_unset(config_home: Path) -> None:
    _write(config_home, "poll_interval = 3\n")
    assert _load(environ={"TEMPMAIL_POLL_INTERVAL": ""}).poll_interval == 3.0


def test_flags_override_booleans(config_home: Path) -> None:
    _write(config_home, "bell = true\n")
    assert _load({"bell": False}).bell is False


def test_explicit_config_path(tmp_path: Path, config_home: Path) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text("background_interval = 120\n", encoding="utf-8")
    config = load_config(flags={}, environ={}, config_path=path, use_keyring=False)
    assert config.background_interval == 120.0


def test_bad_toml_names_the_file(config_home: Path) -> None:
    path = _write(config_home, "poll_interval = = 5\n")
    with pytest.raises(ConfigError) as caught:
        _load()
    message = str(caught.value)
    assert str(path) in message and "not valid TOML" in message
    assert "\n" not in message


def test_file_that_is_not_utf8(config_home: Path) -> None:
    (config_home / "config.toml").write_bytes(b'base_url = "\xff"\n')
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        _load()


def test_unreadable_config_path(config_home: Path) -> None:
    (config_home / "config.toml").mkdir()
    with pytest.raises(ConfigError, match="cannot be read"):
        _load()


@pytest.mark.parametrize(
    ("line", "key", "reason"),
    [
        ("poll_interval = 0.5", "poll_interval", "at least 1"),
        ('poll_interval = "fast"', "poll_interval", "must be a number"),
        ("poll_interval = true", "poll_interval", "must be a number"),
        ("poll_interval = nan", "poll_interval", "finite"),
        ("background_interval = 0", "background_interval", "more than 0"),
        ("timeout = -1", "timeout", "more than 0"),
        ("reserve_fraction = 1", "reserve_fraction", "below 1"),
        ('bell = "yes"', "bell", "true or false"),
        ('base_url = "ftp://example.com/api"', "base_url", "http"),
        ('base_url = "https:///api"', "base_url", "http"),
        ('base_url = "https://example.com/api?x=1"', "base_url", "query"),
        ('base_url = "https://example.com:99999/api"', "base_url", "not a valid URL"),
        ('download_dir = ""', "download_dir", "must be a path"),
        ("download_dir = 3", "download_dir", "must be a path"),
    ],
)
def test_bad_values_name_file_and_key(config_home: Path, line: str, key: str, reason: str) -> None:
    path = _write(config_home, line + "\n")
    with pytest.raises(ConfigError) as caught:
        _load()
    message = str(caught.value)
    assert str(path) in message
    assert key in message
    assert reason in message
    assert "\n" not in message


def test_url_credentials_are_refused_without_echoing_them(config_home: Path) -> None:
    _write(config_home, 'base_url = "https://user:hunter2@example.com/api"\n')
    with pytest.raises(ConfigError) as caught:
        _load()
    assert "user name or password" in str(caught.value)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("environ", "name"),
    [
        ({"TEMPMAIL_POLL_INTERVAL": "soon"}, "TEMPMAIL_POLL_INTERVAL"),
        ({"TEMPMAIL_POLL_INTERVAL": "0"}, "TEMPMAIL_POLL_INTERVAL"),
        ({"TEMPMAIL_BASE_URL": "example.com"}, "TEMPMAIL_BASE_URL"),
        ({"TEMPMAIL_BASE_URL": "https://exa mple.com"}, "TEMPMAIL_BASE_URL"),
    ],
)
def test_bad_environment_values_name_the_variable(
    config_home: Path, environ: dict[str, str], name: str
) -> None:
    with pytest.raises(ConfigError, match=name):
        _load(environ=environ)


def test_bad_flag_names_the_option(config_home: Path) -> None:
    with pytest.raises(ConfigError, match="--poll-interval"):
        _load({"poll_interval": "0.2"})


def test_unknown_flag_name_is_a_programming_error(config_home: Path) -> None:
    with pytest.raises(ValueError, match="pol_interval"):
        _load({"pol_interval": 3})


def test_unknown_keys_are_warnings(config_home: Path) -> None:
    _write(config_home, 'colour = "blue"\npoll_interval = 2\n[look]\ndark = true\n')
    config = _load()
    assert config.poll_interval == 2.0
    assert len(config.warnings) == 2
    assert any("colour" in warning for warning in config.warnings)
    assert any("look" in warning for warning in config.warnings)


def test_api_key_in_the_file_is_ignored_with_advice(config_home: Path) -> None:
    _write(config_home, f'api_key = "{CANARY}"\n')
    config = _load()
    assert config.api_key is None
    (warning,) = config.warnings
    assert "auth set" in warning and "TEMPMAIL_API_KEY" in warning
    assert CANARY not in warning


def test_plain_http_to_a_remote_host_warns(config_home: Path) -> None:
    remote = _load(environ={"TEMPMAIL_BASE_URL": "http://api.example.com/api"})
    assert any("unencrypted" in warning for warning in remote.warnings)
    for local in ("http://127.0.0.1:8025/api", "http://localhost:9/api", "http://[::1]:9"):
        assert _load(environ={"TEMPMAIL_BASE_URL": local}).warnings == ()


def test_key_precedence_flag_env_keyring(config_home: Path, keyring_backend: MemoryKeyring) -> None:
    env = {"TEMPMAIL_API_KEY": CANARY}
    from_flag = load_config(flags={"api_key": "flagkey-123456789012345678"}, environ=env)
    assert (from_flag.api_key, from_flag.api_key_source) == ("flagkey-123456789012345678", "flag")
    from_env = load_config(flags={}, environ=env)
    assert (from_env.api_key, from_env.api_key_source) == (CANARY, "env")
    from_keyring = load_config(flags={}, environ={})
    assert (from_keyring.api_key, from_keyring.api_key_source) == (KEYRING_KEY, "keyring")


def test_without_keyring_lookup_the_keyring_is_not_read(config_home: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(UntouchableKeyring())
    try:
        assert _load().api_key is None
        assert _load(environ={"TEMPMAIL_API_KEY": CANARY}).api_key == CANARY
    finally:
        keyring.set_keyring(previous)


def test_bad_flag_key_is_refused_without_echo(config_home: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _load({"api_key": "canary key"})
    assert "canary" not in str(caught.value)


def test_repr_never_shows_the_key(config_home: Path) -> None:
    config = _load(environ={"TEMPMAIL_API_KEY": CANARY})
    assert config.api_key == CANARY and config.api_key_source == "env"
    assert CANARY not in repr(config)
    assert CANARY not in str(config)
    assert CANARY not in repr(Config(api_key=CANARY, download_dir=Path("/tmp")))


def test_keys_table_binds_actions_and_reports_each_problem(config_home: Path) -> None:
    path = _write(
        config_home,
        'theme = "nord"\n'
        "\n"
        "[keys]\n"
        'new_box = "N"\n'
        'refresh = ["R", "ctrl+r", "f5"]\n'
        'nwe_box = "x"\n'
        'copy_code = "alt+c"\n'
        'links = ["L", "N"]\n'
        "quit = 3\n"
        'help = "escape"\n',
    )
    config = _load()
    # The good entries and the rest of the file are kept.
    assert config.theme == "nord"
    assert config.keys == {"new_box": ("N",), "refresh": ("R", "ctrl+r", "f5"), "links": ("L",)}
    warnings = "\n".join(config.warnings)
    assert f"config file {path} line 6: [keys] nwe_box is not an action" in warnings
    assert (
        "line 7: [keys] copy_code: 'alt+c' is ignored: modifiers are ctrl+ and shift+" in warnings
    )
    assert "line 8: [keys] links: 'N' is ignored: already bound to new_box" in warnings
    assert "line 9: [keys] quit must be a key or a list of keys" in warnings
    assert "line 10: [keys] help: 'escape' is ignored: the reader keeps this key" in warnings
    assert len(config.warnings) == 7  # copy_code and help also say their default is kept


def test_keys_must_be_a_table(config_home: Path) -> None:
    path = _write(config_home, 'keys = "N"\n')
    config = _load()
    assert config.keys == {}
    assert config.warnings == (
        f'config file {path}: [keys] must be a table of action = "key"; ignored',
    )


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("N", True),
        ("?", True),
        ("question_mark", True),
        ("ctrl+n", True),
        ("shift+tab", True),
        ("f12", True),
        ("pagedown", True),
        ("space", True),
        (" ", False),
        ("", False),
        (",", False),
        ("ctrl+N", False),
        ("alt+x", False),
        ("f25", False),
        ("bogus", False),
        ("ctrl+ctrl+x", False),
    ],
)
def test_key_names(key: str, ok: bool) -> None:
    from tempmail_tui.core.config_keys import key_problem

    assert (key_problem(key) is None) is ok
