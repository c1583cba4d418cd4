"""The command line's reader path: no command named, no command module loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

COMMAND_MODULES = {
    f"tempmail_tui.cli.{name}"
    for name in ("archive", "auth", "boxes", "mail", "run", "sandbox", "wait")
}

# Runs the command line with a reader that reports what it was given and what was loaded.
PROBE = """
import json, sys
from tempmail_tui.cli import main

def reader(config, *, demo):
    print(json.dumps({
        "demo": demo,
        "poll_interval": config.poll_interval,
        "bell": config.bell,
        "base_url": config.base_url,
        "loaded": sorted(sys.modules),
    }))
    return 0, None

sys.exit(main(sys.argv[1:], reader=reader))
"""


def probe(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """The probe run in a fresh interpreter, with private config and state directories."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PYTHONPATH": ":".join(sys.path),
    }
    return subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, env=env, check=False
    )


@pytest.mark.parametrize(
    "argv",
    [
        (),
        ("--poll-interval", "7", "--no-bell", "--base-url", "http://127.0.0.1:9/api"),
        ("--demo",),
    ],
)
def test_the_reader_reads_the_options_without_loading_a_command(
    tmp_path: Path, argv: tuple[str, ...]
) -> None:
    done = probe(tmp_path, *argv)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert not COMMAND_MODULES & set(seen["loaded"]), COMMAND_MODULES & set(seen["loaded"])
    assert seen["demo"] is ("--demo" in argv)
    if "--no-bell" in argv:
        assert seen["poll_interval"] == 7 and seen["bell"] is False
        assert seen["base_url"] == "http://127.0.0.1:9/api"
    else:
        assert seen["poll_interval"] == 5 and seen["bell"] is True


def test_anything_else_goes_to_the_full_parser(tmp_path: Path) -> None:
    # A command, --help, --version and a mistake: each as before, the reader never run.
    listed = probe(tmp_path, "--demo", "--help")
    assert listed.returncode == 0 and "COMMAND" in listed.stdout and "export" in listed.stdout
    version = probe(tmp_path, "--version")
    assert version.returncode == 0 and version.stdout.startswith("tempmail-tui ")
    wrong = probe(tmp_path, "--poll-interval")
    assert wrong.returncode == 2 and "expected one argument" in wrong.stderr
    unknown = probe(tmp_path, "bogus")
    assert unknown.returncode == 2 and "invalid choice: 'bogus'" in unknown.stderr
    labels = probe(tmp_path, "label", "nobody@example.test")
    assert '"loaded"' not in labels.stdout, "the reader ran for a command"


def test_no_options_are_what_the_reader_parser_gives_for_none() -> None:
    # The launch with no arguments skips the parser (cli._reader_args): it must not differ.
    from tempmail_tui.cli import NO_OPTIONS, _reader_args
    from tempmail_tui.cli.parser import reader_parser

    assert vars(reader_parser().parse_args([])) == NO_OPTIONS
    assert vars(_reader_args([])) == NO_OPTIONS
