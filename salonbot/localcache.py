"""A small per-process memo with a time-to-live and explicit invalidation.

For hot configuration read on every request or task (a WhatsApp phone-number id → its salon):
one dict lookup instead of a database query. Each process keeps its own copy. An invalidation
reaches the other processes (every web instance, every worker) through a `SharedVersion`: a
counter in the shared cache (Redis; the database cache on the embedded default) that `publish()`
bumps and each memo reads at most every `check_every` seconds when it is used, dropping all its
entries when the counter moved. So a change is seen everywhere within `check_every` (0.25 s) of
its publication, at the price of one cache read per process per quarter second while in use.
If the shared cache is unreachable the memo cannot know, and keeps nothing longer than that.

Every per-process cache of salonbot is one of these with a SharedVersion (messaging routing), or
holds only hints its user validates at the source on each read (analytics' dashboard versions).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

from django.core.cache import caches

V = TypeVar("V")

logger = logging.getLogger(__name__)

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
        shared: SharedVersion | None = None,
        check_every: float = 0.25,
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
        self._shared = shared
        self.check_every = check_every
        self._next_check = float("-inf")
        self._seen_version: Any = None

    def publish(self) -> None:
        """Tell every process to drop its entries (call it after the change committed)."""
        if self._shared is not None:
            self._shared.bump()

    def _sync(self) -> None:
        """Drop everything if another process published since the last look (at most every check_every)."""
        now = self._clock()
        with self._lock:
            if now < self._next_check:
                return
            self._next_check = now + self.check_every  # one thread looks; the others go on
        version = self._shared.read()
        with self._lock:
            if version is None or version != self._seen_version:
                self._generation += 1
                self._entries.clear()
                self._seen_version = version

    def get(self, key: Hashable, default: Any = None) -> V | Any:
        if self._shared is not None:
            self._sync()
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

    def get_many_or_load(self, keys: Iterable[Hashable], loader: Callable[[list], dict]) -> dict:
        """Each key's value; the missing ones loaded together by `loader(missing) -> {key: value}`."""
        missing = _MISSING
        found, absent = {}, []
        for key in dict.fromkeys(keys):
            value = self.get(key, missing)
            if value is missing:
                absent.append(key)
            else:
                found[key] = value
        if not absent:
            return found
        with self._lock:
            generation = self._generation
        loaded = loader(absent)
        with self._lock:
            if generation == self._generation:
                for key, value in loaded.items():
                    if value is not None or self.cache_none:
                        self._store(key, value)
        return {**found, **{key: loaded.get(key) for key in absent}}

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


class SharedVersion:
    """A counter in a Django cache that every process reads: the bus of LocalCache invalidations.

    It starts at the current time in nanoseconds, not 0: a counter Redis evicted and made again
    cannot come back to a value some process still holds.
    """

    def __init__(self, name: str, *, alias: str = "default") -> None:
        self.key = f"localcache:{name}:version"
        self.alias = alias

    def _cache(self):
        return caches[self.alias]

    def read(self) -> Any:
        """The current value, or None when the cache cannot be reached."""
        try:
            cache = self._cache()
            value = cache.get(self.key)
            if value is None:
                cache.add(self.key, time.time_ns(), timeout=None)
                value = cache.get(self.key)
            return value
        except Exception:
            logger.warning("shared cache unreachable: %s not checked", self.key, exc_info=True)
            return None

    def bump(self) -> None:
        try:
            cache = self._cache()
            try:
                cache.incr(self.key)
            except ValueError:  # not there (yet, or evicted): any new value is a change
                cache.set(self.key, time.time_ns(), timeout=None)
        except Exception:
            # The others keep their entries until the TTL; nothing here can do better.
            logger.exception("could not publish the invalidation of %s", self.key)


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()
