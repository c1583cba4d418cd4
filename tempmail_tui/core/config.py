"""Settings: command-line flags over environment over the TOML file over defaults."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from tempmail_tui.core import credentials, paths
from tempmail_tui.errors import LocalError

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

_MAX_SHOWN = 60

KeySource = Literal["flag", "env", "keyring", "session"]


class ConfigError(LocalError):
    """A setting is invalid; the message is one line naming where it came from."""


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
    unknown = set(flags) - set(_SETTINGS) - {"api_key"}
    if unknown:
        raise ValueError(f"unknown flag names: {', '.join(sorted(unknown))}")

    warnings: list[str] = []
    values: dict[str, object] = {}
    path = config_path if config_path is not None else default_config_path()
    table = _read_toml(path)
    if table is not None:
        for name, raw in table.items():
            where = f"config file {path}: {_show_name(name)}"
            if name == "keys":
                values["keys"] = _keys_table(raw, path, warnings)
            elif name == "codes":
                values["code_rules"] = _code_rules(raw, path)
            elif name in _SETTINGS:
                values[name] = _SETTINGS[name](raw, where)
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
            values[name] = _SETTINGS[name](text, var)

    for name, raw in flags.items():
        if raw is not None and name != "api_key":
            values[name] = _SETTINGS[name](raw, "--" + name.replace("_", "-"))

    config = Config(**values)  # type: ignore[arg-type]  # each value was parsed to its field type
    config.config_file = path if table is not None else None
    if _sends_key_in_clear(config.base_url):
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


def _show(value: object) -> str:
    # repr escapes control characters, and the cut keeps a pasted novel off the screen.
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _show_name(name: str) -> str:
    return name if name.isidentifier() and name.isascii() else _show(name)


def _number(value: object, where: str) -> float:
    if isinstance(value, bool):
        raise ConfigError(f"{where} must be a number, not {_show(value)}")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise ConfigError(f"{where} must be a number, not {_show(value)}") from None
    else:
        raise ConfigError(f"{where} must be a number, not {_show(value)}")
    if not math.isfinite(number):
        raise ConfigError(f"{where} must be a finite number, not {_show(value)}")
    return number


def _seconds(minimum: float, *, inclusive: bool) -> Callable[[object, str], object]:
    def parse(value: object, where: str) -> object:
        number = _number(value, where)
        if number < minimum or (not inclusive and number == minimum):
            bound = f"at least {minimum:g}" if inclusive else f"more than {minimum:g}"
            raise ConfigError(f"{where} must be {bound} seconds, not {_show(value)}")
        return number

    return parse


def _fraction(value: object, where: str) -> object:
    number = _number(value, where)
    if not 0 <= number < 1:
        raise ConfigError(f"{where} must be at least 0 and below 1, not {_show(value)}")
    return number


def _boolean(value: object, where: str) -> object:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false, not {_show(value)}")
    return value


def _path(value: object, where: str) -> object:
    if isinstance(value, Path):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise ConfigError(f"{where} must be a path, not {_show(value)}")
    if not text or "\x00" in text:
        raise ConfigError(f"{where} must be a path, not {_show(value)}")
    return Path(text).expanduser()


def _url(value: object, where: str) -> object:
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be an http:// or https:// URL, not {_show(value)}")
    text = value.strip()
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise ConfigError(f"{where} must be a URL without spaces or control characters")
    try:
        parts = urlsplit(text)
        # urlsplit checks the port only when it is read.
        _ = parts.port
    except ValueError:
        raise ConfigError(f"{where} is not a valid URL: {_show(text)}") from None
    if parts.username is not None or parts.password is not None:
        # Not echoed: it would put the password on the screen.
        raise ConfigError(f"{where} must not contain a user name or password")
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where} must be an http:// or https:// URL, not {_show(text)}")
    if parts.query or parts.fragment:
        raise ConfigError(f"{where} must not have a ?query or #fragment: {_show(text)}")
    return text.rstrip("/")


def _sends_key_in_clear(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme.lower() != "http":
        return False
    import ipaddress

    host = parts.hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


# Patterns as text: re compiles (and caches) one on its first use, not at start-up.
_THEME_NAME = r"[a-z0-9][a-z0-9_-]{0,63}"


def _theme(value: object, where: str) -> object:
    if not isinstance(value, str) or not re.fullmatch(_THEME_NAME, value.strip()):
        raise ConfigError(f'{where} must be a theme name such as "nord", not {_show(value)}')
    return value.strip()


#: Modifiers the terminal reports with a key (Textual has no alt: terminals send it as escape).
_MODIFIERS = ("ctrl", "shift")
#: Keys with names, besides the single characters and f1-f24.
_NAMED_KEYS = frozenset(
    {"enter", "escape", "tab", "space", "backspace", "delete", "insert", "home", "end"}
    | {"pageup", "pagedown", "up", "down", "left", "right"}
)
#: Keys the reader keeps for itself: focus, dialogs, the palette and Textual's own quit.
_RESERVED_KEYS = frozenset({"tab", "shift+tab", "escape", "enter", "ctrl+p", "ctrl+c", "ctrl+q"})


def _punctuation_name(character: str) -> str:
    """The name Textual gives a punctuation key (``?`` is question_mark, ``/`` slash)."""
    import unicodedata

    name = unicodedata.name(character).lower().replace("-", "_").replace(" ", "_")
    replacements = {
        "solidus": "slash",
        "reverse_solidus": "backslash",
        "commercial_at": "at",
        "hyphen_minus": "minus",
        "plus_sign": "plus",
        "low_line": "underscore",
    }
    return replacements.get(name, name)


_PUNCTUATION_NAMES = frozenset(_punctuation_name(c) for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_FUNCTION_KEY = r"f([1-9]|1[0-9]|2[0-4])"


def key_problem(key: str) -> str | None:
    """Why a key name from config.toml cannot be bound, or None when it can."""
    if key != key.strip() or not key:
        return "a key must not be empty or have spaces around it"
    if key == ",":
        return 'write the comma key as "comma"'
    if len(key) == 1:
        return None if key.isprintable() and key != " " else 'write the space key as "space"'
    *modifiers, base = key.split("+")
    if any(m not in _MODIFIERS for m in modifiers) or len(set(modifiers)) != len(modifiers):
        return "modifiers are ctrl+ and shift+ (a terminal sends alt as escape)"
    if modifiers and len(base) == 1:
        return (
            None
            if base.isascii() and (base.islower() or base.isdigit())
            else ("after ctrl+ or shift+ write a lower-case letter or digit")
        )
    if base in _NAMED_KEYS or base in _PUNCTUATION_NAMES or re.fullmatch(_FUNCTION_KEY, base):
        return None
    return "not a key name (a character, or enter, space, home, pagedown, f5, ctrl+n, ...)"


def _keys_table(raw: object, path: Path, warnings: list[str]) -> Mapping[str, tuple[str, ...]]:
    """The [keys] table: each valid action's keys; every problem a warning, the rest kept."""
    where = f"config file {path}: [keys]"
    if not isinstance(raw, dict):
        warnings.append(f'{where} must be a table of action = "key"; ignored')
        return {}
    keys: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    for action, value in raw.items():
        at = f"config file {path}{_line_of(path, action)}: [keys] {_show_name(action)}"
        if action not in KEY_ACTIONS:
            warnings.append(
                f"{at} is not an action and is ignored; actions: {', '.join(KEY_ACTIONS)}"
            )
            continue
        given = [value] if isinstance(value, str) else value
        if not isinstance(given, list) or not given or not all(isinstance(k, str) for k in given):
            warnings.append(
                f'{at} must be a key or a list of keys such as ["N", "ctrl+n"]; ignored'
            )
            continue
        chosen: list[str] = []
        for key in given:
            problem = key_problem(key)
            if problem is None and key in _RESERVED_KEYS:
                problem = "the reader keeps this key for itself"
            if problem is None and key in owner:
                problem = f"already bound to {owner[key]}"
            if problem is not None:
                warnings.append(f"{at}: {_show(key)} is ignored: {problem}")
                continue
            if key not in chosen:
                owner[key] = action
                chosen.append(key)
        if chosen:
            keys[action] = tuple(chosen)
        else:
            warnings.append(f"{at} has no usable key; the default is kept")
    return keys


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


def _line_of(path: Path, action: str) -> str:
    """ " line N" where config.toml sets this key of [keys], or "" when it cannot be told."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return ""
    table = ""
    pattern = re.compile(r"\s*(?:" + re.escape(action) + r'|"' + re.escape(action) + r'")\s*=')
    for number, line in enumerate(lines, start=1):
        header = re.match(r"\s*\[([^\]]*)\]", line)
        if header:
            table = header.group(1).strip()
        elif table == "keys" and pattern.match(line):
            return f" line {number}"
    return ""


def save_setting(path: Path, name: str, value: str | float | bool) -> None:
    """Set one key of config.toml, keeping the rest of the file (comments included) as it is."""
    import tomlkit

    if name not in _SETTINGS:
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


# How each setting is validated, whichever layer it comes from.
_SETTINGS: Mapping[str, Callable[[object, str], object]] = {
    "base_url": _url,
    "download_dir": _path,
    "poll_interval": _seconds(1.0, inclusive=True),
    "background_interval": _seconds(0.0, inclusive=False),
    "reserve_fraction": _fraction,
    "bell": _boolean,
    "desktop_notifications": _boolean,
    "timeout": _seconds(0.0, inclusive=False),
    "theme": _theme,
}
