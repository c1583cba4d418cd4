"""The session an online command works in: its settings and the mail service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tempmail_tui.cli.output import say, say_opening
from tempmail_tui.cli.session import settings
from tempmail_tui.core.config import Config

# The service pulls in httpx, SQLite and the renderer: loaded when a command goes online.
if TYPE_CHECKING:
    import argparse

    from tempmail_tui.core.mail import MailService


@dataclass(frozen=True)
class Online:
    """What an online command works with: its settings and the mail service."""

    config: Config
    service: MailService


def online(args: argparse.Namespace, work: Callable[[Online], Awaitable[int]]) -> int:
    """Run ``work`` in a mail session opened from the settings; its status is the command's."""
    import asyncio

    from tempmail_tui.core.session import open_mail

    config = settings(args, keyring=True)

    async def session() -> int:
        async with open_mail(config, warn=_warn, notice=say_opening) as service:
            return await work(Online(config, service))

    return asyncio.run(session())


def _warn(notice: str) -> None:
    say(f"warning: {notice}")
