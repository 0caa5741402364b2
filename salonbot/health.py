"""Liveness and readiness: /healthz says the process is alive, /readyz checks its dependencies.

Also /metrics (salonbot/metrics.py), answered the same way for the same reason.

Served by a middleware at the top of the stack rather than by a URL: probes come from the load
balancer or orchestrator with the instance's own address as Host and over plain HTTP, which
ALLOWED_HOSTS validation and the HTTPS redirect would answer with 400 or 301.
"""

import logging

from django.core.cache import caches
from django.db import connection
from django.http import JsonResponse

from salonbot import metrics
from salonbot.celery import app as celery_app

logger = logging.getLogger(__name__)


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    cache = caches["default"]
    client = getattr(cache, "client", None)
    if client is None:  # the in-process cache of the embedded default cannot be unreachable
        return
    # The raw client: the cache's own methods swallow errors (IGNORE_EXCEPTIONS) by design.
    client.get_client(write=True).ping()


def _check_broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}


def healthz(request) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz(request) -> JsonResponse:
    states, ready = {}, True
    for name, check in CHECKS.items():
        try:
            check()
            states[name] = "ok"
        except Exception as exc:  # any failure of a dependency is a 503 that names it
            logger.warning("readiness check %s failed: %s: %s", name, exc.__class__.__name__, exc)
            states[name] = f"error: {exc.__class__.__name__}"
            ready = False
    body = {"status": "ok" if ready else "unavailable", **states}
    return JsonResponse(body, status=200 if ready else 503)


def metrics_view(request):
    return metrics.metrics_response(request, celery_app)


# /metrics too: Prometheus scrapes each instance by its address, like the probes (salonbot/metrics.py).
PROBES = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics_view}


class HealthCheckMiddleware:
    """Answers GET/HEAD /healthz and /readyz before host validation, redirects and sessions."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info.rstrip("/") or "/")
        if probe is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        response = probe(request)
        response["Cache-Control"] = "no-store"
        return response
