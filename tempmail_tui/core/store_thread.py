"""The store's own thread: SQLite work runs there in order, never on the network loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from tempmail_tui.core.store import StoreError

P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger(__name__)

_Job = tuple[concurrent.futures.Future[object], Callable[[], object]]


class StoreThread:
    """Runs store calls one at a time on a single thread, in the order they were submitted."""

    def __init__(self, name: str = "tempmail-store") -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        # A daemon thread: a store call stuck on a locked database must not keep the
        # process alive after the user quits.
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, work = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(work())
            except BaseException as exc:  # handed to the caller, who reports it
                future.set_exception(exc)
            # Not kept until the next call: a poll's write holds the whole listing.
            del job, future, work

    def submit(
        self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> concurrent.futures.Future[T]:
        """Queue ``fn(*args, **kwargs)`` behind every earlier call; its future holds the result."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        with self._lock:
            if self._closed:
                raise StoreError("The local store is closed")
            self._jobs.put((future, lambda: fn(*args, **kwargs)))  # type: ignore[arg-type]
        return future

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` on the store thread and await its result without blocking this loop."""
        return await asyncio.wrap_future(self.submit(fn, *args, **kwargs))

    def call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` on the store thread and block this (non-loop) thread for the result."""
        return self.submit(fn, *args, **kwargs).result()

    @property
    def has_waiting(self) -> bool:
        """Whether calls are queued behind the one running now."""
        return not self._jobs.empty()

    @property
    def is_current(self) -> bool:
        """Whether the caller is running on the store thread itself."""
        return threading.current_thread() is self._thread

    def close(self, timeout: float = 3.0) -> None:
        """Finish the queued calls and stop; give up waiting after ``timeout`` seconds."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._jobs.put(None)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the store thread was still busy %.0f s after quitting", timeout)
