"""Database outages: a 503 that says so, one log line when one starts and one when it ends.

While PostgreSQL restarts or is stopped, every statement fails with OperationalError (no
connection, "terminating connection due to administrator command") or InterfaceError (a
connection already closed). None of that is a bug of ours: the client is told to come back
(503 `database_unavailable` with Retry-After), not handed a 500 with a traceback in the log.

- `is_outage(exc)`: a lost or refused connection, not a statement PostgreSQL refused (a
  deadlock, a serialization failure or a cancelled query keep their 500: they are ours to fix).
- The API's exception handler (salonbot/api/exceptions.py) answers JSON; `server_error`
  (Django's handler500) answers whatever else failed, including the admin and middleware, as
  an HTML 503 page (JSON under /api/).
- `OutageMiddleware` runs a GET or HEAD that failed so once more, on a fresh connection: a
  connection broken by a restart that has already finished costs the client nothing.
- The log: a warning when the first request of an outage fails, an info line when this process
  next opens a connection (per process: each gunicorn worker logs its own two lines).
- Workers: `TASK_RETRY_ON_OUTAGE` for the tasks that carry messages, `persist()` for a write that
  records what already happened outside (a send Meta accepted). Celery's Django fixup closes the
  task's connections before and after every task, so a broken one never outlives its task.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time

from django.db import InterfaceError, OperationalError, connections
from django.db.backends.signals import connection_created
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2
CODE = "database_unavailable"
SAFE_METHODS = ("GET", "HEAD")
# SQLSTATE classes of a connection that is gone or a server that is going away or starting up:
# 08 connection exception, 57P01-57P03 admin/crash shutdown, cannot connect now.
OUTAGE_SQLSTATES = ("08", "57P01", "57P02", "57P03")


# For the tasks that carry a customer's message in or out: a database that restarts costs them a
# retry a second or a few later (a new task message; Celery's Django fixup has closed the broken
# connection), not a wait of minutes for the recovery sweep. About five minutes in all.
TASK_RETRY_ON_OUTAGE = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 1,
    "retry_backoff_max": 5,
    "retry_jitter": False,
    "max_retries": 60,
}


def is_outage(exc: BaseException | None) -> bool:
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate:
        return sqlstate.startswith(OUTAGE_SQLSTATES)
    if cause is not None and type(cause).__module__.startswith("sqlite3"):
        # The embedded SQLite default: only a locked file is "come back later".
        return "locked" in str(cause)
    # psycopg raises connection failures (refused, reset, pool timeout) without a SQLSTATE.
    return True


# How long a worker holds on to what it must record (below the tasks' 60 s soft time limit).
PERSIST_SECONDS = 40.0


def persist(operation, *args, **kwargs):
    """Run `operation(*args, **kwargs)` until the database takes it, through an outage of up to PERSIST_SECONDS.

    For a write that records something that already happened elsewhere (Meta accepted a message):
    given up, the work would be done again after a lease, and the customer would get it twice.
    Outside any transaction only: each try starts from a fresh connection.
    """
    deadline = time.monotonic() + PERSIST_SECONDS
    while True:
        try:
            return operation(*args, **kwargs)
        except (OperationalError, InterfaceError) as exc:
            if not is_outage(exc) or time.monotonic() > deadline or connections["default"].in_atomic_block:
                raise  # inside a transaction the caller's transaction is what has to start again
            discard_connections()
            time.sleep(0.5)


class _Outage:
    """This process's view: since when the database has been failing, and how many answers it cost."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.since: float | None = None
        self.failures = 0

    @property
    def active(self) -> bool:
        return self.since is not None

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            self.failures += 1
            if self.since is not None:
                return
            self.since = time.monotonic()
        logger.warning(
            "database unavailable (%s: %s); answering 503 until it accepts connections again",
            type(exc).__name__,
            str(exc).strip().splitlines()[0] if str(exc).strip() else "",
        )

    def recovered(self) -> None:
        if self.since is None:  # the common case, without the lock
            return
        with self._lock:
            if self.since is None:
                return
            seconds, failures = time.monotonic() - self.since, self.failures
            self.since, self.failures = None, 0
        logger.info("database available again after %.1fs (%d answers were 503)", seconds, failures)


outage = _Outage()


def _on_connection_created(sender, connection, **kwargs) -> None:
    outage.recovered()


connection_created.connect(_on_connection_created, dispatch_uid="salonbot.outages.recovered")


def discard_connections() -> None:
    """Close this thread's connections: a broken one goes, a pooled one returns to its pool to be checked."""
    for conn in connections.all(initialized_only=True):
        with contextlib.suppress(Exception):  # it is broken already; the next use opens a new one
            conn.close()


def _mark(response: HttpResponse) -> HttpResponse:
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    response.database_outage = True  # OutageMiddleware retries a safe request once
    response._has_been_logged = True  # outage.failed() logged it; Django would log a traceback per request
    return response


def detail() -> str:
    return _("The database is unavailable for a moment; try again shortly.")


def api_response(exc: BaseException):
    """The API's answer (a DRF Response, so content negotiation and CORS apply as to any other)."""
    from rest_framework.response import Response

    outage.failed(exc)
    return _mark(Response({"detail": detail(), "code": CODE}, status=503))


def server_error(request, *args, **kwargs):
    """handler500: an outage becomes a 503 (JSON under /api/, an HTML page elsewhere); the rest stays a 500."""
    exc = sys.exc_info()[1]
    if not is_outage(exc):
        return defaults.server_error(request, *args, **kwargs)
    outage.failed(exc)
    if request.path_info.startswith("/api/"):
        return _mark(JsonResponse({"detail": detail(), "code": CODE}, status=503))
    # No request in the context: its processors would read the user from the database that is down.
    html = render_to_string("503.html", {"detail": detail(), "retry_after": RETRY_AFTER_SECONDS})
    return _mark(HttpResponse(html, status=503))


class OutageMiddleware:
    """A GET or HEAD answered 503 by an outage runs once more on a fresh connection.

    Placed above the session and authentication middleware, so the retry starts from scratch.
    Only safe methods: a POST may have committed before its connection broke.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(response, "database_outage", False) and request.method in SAFE_METHODS:
            discard_connections()
            response = self.get_response(request)
        return response
