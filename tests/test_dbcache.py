"""The embedded default's cache: a database table every process shares, with an increment that never loses a count."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection, connections

from tests.conftest import APP_ROLE_MODE

# These make tables (as `migrate` does, as the owner): the app role has no DDL.
pytestmark = pytest.mark.skipif(APP_ROLE_MODE, reason="creates tables: the app role has no DDL (migrate's job)")
DATABASE_CACHES = {
    "default": {"BACKEND": "salonbot.dbcache.SharedDatabaseCache", "LOCATION": "test_shared_cache"},
    "ratelimit": {"BACKEND": "salonbot.dbcache.SharedDatabaseCache", "LOCATION": "test_shared_ratelimit"},
}


@pytest.fixture
def shared_cache(settings):
    settings.CACHES = DATABASE_CACHES
    call_command("createcachetable", verbosity=0)
    cache = caches["default"]
    cache.clear()
    yield cache
    cache.clear()


def expires_of(key: str) -> datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM test_shared_cache WHERE cache_key = %s", [caches["default"].make_key(key)])
        value = cursor.fetchone()[0]
    return datetime.fromisoformat(value) if isinstance(value, str) else value  # SQLite: text


@pytest.mark.django_db
def test_incr_adds_keeps_the_expiry_and_refuses_a_missing_key(shared_cache):
    shared_cache.set("visits", 5, timeout=120)
    before = expires_of("visits")
    assert shared_cache.incr("visits") == 6 and shared_cache.incr("visits", 10) == 16
    assert shared_cache.get("visits") == 16
    assert abs((expires_of("visits") - before).total_seconds()) <= 1  # not reset to the default timeout
    with pytest.raises(ValueError):
        shared_cache.incr("never-set")
    shared_cache.set("forever", 1, timeout=None)
    shared_cache.incr("forever")
    assert shared_cache.get("forever") == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_increments_from_threads_lose_no_count(shared_cache):
    shared_cache.set("counter", 0, timeout=300)
    errors = []

    def bump():
        try:
            for _ in range(20):
                caches["default"].incr("counter")
        except Exception as exc:  # a lost race would show as a wrong total; an error is reported
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert shared_cache.get("counter") == 80


@pytest.mark.django_db
def test_the_data_cache_and_the_counters_are_separate_tables(shared_cache):
    shared_cache.set("figures", {"total": 3})
    caches["ratelimit"].set("user:1", 7)
    shared_cache.clear()
    assert shared_cache.get("figures") is None and caches["ratelimit"].get("user:1") == 7


def test_migrate_creates_the_cache_tables(django_db_blocker, settings):
    """`migrate` runs createcachetable (salonbot/apps.py): a fresh database is ready for the cache."""
    settings.CACHES = DATABASE_CACHES
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            for table in ("test_shared_cache", "test_shared_ratelimit"):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
        call_command("migrate", verbosity=0)
        tables = connection.introspection.table_names()
    assert {"test_shared_cache", "test_shared_ratelimit"} <= set(tables)
