"""Instruments for an app running in this process: frames, loop lag and UI-thread handler time.

They wrap attributes of one app or widget instance (never the product's classes), so only
the app under measurement is affected.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from textual.app import App
from textual.message import Message
from textual.message_pump import MessagePump


class FrameClock:
    """Counts the frames an app paints and when, producing the terminal output as a driver would.

    Headless apps compute each frame but skip turning it into escape sequences; doing that
    here keeps the measured cost close to a real terminal's.
    """

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.count = 0
        self.last: float = 0.0
        self.times: list[float] = []
        self._waiters: list[tuple[int, asyncio.Future[float]]] = []
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is None:
                return
            render = getattr(renderable, "render_segments", None)
            if render is not None:
                render(app.console)
            self.count += 1
            self.last = time.perf_counter()
            self.times.append(self.last)
            for target, future in list(self._waiters):
                if self.count >= target and not future.done():
                    future.set_result(self.last)
            self._waiters = [(t, f) for t, f in self._waiters if not f.done()]

        app._display = display  # type: ignore[method-assign]

    async def next_frame(self, *, after: int | None = None, timeout: float = 5.0) -> float:
        """Wait for a frame after frame number ``after`` (default: the current one); its time."""
        target = (self.count if after is None else after) + 1
        if self.count >= target:
            return self.last
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.append((target, future))
        return await asyncio.wait_for(future, timeout)

    async def frame_after(self, moment: float, *, timeout: float = 5.0) -> float:
        """The time of the first frame painted after ``moment`` (waiting for it if need be)."""
        index = bisect.bisect_right(self.times, moment)
        if index < len(self.times):
            return self.times[index]
        return await self.next_frame(timeout=timeout)


@dataclass
class LagProbe:
    """An asyncio task on the UI loop that sleeps 5 ms at a time and records how late it wakes."""

    period: float = 0.005
    lags: list[float] = field(default_factory=list)
    #: When each recorded stall began (perf_counter), beside ``lags``.
    starts: list[float] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.period)
            self.lags.append(max(0.0, time.perf_counter() - before - self.period))
            self.starts.append(before + self.period)

    def start(self) -> None:
        """Start probing on the running loop (the app's, under Pilot)."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    def reset(self) -> None:
        """Forget what was recorded so far."""
        self.lags.clear()
        self.starts.clear()

    @property
    def worst(self) -> float:
        """The longest stall seen since the last reset, in seconds."""
        return max(self.lags, default=0.0)

    def worst_since(self, moment: float) -> float:
        """The longest stall that began at or after ``moment`` (perf_counter)."""
        return max(
            (lag for lag, start in zip(self.lags, self.starts, strict=True) if start >= moment),
            default=0.0,
        )

    async def stop(self) -> None:
        """Stop probing."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


@dataclass(frozen=True)
class HandlerTime:
    """How long one message took to handle on the UI thread."""

    message: Message
    started: float
    wall: float
    cpu: float


class HandlerTimer:
    """Times the dispatch of chosen message types on one widget or screen, on the UI thread."""

    def __init__(
        self, pump: MessagePump, kinds: tuple[type[Message], ...], *, enabled: bool = True
    ) -> None:
        self.records: list[HandlerTime] = []
        self.enabled = enabled
        self.listeners: list[Callable[[HandlerTime], None]] = []
        original: Callable[[Message], Awaitable[None]] = pump._dispatch_message

        async def dispatch(message: Message) -> None:
            if not self.enabled or not isinstance(message, kinds):
                await original(message)
                return
            started, cpu = time.perf_counter(), time.thread_time()
            await original(message)
            record = HandlerTime(
                message, started, time.perf_counter() - started, time.thread_time() - cpu
            )
            self.records.append(record)
            for listener in self.listeners:
                listener(record)

        pump._dispatch_message = dispatch  # type: ignore[method-assign]


class Stopwatch:
    """Records named moments relative to a start."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.marks: dict[str, float] = {}

    def mark(self, name: str) -> float:
        """Record ``name`` now (the first time only); the seconds since the start."""
        self.marks.setdefault(name, time.perf_counter())
        return self.marks[name] - self.start

    def since(self, name: str, until: str) -> float:
        """Seconds between two recorded moments."""
        return self.marks[until] - self.marks[name]


async def until(
    predicate: Callable[[], object], *, timeout: float, every: float = 0.005, what: str = ""
) -> float:
    """Yield to the loop until ``predicate`` holds; the perf_counter time when it did."""
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(every)
    return time.perf_counter()
