"""A bounded, thread-safe cache of rendered mail bodies."""

from __future__ import annotations

import threading
from collections import OrderedDict

from tempmail_tui.core.render.renderer import Rendered

__all__ = ["RenderCache"]


class RenderCache:
    """A thread-safe LRU of rendered bodies keyed by message id, bounded in entries and size."""

    def __init__(self, max_entries: int = 256, *, max_chars: int = 32_000_000) -> None:
        if max_entries < 1 or max_chars < 1:
            raise ValueError("cache bounds must be positive")
        self._max_entries = max_entries
        self._max_chars = max_chars
        self._entries: OrderedDict[str, Rendered] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> Rendered | None:
        """Return the cached rendering for ``key`` and mark it recently used."""
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: str, value: Rendered) -> None:
        """Store a rendering, evicting the least recently used beyond the bounds."""
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._chars -= len(old.text)
            self._entries[key] = value
            self._chars += len(value.text)
            # The newest entry always stays, even if it alone is over the size bound.
            while len(self._entries) > 1 and (
                len(self._entries) > self._max_entries or self._chars > self._max_chars
            ):
                _, evicted = self._entries.popitem(last=False)
                self._chars -= len(evicted.text)

    def discard(self, key: str) -> None:
        """Forget ``key`` (for a deleted message)."""
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._chars -= len(old.text)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()
            self._chars = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._entries
