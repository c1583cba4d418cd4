"""A real terminal for the benchmarks: a private tmux server, and process figures from /proc."""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class TerminalError(Exception):
    """The terminal did not show what was expected in time."""


class Tmux:
    """A tmux server of our own (own socket, no user config), stopped with ``close``."""

    def __init__(self, width: int = 120, height: int = 36) -> None:
        self.socket = f"tempmail-bench-{os.getpid()}"
        self.width, self.height = width, height
        self._count = 0
        # A placeholder session keeps the server up, so each launch costs only a new session.
        self._tmux("new-session", "-d", "-s", "keep", "-x", "20", "-y", "5", "sleep 86400")
        # A program that ends early leaves its last screen (a traceback, a message) for the
        # error to show, instead of its pane vanishing with it.
        self._tmux("set-option", "-g", "remain-on-exit", "on")
        self.term = self._tmux("show-options", "-gv", "default-terminal").strip() or "screen"
        self._socket_path = Path(self._tmux("display-message", "-p", "#{socket_path}").strip())

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise TerminalError(f"tmux {args[0]} failed: {done.stderr.strip()}")
        return done.stdout

    def launch(self, argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> Pane:
        """Start ``argv`` in a new session with exactly ``env``; returns once it is started."""
        self._count += 1
        name = f"run{self._count}"
        full_env = {**env, "TERM": self.term}
        command = "cd {} && exec env -i {} {}".format(
            shlex.quote(str(cwd)),
            " ".join(shlex.quote(f"{k}={v}") for k, v in full_env.items()),
            " ".join(shlex.quote(a) for a in argv),
        )
        started = time.perf_counter()
        printed = self._tmux(
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            str(self.width),
            "-y",
            str(self.height),
            "-P",
            "-F",
            "#{pane_pid}",
            command,
        )
        pid = int(printed.strip())
        return Pane(self, name, pid, started)

    def capture(self, target: str) -> str:
        """The visible text of a pane."""
        return self._tmux("capture-pane", "-p", "-t", target)

    def send_keys(self, target: str, *keys: str) -> None:
        """Type keys into a pane (tmux key names)."""
        self._tmux("send-keys", "-t", target, *keys)

    def kill_session(self, target: str) -> None:
        """End a session (its process gets SIGHUP)."""
        # An error means it is already gone with its process.
        with contextlib.suppress(TerminalError):
            self._tmux("kill-session", "-t", target)

    def close(self) -> None:
        """Stop our tmux server and everything it runs."""
        with contextlib.suppress(TerminalError):
            self._tmux("kill-server")
        # tmux leaves its socket file behind.
        with contextlib.suppress(OSError):
            self._socket_path.unlink(missing_ok=True)

    def __enter__(self) -> Tmux:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass
class Pane:
    """One launched program in its own tmux session."""

    tmux: Tmux
    name: str
    pid: int
    started: float

    def text(self) -> str:
        """What the pane shows now."""
        return self.tmux.capture(self.name)

    def wait_for(
        self, found: Callable[[str], bool], *, timeout: float, every: float = 0.01
    ) -> float:
        """Poll the screen until ``found`` holds; the seconds since launch when it first did."""
        deadline = time.perf_counter() + timeout
        while True:
            screen = self.text()
            now = time.perf_counter()
            if found(screen):
                return now - self.started
            if now > deadline:
                raise TerminalError(f"{self.name}: timed out; the screen shows:\n{screen}")
            if not alive(self.pid):
                raise TerminalError(f"{self.name}: the program exited; the screen shows:\n{screen}")
            time.sleep(every)

    def quit(self, keys: Sequence[str] = ("q",), timeout: float = 5.0) -> None:
        """Ask the program to quit with ``keys``, then end the session if it lingers."""
        if alive(self.pid):
            with contextlib.suppress(TerminalError):
                self.tmux.send_keys(self.name, *keys)
            wait_exit(self.pid, timeout)
        self.tmux.kill_session(self.name)
        wait_exit(self.pid, timeout)


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_exit(pid: int, timeout: float) -> bool:
    """Wait until a process is gone; whether it went in time."""
    deadline = time.perf_counter() + timeout
    while alive(pid):
        if time.perf_counter() > deadline:
            return False
        time.sleep(0.02)
    return True


def _stat_fields(pid: int) -> list[str]:
    # The command name may hold spaces and parentheses: split after the last ")".
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int(_stat_fields(int(entry.name))[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cpu_seconds(pid: int, *, with_children: bool = True) -> float:
    """User plus system CPU seconds of a process (and of its live descendants)."""
    total = 0.0
    for each in [pid, *(descendants(pid) if with_children else [])]:
        try:
            fields = _stat_fields(each)
        except OSError:
            continue
        # utime and stime are fields 14 and 15 of stat; fields here start at field 3.
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def peak_rss_mib(pid: int) -> float:
    """The peak resident set (VmHWM, what ru_maxrss reports) of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    raise TerminalError(f"no VmHWM for process {pid}")
