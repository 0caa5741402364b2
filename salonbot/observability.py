"""Request ids, the request log line and JSON logs (LOG_FORMAT=json).

Every request gets an id: the caller's `X-Request-ID` when it is a sane token (the proxy sets one,
deploy/nginx/salonbot.conf), else a new one; it is echoed in the response and attached to every
log record written while the request runs, and to the Celery tasks it enqueues, whose records
carry it too. At the end one line records the request: id, method, path, route, status, duration,
user and salon (when the request named one). In JSON each record is one object on one line.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from celery import current_task
from celery.signals import before_task_publish, task_postrun, task_prerun
from django.conf import settings

from salonbot import metrics
from salonbot.scope import resolved_user

REQUEST_ID_HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
# Anything else (too long, spaces, quotes, newlines) is replaced: it ends up in every log line.
SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}")

request_logger = logging.getLogger("salonbot.request")
PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

# {"request_id": ...} while a request or a task runs; merged into every JSON record.
_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("salonbot_log_context", default=None)


def current_request_id() -> str | None:
    context = _context.get()
    return context.get("request_id") if context else None


def bind(**values) -> None:
    """Add fields (e.g. salon=...) to the records of the running request or task."""
    context = _context.get()
    if context is not None:
        context.update({k: str(v) for k, v in values.items() if v is not None})


def request_id_of(request) -> str:
    given = request.META.get(META_KEY, "")
    return given if SANE_ID.fullmatch(given) else uuid.uuid4().hex


def route_of(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route:
        return "unmatched"
    # DRF's routes are regexes: api/bookings/(?P<pk>[^/.]+)/cancel/?$ → api/bookings/<pk>/cancel
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", match.route)
    return route.replace("^", "").replace("/?", "").replace("$", "")


def salon_of(request) -> str | None:
    """The salon a request named: `?salon_id=`, a URL argument, a detail object's, the admin's."""
    context = _context.get() or {}
    if "salon" in context:
        return context["salon"]
    salon_id = request.GET.get("salon_id")
    match = getattr(request, "resolver_match", None)
    if not salon_id and match is not None:
        salon_id = match.kwargs.get("salon_pk") or match.kwargs.get("salon_id")
        if not salon_id and match.route and match.route.startswith("api/salons"):
            salon_id = match.kwargs.get("pk")
    admin_salon = request.__dict__.get("admin_salon")
    if not salon_id and admin_salon is not None and getattr(admin_salon, "_wrapped", admin_salon) is not None:
        wrapped = getattr(admin_salon, "_wrapped", admin_salon)
        salon_id = getattr(wrapped, "pk", None)
    return str(salon_id) if salon_id else None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_of(request)
        request.request_id = request_id
        token = _context.set({"request_id": request_id})
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            response[REQUEST_ID_HEADER] = request_id
            probe = request.path_info in PROBE_PATHS
            route = request.path_info if probe else route_of(request)
            metrics.observe_request(route, request.method, response.status_code, seconds)
            if settings.LOG_REQUESTS:
                user = resolved_user(request)
                request_logger.log(
                    logging.DEBUG if probe else logging.INFO,  # a health check every 10 s is not news
                    "%s %s %s %.1fms",
                    request.method,
                    request.path,
                    response.status_code,
                    seconds * 1000,
                    extra={
                        "http": {
                            "method": request.method,
                            "path": request.path,
                            "route": route,
                            "status": response.status_code,
                            "duration_ms": round(seconds * 1000, 2),
                            "user": str(user.pk) if user is not None and user.is_authenticated else None,
                            "salon": salon_of(request),
                        }
                    },
                )
            return response
        finally:
            _context.reset(token)


_make_record = logging.getLogRecordFactory()


def _record_with_context(*args, **kwargs) -> logging.LogRecord:
    # Taken when the record is made, in the request's or task's context, whenever it is formatted.
    record = _make_record(*args, **kwargs)
    context = _context.get()
    record.salonbot_context = dict(context) if context else None
    return record


logging.setLogRecordFactory(_record_with_context)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the request or task context, the exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "salonbot_context", None) or {})
        http = getattr(record, "http", None)
        if http:
            entry.update(http)
        task = current_task
        if task and getattr(task.request, "id", None):
            entry.setdefault("task", task.name)
            entry.setdefault("task_id", task.request.id)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


# The request id travels with the tasks a request enqueues (a message header), so a webhook's
# processing logs under the id of the delivery that brought it.
@before_task_publish.connect(dispatch_uid="salonbot.observability.publish")
def _attach_request_id(headers=None, **kwargs):
    request_id = current_request_id()
    if request_id and headers is not None:
        headers.setdefault("salonbot_request_id", request_id)


_task_tokens: dict[str, contextvars.Token] = {}


@task_prerun.connect(dispatch_uid="salonbot.observability.task_enter")
def _enter_task(task_id=None, task=None, **kwargs):
    headers = getattr(task.request, "headers", None) or {}
    request_id = (
        getattr(task.request, "salonbot_request_id", None)
        or headers.get("salonbot_request_id")
        or current_request_id()  # an eager task inside a request
        or task_id
    )
    _task_tokens[task_id] = _context.set({"request_id": request_id})


@task_postrun.connect(dispatch_uid="salonbot.observability.task_leave")
def _leave_task(task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        _context.reset(token)
