"""The Textual application: start-up, key handling, services and the command palette."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, on, work
from textual.actions import ActionParseResult
from textual.app import App, SystemCommand
from textual.dom import DOMNode
from textual.screen import Screen
from textual.theme import BUILTIN_THEMES, Theme
from textual.worker import Worker, WorkerFailed, active_worker

from tempmail_tui.ui import early_keys, interpreter
from tempmail_tui.ui.failures import guarded, one_line, report_unexpected
from tempmail_tui.ui.keys import bindings_in_force, keys_shown
from tempmail_tui.ui.screens.first_frame import FirstFrame, HeldKeys, KeysReleased
from tempmail_tui.ui.screens.main_keys import KEYS

# Not needed for the first frame: imported where used, after it.
if TYPE_CHECKING:
    from tempmail_tui.core.background import BackgroundLoop
    from tempmail_tui.core.config import Config
    from tempmail_tui.core.mail import MailService
    from tempmail_tui.core.schedule import PollScheduler
    from tempmail_tui.core.session import LocalStore
    from tempmail_tui.sandbox.server import SandboxServer
    from tempmail_tui.ui.host import MailHost
    from tempmail_tui.ui.screens.main import MainScreen
    from tempmail_tui.ui.startup import Bootstrapped, StoreOpening

DEMO_SAMPLES = ("plain", "attachment", "newsletter", "verification")
#: Seconds the terminal gets to draw the first frame before the main screen loads.
FIRST_FRAME_PAUSE = 0.05

log = logging.getLogger(__name__)


class TempMailApp(App[int]):
    """A terminal reader for Temp Mail mailboxes."""

    CSS_PATH = "app.tcss"
    TITLE = "tempmail-tui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        config: Config,
        *,
        demo: bool = False,
        store_path: Path | None = None,
        clock: Callable[[], datetime] | None = None,
        first_frame: bool | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.demo = demo
        self.store_path = store_path
        # One clock for the schedule and every time shown, so tests and snapshots can pin it.
        self.clock: Callable[[], datetime] = clock or schedule_clock
        #: Whether the first frame is painted before the main screen loads (None: in a
        #: terminal only; headless, as under Pilot, nothing is painted, so nothing waits).
        self.first_frame = first_frame
        self._scheduler: PollScheduler | None = None
        self.service: MailService | None = None
        self.store: LocalStore | None = None
        self.sandbox: SandboxServer | None = None
        self._io: BackgroundLoop | None = None
        self._demo_dir: Path | None = None
        # Loaded after the first frame (see on_mount), or on first use.
        self._main: MainScreen | None = None
        self._keys_in_force, self._key_notes = bindings_in_force(KEYS, config.keys)
        #: Keys typed while the first frame shows, for the main screen (None: no first frame).
        self.held_keys: HeldKeys | None = None
        self._terminal_title = ""
        #: The one-line cause if an unexpected error ended the app.
        self.crash: str | None = None
        # The message list may run its cursor keys itself when nothing is ahead of them.
        early_keys.count_keys(self)
        if config.theme is not None and config.theme in BUILTIN_THEMES:
            self.theme = config.theme

    @property
    def io(self) -> BackgroundLoop:
        """The background loop for network and disk work (started on first use)."""
        if self._io is None:
            from tempmail_tui.core.background import BackgroundLoop

            self._io = BackgroundLoop()
        return self._io

    @property
    def scheduler(self) -> PollScheduler:
        """The polling schedule (made on first use: the first frame does not need it)."""
        if self._scheduler is None:
            from tempmail_tui.core.schedule import PollScheduler
            from tempmail_tui.core.session import policy_for

            self._scheduler = PollScheduler(policy_for(self.config), clock=self.clock)
        return self._scheduler

    @property
    def main(self) -> MainScreen:
        """The main screen (its modules load on first use, after the first frame)."""
        if self._main is None:
            from tempmail_tui.ui.screens.main import MainScreen

            self._main = MainScreen()
            self._main.use_keys(self.config.keys)
        return self._main

    def _paints_first_frame(self) -> bool:
        """Whether to paint the first frame before loading the main screen."""
        return not self.is_headless if self.first_frame is None else self.first_frame

    def get_default_screen(self) -> Screen[Any]:
        """The first frame (panes and footer), or the main screen where nothing is painted."""
        if not self._paints_first_frame():
            return self.main
        self.held_keys = HeldKeys.for_keys(self._keys_in_force)
        return FirstFrame(self._keys_in_force)

    async def on_event(self, event: events.Event) -> None:
        """Hold the keys typed on the first frame (the quit keys quit) until the main screen."""
        held = self.held_keys
        if held is None or held.released or not isinstance(event, events.Key) or event.is_forwarded:
            await early_keys.bubbled(self, event, super().on_event)
        elif held.quits(event):
            self.exit()
        else:
            held.keep(event)

    @on(KeysReleased)
    async def _replay_held_keys(self, _: KeysReleased) -> None:
        """Give the main screen the keys typed on the first frame, in order, as if typed now."""
        if self.held_keys is None:
            return
        # Dispatched here, not posted: a key typed since is behind them in the queue.
        for key in self.held_keys.release():
            await super().on_event(key)

    def on_mount(self) -> None:
        """After the first frame: load the main screen, then open the store and find the key."""
        interpreter.favour_the_screen()
        # Not before the first paint: the main screen's modules and the thread's imports
        # (keyring, sqlite) would compete with it for the interpreter lock.
        self.call_after_refresh(self._after_first_paint)
        wanted = self.config.theme
        if wanted is not None and wanted not in BUILTIN_THEMES:
            from tempmail_tui.core.sanitize import clean_line

            self.notify(
                f"Unknown theme {clean_line(wanted)!r} in the config file; using the default. "
                "Pick one with ctrl+p, Change theme.",
                severity="warning",
                timeout=10,
                markup=False,
            )
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        # Said on stderr too, but the full screen covers that at once: say them here.
        notes = [*self.config.warnings, *self._key_notes]
        if notes:
            from tempmail_tui.core.sanitize import clean_line

            self.notify(
                "\n".join(clean_line(note, max_chars=300) for note in notes),
                title="config.toml",
                severity="warning",
                timeout=15,
                markup=False,
            )

    def _theme_changed(self, theme: Theme) -> None:
        """Keep a theme chosen in the palette for the next start."""
        if theme.name != self.config.theme and theme.name in BUILTIN_THEMES:
            self.config = replace(self.config, theme=theme.name)
            self.save_theme(theme.name)

    @work(thread=True, group="save-theme", exclusive=True)
    def save_theme(self, name: str) -> None:
        """Write the theme into config.toml (off the UI thread: it is disk I/O)."""
        from tempmail_tui.core.config import ConfigError, default_config_path, save_setting

        path = self.config.config_file or default_config_path()
        try:
            save_setting(path, "theme", name)
        except ConfigError as error:
            log.warning("theme not saved: %s", error)
            # notify posts a message: safe from this thread, and it does not wait for the UI.
            self.notify(
                f"The theme is used now but not kept: {error}", severity="warning", markup=False
            )
        else:
            log.info("theme %s saved in %s", name, path)

    # Start-up --------------------------------------------------------------------------

    def _after_first_paint(self) -> None:
        """Give the terminal a moment to show the first frame before the heavy loading."""
        # Start-up may have run with the collector off (console.py): the frame is out.
        interpreter.resume_collection()
        # Loads ctypes: not on the way to the first frame.
        interpreter.keep_big_blocks_apart()
        # The frame is written; a terminal on a busy machine still has to draw it, and the
        # main screen's imports would take the CPU from it at once.
        if self._paints_first_frame():
            self.set_timer(FIRST_FRAME_PAUSE, self._after_first_frame)
        else:
            self.call_later(self._after_first_frame)

    async def _after_first_frame(self) -> None:
        """Start the bootstrap and put the main screen over the first frame meanwhile."""
        # The thread's store and key look-up overlap the main screen's loading; what it
        # finds is taken over in `on_bootstrapped`, a message handled once the push is done.
        self.bootstrap()
        if self.screen is not self.main:
            # Pushed, not switched: Textual cannot switch away from the default screen. The
            # first frame stays under it, a few idle widgets, never shown again.
            await self.push_screen(self.main)
        if self.held_keys is not None:
            # After the main screen's own mount and focus calls, which are queued already.
            self.main.call_later(self.post_message, KeysReleased())

    @work(thread=True)
    def bootstrap(self) -> None:
        """Slow start-up steps (keyring, SQLite, the demo sandbox) in a thread."""
        # Imported here, in the thread: the first frame does without start-up's records.
        from tempmail_tui.ui.startup import prepare

        # It only computes and posts: `on_bootstrapped` assigns, on the UI thread (ui/events.py).
        started = prepare(self.config, self.store_path, demo=self.demo, post=self.post_message)
        if not self.post_message(started):
            # The app is closing and no handler will take these over: let them go here.
            if started.store is not None:
                started.store.close()
            if started.demo is not None:
                started.demo.close()
        # Warm what the first opened message needs, here rather than on the user's Enter.
        import tempmail_tui.core.extract  # noqa: F401

        interpreter.settle_start()
        # Start-up's garbage (imports, parsing, the first frame) is freed; its pages go back
        # now, or a big box's first listing would come on top of them.
        interpreter.give_back_freed()

    # Handlers by name (on_ and the message's class), not @on: the classes load after the
    # first frame, with the thread that posts them.
    def on_store_opening(self, event: StoreOpening) -> None:
        """Say what holds the store up (a one-off upgrade) on the status line until it ends."""
        notice = event.notice
        waits = notice.kind in ("upgrading", "waiting")
        self.main.set_store_baseline(notice.text if waits else None)
        if notice.kind != "waited":
            self.notify(notice.text, timeout=8, markup=False)

    @guarded("Starting up")
    def on_bootstrapped(self, event: Bootstrapped) -> None:
        if event.demo is not None:
            self.sandbox, self._demo_dir = event.demo.server, event.demo.directory
            self.config = event.demo.configure(self.config)
        if event.found_in is not None:
            self.config = replace(self.config, api_key=event.key, api_key_source=event.found_in)
        self.store_path = event.store_path
        self.store = event.store
        if self.main.store_notice is not None:
            # What the opening said (an upgrade, a wait) is over however it ended: a failure
            # is reported below as the problem.
            self.main.set_store_baseline(None)
        if event.problem:
            self.notify(event.problem, severity="error", timeout=12, markup=False)
        if event.read_only_notice:
            log.warning("%s", event.read_only_notice)
            self.notify(event.read_only_notice, severity="warning", timeout=12, markup=False)
            self.main.set_store_baseline("Read-only local store: new mail is shown, not kept.")
        if event.store is None:
            return
        if event.key is None:
            self.ask_for_key(keyring_ok=event.keyring_ok, keyring_note=event.keyring_note)
        else:
            self.connect(event.key)

    def connect(self, key: str) -> None:
        """Build the client and service with this key and start polling."""
        from tempmail_tui.core.session import connect

        assert self.store is not None
        old = self.service
        self.service = connect(self.config, key, self.store)
        # Whatever the server said to the old key is no answer about the new one.
        self.main.key_replaced()
        if old is not None:
            self.io.submit(old.aclose())
        if self.sandbox is not None and old is None:
            self.demo_seed()
        else:
            self.main.load_boxes()

    @work
    async def demo_seed(self) -> None:
        """In the demo, create a first mailbox through the API and deliver sample mail to it."""
        assert self.sandbox is not None and self.service is not None
        sandbox, service = self.sandbox, self.service
        try:
            box = await self.io.run(service.create_mailbox())
            now = sandbox.state.now()
            # Oldest first, a few minutes apart, so the verification mail tops the list.
            for age, kind in enumerate(DEMO_SAMPLES):
                received = now - timedelta(minutes=7 * (len(DEMO_SAMPLES) - 1 - age))
                sandbox.state.add_sample(box.email, kind, received_at=received)
        except Exception as error:
            log.error("demo set-up failed", exc_info=error)
            self.notify(f"Demo set-up failed: {one_line(error)}", severity="error", markup=False)
            self.main.load_boxes()
            return
        self.notify(
            f"Demo sandbox at {sandbox.base_url} (SMTP {sandbox.smtp_host}:{sandbox.smtp_port}): "
            "mail sent there arrives here.",
            timeout=10,
            markup=False,
        )
        self.main.load_boxes(select=box.email)

    @work
    async def ask_for_key(
        self,
        *,
        reason: str | None = None,
        keyring_ok: bool | None = None,
        keyring_note: str = "",
        in_use: str | None = None,
    ) -> None:
        """Ask for the API key, checked with the server; keep it in the keyring if one exists."""
        from tempmail_tui.ui.key_entry import KeyQuestion, key_from_user

        question = KeyQuestion(reason, keyring_ok, keyring_note, in_use)
        key = await key_from_user(self, self.io, self.config, question, self.service is not None)
        if key is not None:
            self.config = replace(self.config, api_key=key, api_key_source="session")
            self.connect(key)

    def enter_key(self) -> None:
        """Open the key dialog on request (the palette), naming the key it would replace."""
        if self.store is None:
            self.notify(
                "A key can be entered once start-up has opened the local store.",
                severity="warning",
                markup=False,
            )
            return
        from tempmail_tui.core.credentials import mask_key

        key = self.config.api_key
        self.ask_for_key(in_use=mask_key(key) if key is not None else None)

    # Terminal, browser and desktop -----------------------------------------------------

    def set_terminal_title(self, title: str) -> None:
        """Set the terminal window's title (only our own text ever goes there)."""
        if title == self._terminal_title:
            return
        self._terminal_title = title
        driver = self._driver
        if driver is None or self.is_headless:
            return
        from tempmail_tui.core.sanitize import clean_line

        # Our own text, but clean it anyway: a title must not end the escape sequence.
        driver.write(f"\x1b]2;{clean_line(title, max_chars=80)}\x07")

    async def open_in_browser(self, url: str) -> bool:
        """Open a web link with the system browser where a display exists; False if none."""
        from tempmail_tui.ui.desktop import has_display

        if not url.lower().startswith(("http://", "https://")) or not has_display():
            return False
        import webbrowser

        return bool(await asyncio.to_thread(webbrowser.open, url))

    def desktop_notify(self, title: str, body: str) -> None:
        """Send a desktop notification with notify-send, where it exists and a display does."""
        from tempmail_tui.ui.desktop import notify_desktop

        notify_desktop(title, body)

    # Command palette -------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every main-screen action by name, plus Textual's own commands."""
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Enter API key",
            "Type or paste a new API key, checked with the server before it is used",
            self.enter_key,
        )
        main = self.main
        # Every action, also one whose key config.toml gave to another: here it still runs.
        in_force = {binding.action: binding for binding in main.keys_in_force}
        for binding in KEYS:
            if not binding.description:
                continue
            doc = getattr(main, f"action_{binding.action}").__doc__ or ""
            bound = in_force.get(binding.action)
            key = keys_shown(bound) if bound is not None else "no key"
            # Through run_action, like a key press, so a failure is reported the same way.
            run = functools.partial(self.run_action, binding.action, main)
            yield SystemCommand(binding.description, f"{doc} ({key})", run)

    # Failures --------------------------------------------------------------------------

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Run an action (key, palette or link); an unexpected error is reported, not fatal."""
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except Exception as error:
            name = action if isinstance(action, str) else action[1]
            report_unexpected(self, describe_action(name), error)
            return True

    def _handle_exception(self, error: Exception) -> None:
        # Textual's single exit for unhandled errors: a private hook, hence the upper bound on
        # textual in pyproject.toml. A failed worker has ended on its own, so it is reported
        # and the app goes on; any other error has stopped a message loop, so the app ends
        # with status 1, the traceback goes to the log (never to the screen: its locals may
        # hold the key) and the command line prints one line pointing there.
        if isinstance(error, WorkerFailed):
            worker: Worker[Any] | None = active_worker.get(None)
            what = describe_action(worker.name) if worker is not None else "A background task"
            report_unexpected(self, what, error.error)
            return
        log.critical("tempmail-tui stopped by an unexpected error", exc_info=error)
        self.crash = one_line(error)
        if self.is_headless:
            # Under Pilot, Textual hands the error to the test.
            super()._handle_exception(error)
            return
        self._return_code = 1
        self.bell()
        self._close_messages_no_wait()

    # Shut-down -------------------------------------------------------------------------

    async def on_unmount(self) -> None:
        """Close the client, the loop, the store and the demo sandbox."""
        # A poll whose rows never came to be painted let go of the collector now.
        interpreter.POLL_COLLECTIONS.reset()
        if self.service is not None:
            service = self.service
            with contextlib.suppress(Exception):
                self.io.call(service.aclose(), timeout=2)
        if self._io is not None:
            self._io.close()
        if self.store is not None:
            self.store.close()
        if self.sandbox is not None:
            self.sandbox.stop()
        if self._demo_dir is not None:
            shutil.rmtree(self._demo_dir, ignore_errors=True)


def _fits_host(app: TempMailApp) -> MailHost:  # the host is imported for mypy only
    """Never called: mypy checks here that the app is all MailHost promises the screens."""
    return app


def schedule_clock() -> datetime:
    """The schedule's clock (utc_now), imported on the first tick, not before the first frame."""
    from tempmail_tui.core.schedule import utc_now

    return utc_now()


def describe_action(name: str) -> str:
    """What an action or worker is called for the user: its key's description if it has one."""
    action = name.split("(", 1)[0].rsplit(".", 1)[-1].removeprefix("action_")
    for binding in KEYS:
        if binding.action == action and binding.description:
            return binding.description
    return action.replace("_", " ").strip().capitalize() or "An action"


def run_app(config: Config, *, demo: bool = False) -> tuple[int, str | None]:
    """Run the app in the terminal; its exit status and, if it crashed, the one-line cause.

    A crash is status 1 at least.
    """
    app = TempMailApp(config, demo=demo)
    app.run()
    status = app.return_code or 0
    if app.crash is not None:
        return status or 1, app.crash
    return status, None
