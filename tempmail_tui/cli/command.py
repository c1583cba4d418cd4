"""A subcommand's declaration: kept apart from the parser, so the reader never loads argparse."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

#: Runs a command with its parsed arguments; its exit status.
Handler = Callable[["argparse.Namespace"], int]


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, one-line help, how to declare its arguments and how to run it."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Handler | None = None
