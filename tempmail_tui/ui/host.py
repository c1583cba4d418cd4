"""What screens may use of the app, as a protocol, so no screen or widget imports the app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.worker import Worker

    from tempmail_tui.core.background import BackgroundLoop
    from tempmail_tui.core.config import Config

    # The service pulls in httpx: keep it off the path to the first frame.
    from tempmail_tui.core.mail import MailService
    from tempmail_tui.core.schedule import PollScheduler


class MailHost(Protocol):
    """The app as the screens see it: the mail service, the schedule, settings and desktop."""

    @property
    def service(self) -> MailService | None:
        """The mail service (the core), or None until a key is known and the store is open."""

    @property
    def io(self) -> BackgroundLoop:
        """The background loop where every network and disk call runs, never the UI thread."""

    @property
    def scheduler(self) -> PollScheduler:
        """The polling schedule, which only the UI thread drives."""

    @property
    def clock(self) -> Callable[[], datetime]:
        """The one clock for the schedule and every time shown (tests and snapshots pin it)."""

    @property
    def config(self) -> Config:
        """The settings the app runs with."""

    def set_terminal_title(self, title: str) -> None:
        """Set the terminal window's title to our own text."""

    async def open_in_browser(self, url: str) -> bool:
        """Open a web link in the system browser; False where no display exists."""

    def desktop_notify(self, title: str, body: str) -> None:
        """Send a desktop notification where a notifier and a display exist."""

    def ask_for_key(self, *, reason: str | None = None) -> Worker[None]:
        """Ask the user for the API key (the reason says why) and reconnect with it."""


def host_of(node: DOMNode) -> MailHost:
    """The app that runs this node, seen through the protocol (the one place that casts)."""
    # No isinstance check: a runtime protocol check would read every property, and `io`
    # starts a thread. The app module asserts statically that TempMailApp fits.
    return cast("MailHost", node.app)
