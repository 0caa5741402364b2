"""Count SQL statements as the database sees them, and fail with the numbered list when a budget is broken.

Django's `CaptureQueriesContext` misses what psycopg or the backend sends on their own: `BEGIN`
(sent before the first statement after autocommit is switched off), `COMMIT`/`ROLLBACK`, and the
tenant-scope `set_config` of salonbot/db/base.py. This log has them all, and the `SAVEPOINT`s an
atomic block inside the test's own transaction turns into. Usage:

    with assert_statements(11):
        api.post("/api/bookings", body)

    with capture_statements() as log:
        ...
    assert len(log) == ..., log.numbered()
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections


class StatementLog(list):
    def numbered(self) -> str:
        return "\n".join(f"{n:3}. {sql}" for n, sql in enumerate(self, 1))

    def __str__(self) -> str:
        return f"{len(self)} statements:\n{self.numbered()}"


@contextmanager
def capture_statements(using: str = DEFAULT_DB_ALIAS) -> Iterator[StatementLog]:
    connection = connections[using]
    log = StatementLog()

    def record(execute, sql, params, many, context):
        scope_before = getattr(connection, "_scope_sent", None)
        position = len(log)
        log.append(sql)
        try:
            return execute(sql, params, many, context)
        finally:
            scope_after = getattr(connection, "_scope_sent", None)
            if scope_after is not None and scope_after != scope_before:
                log.insert(position, f"SELECT set_config(...) -- tenant scope {scope_after}")

    originals = {name: getattr(connection, name) for name in ("_set_autocommit", "_commit", "_rollback")}

    def set_autocommit(autocommit):
        if not autocommit:
            log.append("BEGIN")  # psycopg and sqlite3 send it before the next statement
        return originals["_set_autocommit"](autocommit)

    def commit():
        log.append("COMMIT")
        return originals["_commit"]()

    def rollback():
        log.append("ROLLBACK")
        return originals["_rollback"]()

    connection.ensure_connection()
    connection._set_autocommit, connection._commit, connection._rollback = set_autocommit, commit, rollback
    # First in the chain, outside the backend's own wrapper, so the scope statement it sends shows.
    connection.execute_wrappers.insert(0, record)
    try:
        yield log
    finally:
        connection.execute_wrappers.remove(record)
        for name in originals:
            delattr(connection, name)  # the class's methods again


@contextmanager
def assert_statements(expected: int, using: str = DEFAULT_DB_ALIAS) -> Iterator[StatementLog]:
    """Exactly `expected` statements: one more is a regression, one fewer a budget to tighten."""
    with capture_statements(using) as log:
        yield log
    assert len(log) == expected, f"expected {expected} statements, got {log}"
