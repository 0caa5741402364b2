"""The counter store answers a known window's add() from memory and survives a lost key."""

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import RequestFactory
from django_ratelimit.core import get_usage

from salonbot.api.ratelimit_cache import RateLimitRedisCache

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="the Redis counter store needs REDIS_URL")

RATE = "1000/h"


def count(key: str = "user:1") -> int:
    request = RequestFactory().get("/api/auth/me")
    usage = get_usage(request, group="test", key=lambda group, req: key, rate=RATE, increment=True)
    return usage["count"]


@pytest.fixture
def cache():
    store = caches["ratelimit"]
    assert isinstance(store, RateLimitRedisCache)
    store.delete_pattern("*")
    store._known.clear()  # the memo of earlier tests' windows (this thread's cache instance lives on)
    yield store
    store.delete_pattern("*")


@pytest.fixture
def redis_adds(cache, monkeypatch):
    calls = []
    real_add = cache.client.add

    def counting_add(*args, **kwargs):
        calls.append(args[0])
        return real_add(*args, **kwargs)

    monkeypatch.setattr(cache.client, "add", counting_add)
    return calls


def test_counts_go_up_by_one_and_set_nx_is_sent_once_per_window(cache, redis_adds):
    assert [count() for _ in range(5)] == [1, 2, 3, 4, 5]
    assert len(redis_adds) == 1


def test_a_counter_that_vanished_is_started_again_with_an_expiry(cache):
    assert [count() for _ in range(3)] == [1, 2, 3]
    cache.delete_pattern("*")  # Redis flushed or failed over mid-window
    assert count() == 1
    assert count() == 2
    ((key, _version),) = cache._known
    assert 0 < cache.ttl(key) <= 3600 + 5


def test_processes_share_one_count(cache):
    other_process = RateLimitRedisCache(cache._server, cache._params)
    assert count() == 1
    key = next(iter(cache._known))[0]
    assert other_process.add(key, 1, 3605) is False  # it asks Redis: the key exists
    assert other_process.incr(key) == 2
    assert count() == 3
