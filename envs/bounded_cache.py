"""A least-recently-used cache bounded by the bytes of its keys, not by their count.

Model output can be tens of kilobytes per answer, so a cache with a count bound (65,536 entries)
could hold gigabytes. Here every entry costs the length of its key's strings plus a fixed
overhead, and the oldest entries are dropped once the total passes ``max_bytes``. Thread-safe.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

ENTRY_OVERHEAD_BYTES = 200  # the dict slot, the tuple and the value, roughly


class BytesBoundedCache:
    """``get`` / ``put`` by key (a tuple of strings); ``bytes`` is the current total."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = self.misses = 0
        self._entries: OrderedDict[tuple, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, default: Any = None) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return default
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[0]

    def put(self, key: tuple, value: Any) -> None:
        cost = sum(len(part) for part in key) + ENTRY_OVERHEAD_BYTES
        if cost > self.max_bytes:
            return  # bigger than the whole cache: not worth evicting everything for
        with self._lock:
            if key in self._entries:
                self.bytes -= self._entries.pop(key)[1]
            self._entries[key] = (value, cost)
            self.bytes += cost
            while self.bytes > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.bytes -= dropped

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = self.hits = self.misses = 0


def cached_by_bytes(max_bytes: int) -> Callable:
    """Decorator: cache a function of string arguments in a :class:`BytesBoundedCache`
    (``fn.cache`` is the cache, ``fn.cache_clear()`` empties it)."""

    def decorate(fn: Callable) -> Callable:
        cache = BytesBoundedCache(max_bytes)
        missing = object()

        @functools.wraps(fn)
        def wrapper(*args: str):
            value = cache.get(args, missing)
            if value is missing:
                value = fn(*args)
                cache.put(args, value)
            return value

        wrapper.cache = cache
        wrapper.cache_clear = cache.clear
        return wrapper

    return decorate
