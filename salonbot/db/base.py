"""PostgreSQL backend that hands the tenant scope (salonbot/scope.py) to the database.

Django's backend plus two things. It tells the replica router (salonbot/db/router.py) about
statements that write on the primary. And before a statement runs, if the current scope differs from the
one the connection last received, two session settings are set first:

    salonbot.platform   'on' for the platform scope, '' otherwise
    salonbot.owner_id   the acting owner's id, '' otherwise

The row-level security policies (salonbot/db/rls.py) compare every row with them. Session-level,
so one round trip per change of scope (about once per request or task), not one per statement;
but PostgreSQL undoes a setting made inside a transaction that rolls back, so after any rollback,
a new connection or a pool checkout nothing is assumed and the next statement sets them again.
The settings are invisible to Django's query log and to `django_assert_num_queries`.

ENGINE "salonbot.db" (settings.py uses it for every PostgreSQL alias).
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS
from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool
from psycopg_pool.base import AttemptWithBackoff

from salonbot.db.router import watch_primary
from salonbot.scope import Scope, current_scope

# Savepoint commands run in a failed transaction too, where nothing else may; they read no rows.
TRANSACTION_CONTROL = ("SAVEPOINT", "ROLLBACK", "RELEASE")
SET_SCOPE_SQL = "SELECT set_config('salonbot.platform', %s, false), set_config('salonbot.owner_id', %s, false)"


class SteadyAttempt(AttemptWithBackoff):
    """Reconnect every quarter second, not after 1, 2, 4, 8 ... seconds.

    With psycopg's exponential backoff a pool that lost its server during a 10-second stop next
    tried 5 s after the server was back, and every request waited for it. A connection attempt to
    a server that is down costs a refused TCP connection, so trying steadily is cheap.
    """

    INITIAL_DELAY = 0.25
    DELAY_BACKOFF = 1.0


class SteadyPool(ConnectionPool):
    def _add_connection(self, attempt, growing=False):
        return super()._add_connection(attempt or SteadyAttempt(timeout=self.reconnect_timeout), growing)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._scope_sent: Scope | None = None
        # First in the list: the outermost wrapper, around any a test or a tool adds later.
        self.execute_wrappers.insert(0, self._before_statement)

    def _before_statement(self, execute, sql, params, many, context):
        if self.alias == DEFAULT_DB_ALIAS:
            watch_primary(sql, self.in_atomic_block)  # a request that wrote reads its own writes
        scope = current_scope()
        if scope != self._scope_sent and not (isinstance(sql, str) and sql.startswith(TRANSACTION_CONTROL)):
            with self.wrap_database_errors, self.connection.cursor() as cursor:
                cursor.execute(SET_SCOPE_SQL, ("on" if scope.platform else "", scope.owner_id))
            self._scope_sent = scope
        return execute(sql, params, many, context)

    @property
    def pool(self):
        """Django's pool (same options, same checks), reconnecting steadily after an outage."""
        pool_options = self.settings_dict["OPTIONS"].get("pool")
        if self.alias == base.NO_DB_ALIAS or not pool_options:
            return None
        if self.alias not in self._connection_pools:
            connect_kwargs = self.get_connection_params()
            connect_kwargs["autocommit"] = True  # as Django's: it sets the mode itself later
            pool = SteadyPool(
                kwargs=connect_kwargs,
                open=False,
                configure=self._configure_connection,
                check=ConnectionPool.check_connection if self.settings_dict["CONN_HEALTH_CHECKS"] else None,
                **({} if pool_options is True else pool_options),
            )
            self._connection_pools.setdefault(self.alias, pool)
        return self._connection_pools[self.alias]

    # Whatever the server holds after these is unknown to us.
    def get_new_connection(self, conn_params):
        self._scope_sent = None
        return super().get_new_connection(conn_params)

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._scope_sent = None

    def _savepoint_rollback(self, sid):
        try:
            return super()._savepoint_rollback(sid)
        finally:
            self._scope_sent = None

    def _close(self):
        try:
            return super()._close()
        finally:
            self._scope_sent = None
