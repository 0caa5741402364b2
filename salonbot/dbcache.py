"""The cache of the embedded default (no Redis): Django's database cache, shared by every process.

Web server, worker, beat and `manage.py chat` all open the same database, so a dashboard
invalidation made by the worker reaches the web server, and a rate-limit counter is one budget
for every process, as with Redis. Django's `incr` is a read followed by a write; here it runs
in one transaction that holds the row (SQLite's IMMEDIATE transactions take the write lock at
BEGIN; PostgreSQL locks the row with FOR UPDATE), so concurrent increments never lose a count,
and it keeps the entry's expiry instead of resetting it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.utils import timezone


class SharedDatabaseCache(DatabaseCache):
    def incr(self, key, delta=1, version=None):
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        table = connection.ops.quote_name(self._table)
        cache_key = self.make_and_validate_key(key, version=version)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db):
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT expires FROM {table} WHERE cache_key = %s{lock}", [cache_key])
                row = cursor.fetchone()
            value = self.get(key, self._missing_key, version=version)
            if row is None or value is self._missing_key:
                raise ValueError(f"Key '{key}' not found")
            new_value = value + delta
            self.set(key, new_value, timeout=self._remaining(row[0], connection), version=version)
        return new_value

    @staticmethod
    def _remaining(expires, connection) -> float | None:
        if isinstance(expires, str):  # SQLite returns the column as text
            expires = datetime.fromisoformat(expires)
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        if expires.year == datetime.max.year:
            return None  # stored without expiry
        return max((expires - timezone.now()).total_seconds(), 1.0)
