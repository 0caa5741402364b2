"""Liveness and readiness: /healthz says the process is alive, /readyz checks dependencies."""

import logging

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import JsonResponse
from django.urls import path

logger = logging.getLogger(__name__)


def healthz(request):
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    if not settings.REDIS_URL:
        return
    client = caches["ratelimit"].client.get_client(write=True)  # the alias that does not swallow errors
    client.ping()


def _check_broker() -> None:
    from salonbot.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}


def readyz(request):
    states, ready = {}, True
    for name, check in CHECKS.items():
        try:
            check()
            states[name] = "ok"
        except Exception as exc:  # any failure of a dependency is a 503, named
            logger.warning("readiness check %s failed: %s", name, exc)
            states[name] = f"error: {exc.__class__.__name__}"
            ready = False
    return JsonResponse({"status": "ok" if ready else "unavailable", **states}, status=200 if ready else 503)


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]
