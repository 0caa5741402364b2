"""Publishing a Celery task from a request: bounded, never retried in the request, never raising.

Celery's own `apply_async`, even with retry=False, went through kombu's connection retry: with
Redis down every signed webhook took about 6 s to acknowledge. Here a publish uses a connection
of its own thread with a bounded connect and socket timeout (PUBLISH_TIMEOUT) and no retry.

When the broker refuses, the task is not lost: every caller has a durable record the recovery
sweep finds (a WebhookEvent without processed_at, an outbound Message still QUEUED). To get it
out sooner than the sweep would, the publish is deferred: kept in this process and sent by a
background thread as soon as the broker answers again (tried every RETRY_SECONDS). While some
are deferred, new publishes join them without trying the broker, so an outage costs a request
nothing. Deferred publishes die with the process; the sweep is what makes them durable.

Logged once per outage: a warning when the first publish fails, an info line when the deferred
ones have gone out.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

from celery import current_app

logger = logging.getLogger(__name__)

PUBLISH_TIMEOUT = 0.1  # seconds to connect and to write; a broker slower than this is treated as down
RETRY_SECONDS = 0.5
MAX_DEFERRED = 10_000  # beyond that the oldest are left to the sweep

_local = threading.local()


def _connection():
    conn = getattr(_local, "connection", None)
    if conn is None:
        app = current_app
        conn = app.connection_for_write(
            transport_options={
                "max_retries": 0,
                "socket_connect_timeout": PUBLISH_TIMEOUT,
                "socket_timeout": PUBLISH_TIMEOUT,
            }
        )
        _local.connection = conn
    return conn


def _drop_connection() -> None:
    conn = getattr(_local, "connection", None)
    _local.connection = None
    if conn is not None:
        try:
            conn.release()
        except Exception:  # it failed already; nothing to keep
            logger.debug("releasing a failed broker connection", exc_info=True)


def _send(name: str, args: tuple, countdown: float | None) -> None:
    task = current_app.tasks[name]
    try:
        task.apply_async(args, countdown=countdown, retry=False, connection=_connection())
    except Exception:
        _drop_connection()  # a connection that failed once is not trusted again
        raise


class _Deferred:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: deque[tuple[str, tuple, float | None]] = deque(maxlen=MAX_DEFERRED)
        self._thread: threading.Thread | None = None
        self.since: float | None = None

    @property
    def active(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def add(self, item: tuple[str, tuple, float | None], exc: BaseException | None = None) -> None:
        with self._lock:
            starting = self.since is None
            if starting:
                self.since = time.monotonic()
            self._items.append(item)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._drain, name="salonbot-broker-retry", daemon=True)
                self._thread.start()
        if starting:
            logger.warning(
                "broker unavailable (%s: %s); publishing deferred until it answers (the sweep covers them too)",
                type(exc).__name__ if exc else "unknown",
                exc,
            )

    def _drain(self) -> None:
        sent = 0
        while True:
            with self._lock:
                if not self._items:
                    seconds = time.monotonic() - (self.since or time.monotonic())
                    self.since, self._thread = None, None
                    break
                item = self._items[0]
            try:
                _send(*item)
            except Exception:
                time.sleep(RETRY_SECONDS)
                continue
            with self._lock:
                if self._items and self._items[0] is item:
                    self._items.popleft()
            sent += 1
        logger.info("broker available again after %.1fs; %d deferred publishes sent", seconds, sent)


deferred = _Deferred()


def publish(name: str, *args, countdown: float | None = None, durable: bool = True) -> bool:
    """Publish task `name` with `args`; True if it went to the broker now.

    `durable`: a sweep finds the work if this publish is lost, so a refused publish is deferred
    (sent by a background thread once the broker answers). Not durable (a cache warm-up): a
    refused publish is logged and dropped. Never raises, never waits longer than PUBLISH_TIMEOUT.
    """
    if current_app.conf.task_always_eager:
        # Tests and the embedded mode's eager setting: run it here, as Celery would; errors are the caller's.
        current_app.tasks[name].apply_async(args, countdown=countdown)
        return True
    if durable and deferred.active:  # an outage is on: join the queue instead of paying a timeout
        deferred.add((name, args, countdown))
        return False
    try:
        _send(name, args, countdown)
        return True
    except Exception as exc:
        if durable:
            deferred.add((name, args, countdown), exc)
        else:
            logger.warning("broker unavailable, %s not published: %s: %s", name, type(exc).__name__, exc)
        return False
