"""Fixtures of the hostile suite: sandboxes and scripted servers that stop with the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tempmail_tui.sandbox.server import SandboxServer

SANDBOX_KEY = "tmk_hostile_suite_key_0123456789"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A fresh sandbox (HTTP and SMTP on loopback)."""
    with SandboxServer(api_key=SANDBOX_KEY) as server:
        yield server
