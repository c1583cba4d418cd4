"""The auth command: set, show and clear the API key kept in the OS keyring."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

from tempmail_tui.cli.errors import EXIT_AUTH, EXIT_OK, EXIT_USAGE, CliError
from tempmail_tui.cli.output import PROG, say


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the actions: set, status, clear."""
    actions = parser.add_subparsers(title="actions", dest="action", metavar="ACTION")
    actions.required = True
    for name, help_text, handler in (
        ("set", "store the API key in the OS keyring (prompted, or one line on stdin)", auth_set),
        ("status", "show where the API key comes from (masked) and the keyring state", auth_status),
        ("clear", "remove the API key from the OS keyring", auth_clear),
    ):
        action = actions.add_parser(name, help=help_text, description=help_text)
        action.set_defaults(handler=handler)


def auth_set(args: argparse.Namespace, *, stdin: TextIO | None = None) -> int:
    """Read a key (hidden prompt on a terminal, one line from a pipe) and store it."""
    from tempmail_tui.core import credentials

    # Asked first: with no keyring, a key typed or pasted only to be refused is wasted work
    # (and a piped key must stay unread for the next command).
    usable, note = credentials.keyring_available()
    if not usable:
        raise credentials.KeyStoreError(f"cannot store the API key: {note}; {credentials.ADVICE}")
    source = stdin if stdin is not None else sys.stdin
    key = _read_key(source).strip()
    problem = credentials.key_problem(key)
    if problem is not None:
        raise CliError(problem, EXIT_USAGE)
    # A keyring that refuses (none over SSH, a locked one) is a KeyStoreError: exit 3.
    credentials.store_api_key(key)
    info = credentials.describe_keyring()
    print(f"Stored API key {credentials.mask_key(key)} in the keyring: {info.description}")
    if info.insecure:
        say("warning: this keyring keeps the key in a plain file, readable by anyone who can")
        say("         read your home directory; prefer a real keyring or " + credentials.ENV_VAR)
    if os.environ.get(credentials.ENV_VAR, "").strip():
        print(f"Note: {credentials.ENV_VAR} is set in this shell and is used before the keyring.")
    return EXIT_OK


def _read_key(source: TextIO) -> str:
    try:
        if source.isatty():
            import getpass

            return getpass.getpass("Temp Mail API key (input hidden): ")
        # One line only: a pipe may carry more, and the rest is none of our business.
        return source.readline(8192)
    except EOFError:
        return ""


def auth_status(args: argparse.Namespace) -> int:
    """Report where the key comes from, masked, and what the keyring is; 3 if no key."""
    from tempmail_tui.core import credentials

    lookup = credentials.lookup_api_key(os.environ)
    info = credentials.describe_keyring()
    if lookup.key is not None:
        where = credentials.ENV_VAR if lookup.source == "env" else "the OS keyring"
        print(f"API key: {credentials.mask_key(lookup.key)} (from {where})")
    else:
        print("API key: none found")
    if lookup.problem is not None and lookup.problem != info.description:
        print(f"Problem: {lookup.problem}")
    state = "" if info.usable else "unavailable: "
    print(f"Keyring: {state}{info.description}")
    if info.insecure:
        print("Warning: this keyring keeps the key in a plain file, only base64-encoded")
    if lookup.key is None:
        print(f"To add a key: run `{PROG} auth set`, or set {credentials.ENV_VAR}.")
        return EXIT_AUTH
    return EXIT_OK


def auth_clear(args: argparse.Namespace) -> int:
    """Remove the key from the keyring; mention the environment variable if it is still set."""
    from tempmail_tui.core import credentials

    # A keyring that refuses is a KeyStoreError: exit 3.
    removed = credentials.clear_api_key()
    print("Removed the API key from the keyring." if removed else "No API key was in the keyring.")
    if os.environ.get(credentials.ENV_VAR, "").strip():
        print(f"Note: {credentials.ENV_VAR} is still set in this shell; unset it to stop using it.")
    return EXIT_OK
