"""The root of the one error family: every failure the project raises on purpose."""

from __future__ import annotations


class TempMailError(Exception):
    """Base class of every error tempmail-tui raises on purpose; front ends map it to output."""


class LocalError(TempMailError):
    """A failure on this machine (store, settings, key store, files), never the server's."""
