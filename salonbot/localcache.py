"""A small per-process memo with a time-to-live and explicit invalidation.

For hot configuration read on every request or task (a WhatsApp phone-number id → its salon):
one dict lookup instead of a database query. Each process keeps its own copy, so an invalidation
reaches only the process that makes it; other processes see a change when the entry expires.
Keep the TTL as short as the staleness you can accept elsewhere.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")

DEFAULT_TTL_SECONDS = 600.0


class LocalCache(Generic[V]):
    """A thread-safe TTL memo: `get_or_load(key, loader)`, `invalidate(key)`, `clear()`.

    The loader runs outside the lock (it may query a database). A load that overlaps an
    invalidation is not stored, so a value read before a change cannot outlive the change.
    """

    def __init__(
        self,
        *,
        ttl: float = DEFAULT_TTL_SECONDS,
        max_entries: int = 10_000,
        cache_none: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self.ttl = ttl
        self.max_entries = max_entries
        self.cache_none = cache_none
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, V]] = {}
        # Bumped by every invalidation: a load started under an older generation is discarded.
        self._generation = 0

    def get(self, key: Hashable, default: Any = None) -> V | Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return default
            expires_at, value = entry
            if expires_at <= self._clock():
                del self._entries[key]
                return default
            return value

    def get_or_load(self, key: Hashable, loader: Callable[[], V]) -> V:
        missing = _MISSING
        value = self.get(key, missing)
        if value is not missing:
            return value
        with self._lock:
            generation = self._generation
        value = loader()
        if value is None and not self.cache_none:
            return value
        with self._lock:
            if generation == self._generation:
                self._store(key, value)
        return value

    def set(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._store(key, value)

    def invalidate(self, key: Hashable) -> None:
        with self._lock:
            self._generation += 1
            self._entries.pop(key, None)

    def invalidate_where(self, predicate: Callable[[Hashable, V], bool]) -> int:
        """Drop every entry for which `predicate(key, value)` is true; returns how many."""
        with self._lock:
            self._generation += 1
            doomed = [key for key, (_, value) in self._entries.items() if predicate(key, value)]
            for key in doomed:
                del self._entries[key]
            return len(doomed)

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _store(self, key: Hashable, value: V) -> None:
        if key not in self._entries and len(self._entries) >= self.max_entries:
            self._evict()
        self._entries[key] = (self._clock() + self.ttl, value)

    def _evict(self) -> None:
        # Expired entries first; if none, the oldest inserted (dicts keep insertion order).
        now = self._clock()
        expired = [key for key, (expires_at, _) in self._entries.items() if expires_at <= now]
        for key in expired:
            del self._entries[key]
        if len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()
