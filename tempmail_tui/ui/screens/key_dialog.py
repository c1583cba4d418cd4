"""The API key dialog: the key typed masked, checked with one request before it is used."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from tempmail_tui.api.errors import ApiError, AuthenticationError, InputError
from tempmail_tui.core.sanitize import clean_line
from tempmail_tui.ui.screens.dialogs import FormDialog

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class KeyEntry:
    """An API key typed by the user, whether to keep it in the keyring, and if it was checked."""

    key: str
    persist: bool
    #: False when the server could not be asked and the user chose to use the key anyway.
    checked: bool = True

    def __repr__(self) -> str:
        return f"KeyEntry(key='***', persist={self.persist}, checked={self.checked})"


#: Tries a key with the server: returns if accepted, raises ApiError otherwise.
KeyCheck = Callable[[str], Awaitable[None]]


class SecretInput(Input):
    """A masked input whose messages never show the value (Textual logs message reprs)."""

    class Changed(Input.Changed):
        """The value changed (hidden in repr)."""

        def __repr__(self) -> str:
            return "SecretInput.Changed(value='***')"

    class Submitted(Input.Submitted):
        """Enter was pressed (the value hidden in repr)."""

        def __repr__(self) -> str:
            return "SecretInput.Submitted(value='***')"

    class Blurred(Input.Blurred):
        """The input lost focus (the value hidden in repr)."""

        def __repr__(self) -> str:
            return "SecretInput.Blurred(value='***')"


class ApiKeyDialog(FormDialog):
    """Ask for the API key with a masked input; with ``check``, the server must accept it.

    A key the server rejects keeps the dialog open for another try. When the server cannot
    be asked (the network, a server error), the dialog says so and offers to check again or
    to use the key unchecked for this session: a wrong key then shows up as a rejected
    check, which opens this dialog again, and it is never saved in the keyring unchecked.
    """

    def __init__(
        self,
        *,
        keyring_ok: bool,
        keyring_note: str,
        reason: str | None = None,
        check: KeyCheck | None = None,
        in_use: str | None = None,
    ) -> None:
        super().__init__()
        self._keyring_ok, self._keyring_note, self._reason = keyring_ok, keyring_note, reason
        self._check = check
        # The key in use now, masked, when a new one would replace it.
        self._in_use = in_use
        # The key whose check could not be done, offered for use unchecked.
        self._unchecked: str | None = None

    def compose(self) -> ComposeResult:
        """Explanation, a password input and buttons."""
        lines = Text()
        if self._reason:
            lines.append(self._reason + "\n\n", style="bold red")
        if self._in_use:
            lines.append(f"In use now: {self._in_use}. A new key replaces it.\n")
        lines.append("Paste your Temp Mail User API key (from API Management in your account).\n")
        if self._keyring_ok:
            lines.append(f"It will be kept in the system keyring ({self._keyring_note}).")
        else:
            lines.append(
                f"No keyring is available here: {self._keyring_note}.\n"
                "The key is kept for this session only. To keep it, set TEMPMAIL_API_KEY "
                "in your shell profile or install a keyring backend, then run "
                "`tempmail-tui auth set`.",
                style="yellow",
            )
        with Vertical(classes="dialog"):
            yield Label("API key", classes="dialog-title")
            yield Static(lines, classes="dialog-text")
            yield SecretInput(password=True, placeholder="API key", id="key")
            yield Static(id="error", classes="dialog-error")
            with Horizontal(classes="buttons"):
                yield Button(self._ok_label, variant="primary", id="ok")
                yield Button("Use unchecked", id="unchecked", classes="-hidden")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        """Start in the key field."""
        self.query_one("#key", Input).focus()

    def _submit(self) -> None:
        value = self.query_one("#key", Input).value.strip()
        if not value or any(ch.isspace() for ch in value):
            self._problem("Enter the key (no spaces).")
            return
        if self._check is None:
            self.dismiss(KeyEntry(value, persist=self._keyring_ok))
            return
        self._busy(True)
        self._problem("Checking the key with the server…")
        self._check_key(value)

    @on(Button.Pressed, "#unchecked")
    def _use_unchecked(self, event: Button.Pressed) -> None:
        # Handled here alone: the form's handler would take it for Cancel.
        event.stop()
        event.prevent_default()
        if self._unchecked is not None:
            self.dismiss(KeyEntry(self._unchecked, persist=False, checked=False))

    # Described: by default a worker is named with its arguments, and Textual logs the name.
    @work(group="key-check", exclusive=True, description="Checking the API key")
    async def _check_key(self, key: str) -> None:
        """Ask the server about the key (on the I/O loop) and accept it or say why not."""
        assert self._check is not None
        try:
            await self._check(key)
        except AuthenticationError as error:
            status = error.status_code or 401
            self._failed(
                f"The key was rejected by the server (HTTP {status}). Check it and try again."
            )
        except InputError as error:
            # Refused here before any request: no server to blame, nothing to retry.
            self._failed(f"This key cannot be used: {error}.")
        except ApiError as error:
            # No answer either way: the user may know better than a flaky link.
            self._unchecked = key
            self._failed(
                f"Could not check the key: {str(error).rstrip('.')}. Check again, or use it "
                "unchecked for this session (it is not saved).",
                offer_unchecked=True,
            )
        except Exception as error:
            log.error("checking the API key failed", exc_info=error)
            self._failed(
                f"Could not check the key: unexpected {type(error).__name__} on this machine "
                "(see the log)."
            )
        else:
            self.dismiss(KeyEntry(key, persist=self._keyring_ok))

    def _problem(self, text: str) -> None:
        """Show why the key is not accepted, scrolled into view on a short terminal."""
        super()._problem(text)
        error = self.query_one("#error", Static)
        # After the refresh: its height is known only once the new text is laid out.
        self.call_after_refresh(error.scroll_visible, animate=False)

    def _failed(self, text: str, *, offer_unchecked: bool = False) -> None:
        """Show why the key was not accepted and let the user try again."""
        self._busy(False)
        self._problem(clean_line(text, max_chars=300))
        self.query_one("#unchecked", Button).set_class(not offer_unchecked, "-hidden")
        self.query_one("#ok", Button).label = "Check again" if offer_unchecked else self._ok_label
        self.query_one("#key", Input).focus()

    @property
    def _ok_label(self) -> str:
        return "Save" if self._keyring_ok else "Use for this session"

    def _busy(self, busy: bool) -> None:
        """While the server is asked, the key cannot change under the check."""
        self.query_one("#key", Input).disabled = busy
        self.query_one("#ok", Button).disabled = busy
        self.query_one("#unchecked", Button).disabled = busy
        self.query_one("#error", Static).set_class(busy, "-busy")
