"""The settings a command (or the reader) runs with; an online command's session is in online.py."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from tempmail_tui.cli.errors import EXIT_USAGE, CliError
from tempmail_tui.cli.output import PROG, say
from tempmail_tui.core.config import (
    API_KEY_ENV_VAR,
    DEFAULT_BASE_URL,
    ENV_VARS,
    Config,
    load_config,
)

if TYPE_CHECKING:
    import argparse


def settings(args: argparse.Namespace, *, keyring: bool, reader: bool = False) -> Config:
    """The merged settings (flags, environment, file); their warnings said on stderr.

    ``keyring`` reads the key from the OS keyring too. ``reader`` is the TUI, the only one
    that takes --demo: it then talks to its own sandbox, never the configured key and URL.
    """
    demo = bool(args.demo)
    if demo and not reader:
        raise CliError(f"--demo applies to the reader only; run `{PROG} sandbox`", EXIT_USAGE)
    flags: dict[str, object] = {
        "download_dir": args.download_dir,
        "poll_interval": args.poll_interval,
        "bell": False if args.no_bell else None,
    }
    environ: dict[str, str] = dict(os.environ)
    if demo:
        # The demo talks to its own sandbox: the real key and URL must not leak into it.
        environ.pop(API_KEY_ENV_VAR, None)
        environ.pop(ENV_VARS["base_url"], None)
        if args.base_url is not None:
            say("warning: --base-url is ignored with --demo")
    else:
        flags["base_url"] = args.base_url
    config = load_config(flags=flags, environ=environ, use_keyring=keyring)
    if demo:
        config.base_url = DEFAULT_BASE_URL
    for warning in config.warnings:
        say(f"warning: {warning}")
    return config
