"""Read replica: read-only selectors go to DATABASE_REPLICA_URL, everything else to the primary.

Only code that asks for it reads from the replica: a function wrapped in `replica_reads` (API
lists, availability, dashboard misses). Inside it a read goes to the replica unless

- a transaction is open on the primary (a transaction is never split across servers);
- this request or task has written (it reads its own writes: on the primary from then on);
- the user wrote in another request within DATABASE_REPLICA_PIN_SECONDS (create, then list);
- the replica failed lately (DATABASE_REPLICA_RETRY_SECONDS): a read that fails on the replica
  runs again on the primary, so a replica that is down costs no request an error.

Writes, `select_for_update` and `get_or_create` always go to the primary (db_for_write). Without
DATABASE_REPLICA_URL this router is not installed and `replica_reads` changes nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

from salonbot.scope import resolved_user

logger = logging.getLogger(__name__)

REPLICA = "replica"
T = TypeVar("T")


class Work:
    """One request or task: whether it has written, whether it is inside `replica_reads` now."""

    __slots__ = ("reading", "request", "used_replica", "wrote")

    def __init__(self, request=None) -> None:
        self.wrote = False
        self.reading = False
        self.used_replica = False
        self.request = request

    @property
    def pin_key(self) -> str:
        user = resolved_user(self.request) if self.request is not None else None
        if user is None or not getattr(user, "is_authenticated", False):
            return ""
        return f"db:primary-pin:{user.pk}"


_work: contextvars.ContextVar[Work | None] = contextvars.ContextVar("salonbot_db_work", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class _Breaker:
    def __init__(self) -> None:
        self.open_until = 0.0

    def is_open(self) -> bool:
        return time.monotonic() < self.open_until

    def trip(self, exc: BaseException) -> None:
        seconds = settings.DATABASE_REPLICA_RETRY_SECONDS
        logger.warning(
            "read replica failed (%s: %s); reading from the primary for %.0fs", type(exc).__name__, exc, seconds
        )
        self.open_until = time.monotonic() + seconds

    def reset(self) -> None:
        self.open_until = 0.0


breaker = _Breaker()


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        work = _work.get()
        if work is None or not work.reading or work.wrote or breaker.is_open():
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        work.used_replica = True
        return REPLICA

    def db_for_write(self, model, **hints):
        note_write()
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same rows on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


def note_write() -> None:
    work = _work.get()
    if work is not None:
        work.wrote = True


def watch_primary(sql, in_transaction: bool) -> None:
    """Called by the backend before each statement on the primary (salonbot/db/base.py).

    Raw SQL and the ORM alike: anything but a plain SELECT, or anything inside a transaction,
    counts as a write of this request (a conditional UPDATE in a service, INSERT ... RETURNING).
    """
    work = _work.get()
    if work is None or work.wrote:
        return
    if in_transaction or not str(sql).lstrip()[:6].upper().startswith("SELECT"):
        work.wrote = True


def begin_work(request=None) -> contextvars.Token | None:
    """A request or task starts: nothing written yet. A request's user is pinned after it writes."""
    if not replica_configured():
        return None
    return _work.set(Work(request))


def end_work(token: contextvars.Token | None) -> None:
    """The request or task is over; a request that wrote pins its user to the primary for a while."""
    if token is None:
        return
    work = _work.get()
    _work.reset(token)
    if work is None or not work.wrote:
        return
    if pin_key := work.pin_key:
        try:
            cache.set(pin_key, True, timeout=settings.DATABASE_REPLICA_PIN_SECONDS)
        except Exception:  # a pin lost to a cache outage costs at most a read as old as the replica lag
            logger.warning("could not pin %s to the primary", pin_key, exc_info=True)


def _pinned(work: Work) -> bool:
    pin_key = work.pin_key
    if not pin_key:
        return False
    try:
        return bool(cache.get(pin_key))
    except Exception:
        return True  # unknown: the primary is always right


def replica_reads(func: Callable[..., T]) -> Callable[..., T]:
    """Run `func` with its reads on the replica where that is safe; on a replica failure, again on the primary.

    Only for functions that do not write: a read-only selector, a list or a GET view.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        if not replica_configured():
            return func(*args, **kwargs)
        work = _work.get()
        token = None
        if work is None:  # outside a request or task (a management command): a unit of its own
            token = _work.set(Work())
            work = _work.get()
        try:
            if work.reading or work.wrote or breaker.is_open() or _pinned(work):
                return func(*args, **kwargs)
            work.reading, work.used_replica = True, False
            try:
                return func(*args, **kwargs)
            except (OperationalError, InterfaceError) as exc:
                if not work.used_replica:
                    raise
                breaker.trip(exc)
                _discard_replica_connection()
            finally:
                work.reading = False
            return func(*args, **kwargs)
        finally:
            if token is not None:
                _work.reset(token)

    return wrapper


def _discard_replica_connection() -> None:
    with contextlib.suppress(Exception):  # it is broken already; the next use opens a new one
        connections[REPLICA].close()


def replica_caught_up() -> bool:
    """True when the replica has replayed everything the primary has committed until now.

    For reads whose result is kept (a dashboard stored under a version read after an
    invalidation): the invalidation's own commit must be on the replica first.
    """
    if not replica_configured() or breaker.is_open():
        return False
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
            (primary_lsn,) = cursor.fetchone()
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT coalesce(pg_last_wal_replay_lsn() >= %s::pg_lsn, false)", [primary_lsn])
            (caught_up,) = cursor.fetchone()
    except (OperationalError, InterfaceError) as exc:
        breaker.trip(exc)
        _discard_replica_connection()
        return False
    return bool(caught_up)


class ReplicaMiddleware:
    """A request is one unit of work: after it writes, its reads stay on the primary."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = begin_work(request)
        try:
            return self.get_response(request)
        finally:
            end_work(token)
