"""Prometheus metrics (prometheus-client) and the /metrics endpoint that exposes them.

Under gunicorn or a prefork Celery worker each process counts for itself in files under
PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode; salonbot/gunicorn_conf.py and
salonbot/celery.py empty it at start and retire dead processes' gauges), and a scrape adds them
up. Without that variable (runserver, tests) the process's own registry is exposed.

/metrics is answered before host validation and the HTTPS redirect, like the health probes, for a
Prometheus that scrapes each instance by address: to a request bearing METRICS_TOKEN
(`Authorization: Bearer …`) or coming from METRICS_ALLOWED_IPS (CIDRs, the peer address only,
never a forwarded header); anyone else gets a 404, as when neither is set. The proxy does not pass
/metrics on (deploy/nginx/salonbot.conf).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse
from kombu.exceptions import ChannelError
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # A metric without labels opens its file when it is defined, below.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

REQUEST_LATENCY = Histogram(
    "salonbot_http_request_duration_seconds",
    "Time to answer an HTTP request, by route (URL pattern), method and status.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
BOOKINGS_CREATED = Counter("salonbot_bookings_created", "Bookings created (committed), by any path.")
WEBHOOK_EVENTS_RECEIVED = Counter(
    "salonbot_webhook_events_received", "WhatsApp webhook deliveries, by result (accepted: stored).", ["result"]
)
WEBHOOK_EVENTS_PROCESSED = Counter(
    "salonbot_webhook_events_processed", "Stored webhook events processed, by outcome.", ["outcome"]
)
CELERY_TASKS = Counter("salonbot_celery_tasks", "Celery task runs, by task and outcome.", ["task", "outcome"])
OUTBOUND_SENDS = Counter(
    "salonbot_whatsapp_sends", "Outbound WhatsApp send attempts, by status (sent, failed, retry, skipped).", ["status"]
)


class QueueDepthCollector:
    """Messages waiting in the Celery broker's default queue, measured at scrape time."""

    def __init__(self, app) -> None:
        self.app = app

    def collect(self):
        app = self.app
        queue = app.conf.task_default_queue
        gauge = GaugeMetricFamily("salonbot_celery_queue_depth", "Tasks waiting in the broker queue.", labels=["queue"])
        try:
            with app.connection_for_read() as conn:
                conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=1)
                try:
                    _, depth, _ = conn.default_channel.queue_declare(queue=queue, passive=True)
                except ChannelError:  # Redis: no worker has declared it yet, so nothing waits in it
                    depth = 0
        except Exception as exc:  # a broker outage shows as a missing series, not a failed scrape
            logger.warning("queue depth of %s unknown: %s: %s", queue, type(exc).__name__, exc)
            return
        gauge.add_metric([queue], depth)
        yield gauge


def exposition(celery_app) -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    extra = CollectorRegistry()
    extra.register(QueueDepthCollector(celery_app))
    return generate_latest(registry) + generate_latest(extra)


def allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return True
    networks = settings.METRICS_ALLOWED_NETWORKS
    if networks:
        try:
            peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(peer in network for network in networks)
    return False


def metrics_response(request, celery_app) -> HttpResponse:
    if not allowed(request):
        return HttpResponse(status=404)
    return HttpResponse(exposition(celery_app), content_type=CONTENT_TYPE_LATEST)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUEST_LATENCY.labels(route, method, str(status)).observe(seconds)


def count_booking_change(sender, *, event, recorded=False, **kwargs) -> None:
    """booking_changed receiver (connected by bookings): a committed creation counts."""
    if event == "created":
        BOOKINGS_CREATED.inc()


def count_task(task_name: str, outcome: str) -> None:
    CELERY_TASKS.labels(task_name, outcome).inc()


def reset_multiprocess_dir() -> None:
    """Empty PROMETHEUS_MULTIPROC_DIR at a server's start: files of a previous run would be added in."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.remove(os.path.join(directory, name))


def retire_process(pid: int) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)


def start_worker_endpoint(celery_app) -> None:
    """A Celery worker's /metrics on CELERY_METRICS_PORT (same token or allowlist), in a thread."""
    reset_multiprocess_dir()
    port = settings.CELERY_METRICS_PORT
    if not port:
        return

    def wsgi(environ, start_response):
        request = WSGIRequest(environ)
        if request.path_info.rstrip("/") != "/metrics":
            response = HttpResponse(status=404)
        else:
            response = metrics_response(request, celery_app)
        start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
        return [response.content]

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format, *args):  # the scrape every 15 s is not news
            pass

    server = make_server("0.0.0.0", port, wsgi, handler_class=QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    logger.info("worker metrics on :%s/metrics", port)
