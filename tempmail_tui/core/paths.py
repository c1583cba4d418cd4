"""Where tempmail-tui keeps its files: data, configuration and downloads."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "tempmail-tui"
STORE_FILENAME = "store.sqlite3"
LOG_FILENAME = "tempmail-tui.log"


def data_dir() -> Path:
    """The user's data directory for the app (honours ``XDG_DATA_HOME`` on Linux)."""
    # Evaluated on every call, so a changed environment (tests, --data-dir wrappers) takes effect.
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """The user's configuration directory for the app (honours ``XDG_CONFIG_HOME`` on Linux)."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def state_dir() -> Path:
    """The user's state directory for the app, where the log goes (honours ``XDG_STATE_HOME``)."""
    return Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))


def log_path() -> Path:
    """The default log file: errors with their tracebacks, for bug reports."""
    return state_dir() / LOG_FILENAME


def download_dir() -> Path:
    """Where attachments are saved by default: ``~/Downloads/tempmail``, else under the data dir."""
    # platformdirs reads XDG_DOWNLOAD_DIR from user-dirs.dirs, so a localised
    # Downloads folder is found too; its default is ~/Downloads.
    downloads = Path(platformdirs.user_downloads_dir())
    if downloads.is_dir():
        return downloads / "tempmail"
    return data_dir() / "downloads"


def store_path() -> Path:
    """The SQLite file holding known mailboxes and fetched messages."""
    return data_dir() / STORE_FILENAME
