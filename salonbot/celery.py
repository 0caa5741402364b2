"""The Celery app: configuration from Django settings (CELERY_*), tasks found in each app.

Every task runs in the platform's tenant scope (row-level security shows it every salon: tasks act
for the platform, they take ids and call services) and is one unit of work for the replica router.
Task outcomes are counted for Prometheus; a worker started with CELERY_METRICS_PORT serves its
children's counts on that port (salonbot/metrics.py).
"""

import os

from celery import Celery
from celery.signals import (
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
    task_success,
    worker_init,
    worker_process_shutdown,
)

from salonbot import metrics, observability, scope  # observability: request ids in task logs
from salonbot.db import router

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salonbot.settings")

app = Celery("salonbot")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

__all__ = ["app", "observability"]

# task id → what to restore after it; eager tasks nest inside requests and other tasks.
_tokens: dict[str, tuple] = {}


@task_prerun.connect(dispatch_uid="salonbot.task_scope_enter")
def _enter_task(task_id=None, **kwargs):
    _tokens[task_id] = (scope.enter(scope.PLATFORM), router.begin_work())


@task_postrun.connect(dispatch_uid="salonbot.task_scope_leave")
def _leave_task(task_id=None, **kwargs):
    tokens = _tokens.pop(task_id, None)
    if tokens is not None:
        scope_token, work_token = tokens
        router.end_work(work_token)
        scope.leave(scope_token)


@task_success.connect(dispatch_uid="salonbot.metrics.task_success")
def _count_success(sender=None, **kwargs):
    metrics.count_task(sender.name, "success")


@task_failure.connect(dispatch_uid="salonbot.metrics.task_failure")
def _count_failure(sender=None, **kwargs):
    metrics.count_task(sender.name, "failure")


@task_retry.connect(dispatch_uid="salonbot.metrics.task_retry")
def _count_retry(sender=None, request=None, **kwargs):
    metrics.count_task(getattr(sender, "name", None) or getattr(request, "task", "unknown"), "retry")


@worker_init.connect(dispatch_uid="salonbot.metrics.worker_init")
def _serve_worker_metrics(**kwargs):
    metrics.start_worker_endpoint(app)


@worker_process_shutdown.connect(dispatch_uid="salonbot.metrics.child_exit")
def _retire_child(pid=None, **kwargs):
    metrics.retire_process(pid or os.getpid())
