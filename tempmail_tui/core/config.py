"""Settings: command-line flags over environment over the TOML file over defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tempmail_tui.core import credentials, paths

# ConfigError is re-exported: the front ends and tests know it as core.config's.
from tempmail_tui.core.config_values import SETTINGS, sends_key_in_clear, shown_name
from tempmail_tui.core.config_values import ConfigError as ConfigError

# The extractor loads only when config.toml has [[codes]] rules to compile.
if TYPE_CHECKING:
    from tempmail_tui.core.extract.rules import CodeRule

DEFAULT_BASE_URL = "https://v1.tempmailg.com/api"
CONFIG_FILE_NAME = "config.toml"

#: Environment variables read by load_config, by Config field.
ENV_VARS: Mapping[str, str] = {
    "base_url": "TEMPMAIL_BASE_URL",
    "download_dir": "TEMPMAIL_DOWNLOAD_DIR",
    "poll_interval": "TEMPMAIL_POLL_INTERVAL",
}
API_KEY_ENV_VAR = "TEMPMAIL_API_KEY"

#: The reader's actions that config.toml's [keys] table can bind (the main screen's KEYS).
KEY_ACTIONS: tuple[str, ...] = (
    "new_box",
    "rename_box",
    "delete_box",
    "add_address",
    "label_box",
    "toggle_group",
    "group_by",
    "delete_message",
    "save_attachments",
    "refresh",
    "copy_address",
    "toggle_source",
    "copy_code",
    "links",
    "filter",
    "search_archive",
    "zoom",
    "page",
    "next_message",
    "previous_message",
    "toggle_sidebar",
    "help",
    "quit",
)

#: Keys allowed in config.toml, with a short description for --help.
TOML_KEYS: Mapping[str, str] = {
    "base_url": f'API base URL (default "{DEFAULT_BASE_URL}")',
    "download_dir": "where attachments are saved; ~ is expanded",
    "poll_interval": "seconds between checks of the selected mailbox (default 5, minimum 1)",
    "background_interval": "seconds between checks of the other mailboxes (default 60)",
    "reserve_fraction": "share of the monthly request quota kept in reserve (default 0.01)",
    "bell": "ring the terminal bell on new mail (default true)",
    "desktop_notifications": "send desktop notifications on new mail (default false)",
    "timeout": "seconds to wait for each API request (default 15)",
    "theme": 'colour theme, e.g. "textual-dark", "nord", "gruvbox" (the palette\'s '
    '"Change theme" saves it here)',
    "[keys]": 'key bindings, action = "key" or ["key", ...], e.g. refresh = ["R", "f5"]; '
    "actions: " + ", ".join(KEY_ACTIONS),
    "[[codes]]": 'a per-sender code rule, from = "RE" pattern = "RE" [subject = "RE"]: mail '
    "whose sender matches from takes its code from pattern's first group (see the README)",
}

#: Names a user might give the key in config.toml; it is never read from there.
_KEY_LIKE_NAMES = frozenset({"api_key", "apikey", "key", "token", "api_token"})

KeySource = Literal["flag", "env", "keyring", "session"]


def default_config_path() -> Path:
    """Where config.toml is looked for when no path is given (honours XDG_CONFIG_HOME)."""
    return paths.config_dir() / CONFIG_FILE_NAME


@dataclass
class Config:
    """Every setting the application runs with, already validated."""

    base_url: str = DEFAULT_BASE_URL
    api_key: str | None = field(default=None, repr=False)
    api_key_source: KeySource | None = None
    download_dir: Path = field(default_factory=paths.download_dir)
    poll_interval: float = 5.0
    background_interval: float = 60.0
    reserve_fraction: float = 0.01
    bell: bool = True
    desktop_notifications: bool = False
    timeout: float = 15.0
    #: The Textual theme's name, None for the default; checked against the themes by the app.
    theme: str | None = None
    #: Why no key was found (e.g. no keyring over SSH), for the first-run dialog to explain.
    api_key_problem: str | None = None
    #: Non-fatal notes about the configuration, such as unknown keys in config.toml.
    warnings: tuple[str, ...] = ()
    #: The config file that was read, if one existed.
    config_file: Path | None = None
    #: Keys set in config.toml's [keys] table: action name to its keys (Textual key names).
    keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: config.toml's [[codes]] rules, in order: they win over the code heuristics.
    code_rules: tuple[CodeRule, ...] = ()


def load_config(
    *,
    flags: Mapping[str, object],
    environ: Mapping[str, str],
    config_path: Path | None = None,
    use_keyring: bool = True,
) -> Config:
    """Build the Config from flags, environment, config file and defaults, in that order.

    ``flags`` maps Config field names to values; a value of None means "not given".
    With ``use_keyring=False`` the key is looked up in the flags and environment only.
    """
    unknown = set(flags) - set(SETTINGS) - {"api_key"}
    if unknown:
        raise ValueError(f"unknown flag names: {', '.join(sorted(unknown))}")

    warnings: list[str] = []
    values: dict[str, object] = {}
    path = config_path if config_path is not None else default_config_path()
    table = _read_toml(path)
    if table is not None:
        for name, raw in table.items():
            where = f"config file {path}: {shown_name(name)}"
            if name == "keys":
                # Loaded only for a [keys] table: most config files have none.
                from tempmail_tui.core.config_keys import keys_table

                values["keys"] = keys_table(raw, path, warnings, KEY_ACTIONS)
            elif name == "codes":
                values["code_rules"] = _code_rules(raw, path)
            elif name in SETTINGS:
                values[name] = SETTINGS[name](raw, where)
            elif name.lower() in _KEY_LIKE_NAMES:
                warnings.append(
                    f"{where} is ignored: the API key is never read from the config file; "
                    f"run `tempmail-tui auth set` (OS keyring) or set {API_KEY_ENV_VAR}, "
                    "and remove it from the file"
                )
            else:
                warnings.append(f"{where} is not a known setting and is ignored")

    for name, var in ENV_VARS.items():
        text = environ.get(var, "").strip()
        if text:
            values[name] = SETTINGS[name](text, var)

    for name, raw in flags.items():
        if raw is not None and name != "api_key":
            values[name] = SETTINGS[name](raw, "--" + name.replace("_", "-"))

    config = Config(**values)  # type: ignore[arg-type]  # each value was parsed to its field type
    config.config_file = path if table is not None else None
    if sends_key_in_clear(config.base_url):
        warnings.append(
            f"the base URL {config.base_url} uses plain http to a host that is not this "
            "machine: the API key would travel unencrypted"
        )
    config.warnings = tuple(warnings)
    _resolve_key(config, flags.get("api_key"), environ, use_keyring)
    return config


def _resolve_key(
    config: Config, flag_key: object, environ: Mapping[str, str], use_keyring: bool
) -> None:
    if flag_key is not None:
        if not isinstance(flag_key, str):
            raise ConfigError("--api-key must be text")
        key = flag_key.strip()
        problem = credentials.key_problem(key)
        if problem is not None:
            raise ConfigError(f"--api-key: {problem}")
        config.api_key, config.api_key_source = key, "flag"
        return
    lookup = (
        credentials.lookup_api_key(environ) if use_keyring else credentials.env_api_key(environ)
    )
    config.api_key, config.api_key_source = lookup.key, lookup.source
    config.api_key_problem = lookup.problem


def _read_toml(path: Path) -> dict[str, object] | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"config file {path} cannot be read: {reason}") from None
    # Imported only for a file to parse: the reader's first frame and --help do without it.
    import tomllib

    try:
        return tomllib.loads(data.decode())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None


def _code_rules(raw: object, path: Path) -> tuple[CodeRule, ...]:
    """The [[codes]] rules, compiled; a bad one is an error, since it would pick wrong codes."""
    from tempmail_tui.core.extract.rules import compile_rule

    if not isinstance(raw, list):
        raise ConfigError(
            f"config file {path}: codes must be rules written [[codes]] (an array of tables), "
            'each with from = "..." and pattern = "..."'
        )
    rules: list[CodeRule] = []
    for number, item in enumerate(raw, start=1):
        try:
            rules.append(compile_rule(number, item))
        except ValueError as exc:
            raise ConfigError(f"config file {path}: [[codes]] rule {number}: {exc}") from None
    return tuple(rules)


def save_setting(path: Path, name: str, value: str | float | bool) -> None:
    """Set one key of config.toml, keeping the rest of the file (comments included) as it is."""
    import tomlkit

    if name not in SETTINGS:
        raise ValueError(f"unknown setting {name!r}")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} cannot be read: {_reason(exc)}") from None
    try:
        document = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    document[name] = value
    # Written beside and renamed over, so a crash never leaves half a config file.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(tomlkit.dumps(document), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ConfigError(f"config file {path} cannot be written: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or type(exc).__name__
