"""Asking the user for the API key: the dialog, the server's check, the keyring, what is said."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.app import App

from tempmail_tui.core import credentials
from tempmail_tui.core.session import check_key
from tempmail_tui.ui.failures import one_line
from tempmail_tui.ui.screens.key_dialog import ApiKeyDialog, KeyEntry

if TYPE_CHECKING:
    from tempmail_tui.core.background import BackgroundLoop
    from tempmail_tui.core.config import Config

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeyQuestion:
    """Why the key is asked for, what the keyring can do, and the masked key it would replace."""

    reason: str | None = None
    #: None until asked (on the I/O thread: a keyring backend may block).
    keyring_ok: bool | None = None
    keyring_note: str = ""
    in_use: str | None = None


async def key_from_user(
    app: App[Any], io: BackgroundLoop, config: Config, question: KeyQuestion, connected: bool
) -> str | None:
    """The key the user entered (saved in the keyring if asked and checked), or None.

    Runs in a worker of ``app`` (the dialog is awaited); ``connected`` says whether a key is
    in use already, so a dismissed dialog only warns when nothing can be fetched.
    """
    if any(isinstance(screen, ApiKeyDialog) for screen in app.screen_stack):
        return None  # one is open already (a rejected key and the palette at once)
    if question.keyring_ok is None:
        # A worker thread, not the I/O loop: a keyring may block (a prompt, D-Bus), and
        # polls share that loop.
        keyring_ok, keyring_note = await asyncio.to_thread(credentials.keyring_available)
    else:
        keyring_ok, keyring_note = question.keyring_ok, question.keyring_note

    async def check(key: str) -> None:
        # On the I/O loop: the dialog stays responsive while the server is asked.
        await io.run(check_key(config, key))

    entry = await app.push_screen_wait(
        ApiKeyDialog(
            keyring_ok=keyring_ok,
            keyring_note=keyring_note,
            reason=question.reason,
            check=check,
            in_use=question.in_use,
        )
    )
    if not isinstance(entry, KeyEntry):
        if not connected:
            app.notify(
                "No API key: nothing can be fetched. Set TEMPMAIL_API_KEY or run "
                "`tempmail-tui auth set`, or try `tempmail-tui --demo`.",
                severity="warning",
                timeout=12,
                markup=False,
            )
        return None
    if not entry.checked:
        log.warning("API key used unchecked: the server could not be asked")
        app.notify(
            "The key is used unchecked for this session; it is not saved in the keyring.",
            severity="warning",
            markup=False,
        )
    elif entry.persist:
        try:
            await asyncio.to_thread(credentials.store_api_key, entry.key)
            app.notify("API key saved in the keyring.", markup=False)
        except Exception as error:
            log.warning("keyring write failed: %s", one_line(error))
            app.notify(
                f"Could not save the key in the keyring ({type(error).__name__}); "
                "it is kept for this session only.",
                severity="warning",
                markup=False,
            )
    return entry.key
