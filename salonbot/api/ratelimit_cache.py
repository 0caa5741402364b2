"""The rate-limit counter store: django-redis, one round trip per request instead of two."""

import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django_redis.cache import RedisCache

# Past this many remembered keys, the expired ones are dropped (one per user and window).
PRUNE_AT = 50_000


class RateLimitRedisCache(RedisCache):
    """django-redis, answering `add()` from memory for a window's counter it has already seen.

    django-ratelimit counts with `add()` (SET NX, creates the window's key) and then `incr()`:
    two round trips on every request. A key, once seen, lives at least until its window is over
    (the window is part of the key, its TTL is the period plus a margin), so a second `add()` for
    it within that time can only fail and is answered False without asking Redis. Should the key
    vanish anyway (Redis flushed or failed over), `incr()` finds it missing and creates it again.
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        self._known: dict = {}  # key → (monotonic deadline, timeout given to add)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, client=None):
        now = time.monotonic()
        known = self._known.get((key, version))
        if known is not None and known[0] > now:
            return False
        added = super().add(key, value, timeout=timeout, version=version, client=client)
        if isinstance(timeout, int | float) and timeout > 0:  # a key without expiry is never remembered
            self._remember((key, version), now + timeout, timeout)
        return added

    def incr(self, key, delta=1, version=None, client=None, ignore_key_check=False):
        try:
            return super().incr(key, delta, version=version, client=client, ignore_key_check=ignore_key_check)
        except ValueError:  # the key is gone although we saw it: start the window's count again
            known = self._known.pop((key, version), None)
            if known is None:
                raise
            if super().add(key, delta, timeout=known[1], version=version, client=client):
                return delta
            return super().incr(key, delta, version=version, client=client)

    def _remember(self, known_key, deadline: float, timeout) -> None:
        if len(self._known) >= PRUNE_AT:
            now = time.monotonic()
            self._known = {k: v for k, v in self._known.items() if v[0] > now}
        self._known[known_key] = (deadline, timeout)
