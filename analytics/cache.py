"""The per-salon dashboard entry in the `default` cache (Redis), with a version in its key.

Keys (under the cache's KEY_PREFIX):

    analytics:dashboard:{salon_id}:version      an integer, no expiry
    analytics:dashboard:{salon_id}:{version}    the figures, DASHBOARD_CACHE_SECONDS
    analytics:dashboard:{salon_id}:wanted       set on a reader's miss; re-warming is worth it
    analytics:dashboard:platform                all salons, 60 seconds, no version

Invalidation bumps the version (atomic INCR) instead of deleting the entry. A reader takes the
version *before* it computes and stores under that version, so a computation that started before
an invalidation stores its figures under a key no reader asks for any more: a stale write cannot
land after the invalidation that should have removed it.

A new version key starts at the current time in nanoseconds, not at 1: if Redis evicted the
version key while old entries were still alive, counting again from 1 could land on one of them.

Every function degrades to "no cache" when Redis is unreachable: the `default` alias ignores
connection errors (IGNORE_EXCEPTIONS), so reads come back empty and `version` is None, which
callers answer by computing from the database and not storing.
"""

from __future__ import annotations

import logging
import time
from uuid import UUID

from django.conf import settings
from django.core.cache import caches

from salonbot.localcache import LocalCache

logger = logging.getLogger(__name__)

PREFIX = "analytics:dashboard"
PLATFORM_KEY = f"{PREFIX}:platform"
PLATFORM_SECONDS = 60

# L1 in front of Redis, for the one thing worth keeping per process: the version this process
# last saw for a salon. It lets a hit fetch the version and the entry in one round trip (MGET)
# instead of two. Redis still decides, so a wrong hint costs a second round trip, never a stale
# answer; the figures themselves are never cached per process (that could not be invalidated).
_version_hints: LocalCache[int] = LocalCache(ttl=600, max_entries=10_000)


# After Redis was found unreachable, reads skip it for a few seconds: each call against a host
# that does not answer waits for the socket timeout, and a read makes up to three of them.
# Skipping the cache is always safe (figures come from the database); invalidations still try.
BYPASS_SECONDS = 5.0
_bypass_until = 0.0


def _cache():
    return caches["default"]


def _bypassing() -> bool:
    return time.monotonic() < _bypass_until


def stop_bypass() -> None:
    """Use the cache again at once (tests; an operator who knows Redis is back)."""
    global _bypass_until
    _bypass_until = 0.0


def _start_bypass(salon_id) -> None:
    global _bypass_until
    _bypass_until = time.monotonic() + BYPASS_SECONDS
    logger.warning(
        "dashboard cache unreachable: serving salon %s from the database, skipping the cache for %.0fs",
        salon_id,
        BYPASS_SECONDS,
    )


def version_key(salon_id) -> str:
    return f"{PREFIX}:{salon_id}:version"


def entry_key(salon_id, version: int) -> str:
    return f"{PREFIX}:{salon_id}:{version}"


def wanted_key(salon_id) -> str:
    return f"{PREFIX}:{salon_id}:wanted"


def entry_seconds() -> int:
    return settings.DASHBOARD_CACHE_SECONDS


def _fresh_version() -> int:
    return time.time_ns()


def current_version(salon_id) -> int | None:
    """The salon's version, created if missing (SET NX, so concurrent readers agree on one)."""
    cache, key = _cache(), version_key(salon_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, _fresh_version(), timeout=None)
        version = cache.get(key)
    if version is None:
        _start_bypass(salon_id)
    return version


def read(salon_id: UUID | str) -> tuple[int | None, dict | None]:
    """`(version, entry)`: the entry is None on a miss; the version is None when Redis is down.

    A caller that misses computes, then passes this same version to `store()`.
    """
    if _bypassing():
        return None, None
    salon_id = str(salon_id)
    cache, key = _cache(), version_key(salon_id)
    hint = _version_hints.get(salon_id)
    if hint is not None:
        found = cache.get_many([key, entry_key(salon_id, hint)])
        version = found.get(key)
        if version == hint and (entry := found.get(entry_key(salon_id, hint))) is not None:
            return version, entry
    else:
        version = cache.get(key)
    if version is None:
        version = current_version(salon_id)
        if version is None:
            return None, None
    _version_hints.set(salon_id, version)
    if version == hint:  # the MGET above already looked for this entry
        return version, None
    return version, cache.get(entry_key(salon_id, version))


def store(salon_id: UUID | str, version: int | None, entry: dict) -> None:
    """Store figures computed after reading `version`; marks the dashboard as read lately."""
    if version is None:
        return
    _cache().set_many(
        {entry_key(salon_id, version): entry, wanted_key(salon_id): True},
        timeout=entry_seconds(),
    )


def store_warm(salon_id: UUID | str, version: int | None, entry: dict) -> None:
    """Like `store()`, without renewing the mark: re-warming alone must not keep itself going."""
    if version is not None:
        _cache().set(entry_key(salon_id, version), entry, timeout=entry_seconds())


def bump(salon_id: UUID | str) -> bool:
    """Make every stored entry of the salon unreachable; True when the dashboard was read lately.

    INCR is atomic, so two writers bumping at once both count. A missing version key is created
    with SET NX first (a reader may be creating it at the same moment), then incremented.
    Never raises: it runs after commit, where an error would turn a saved booking into a 500.
    """
    cache, key = _cache(), version_key(salon_id)
    try:
        try:
            version = cache.incr(key)
        except ValueError:  # no version key yet (or evicted)
            cache.add(key, _fresh_version(), timeout=None)
            version = cache.incr(key)
        if version is None:  # IGNORE_EXCEPTIONS swallowed a connection error
            raise ConnectionError("cache unreachable")
        return bool(cache.get(wanted_key(salon_id)))
    except Exception:
        # The entry may outlive this change by up to DASHBOARD_CACHE_SECONDS if Redis keeps its
        # data through the outage; there is nothing to bump until it is reachable again.
        logger.exception("could not invalidate the dashboard of salon %s", salon_id)
        return False


def read_platform() -> dict | None:
    return None if _bypassing() else _cache().get(PLATFORM_KEY)


def store_platform(entry: dict) -> None:
    if not _bypassing():
        _cache().set(PLATFORM_KEY, entry, timeout=PLATFORM_SECONDS)


def drop_platform() -> None:
    _cache().delete(PLATFORM_KEY)
