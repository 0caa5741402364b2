"""Enqueueing messaging's Celery tasks by name.

Services enqueue; tasks call services. Looking tasks up by name keeps that one-way: no service
imports the tasks module (MessagingConfig.ready() imports it, so every process knows them).
"""

from celery import current_app

PROCESS_WEBHOOK_EVENT = "messaging.process_webhook_event"
SEND_MESSAGE = "messaging.send_message"
OFFER_FREED_TIME = "messaging.offer_freed_time"


def enqueue(name: str, *args, countdown: float | None = None) -> None:
    """Publish at once or raise: retry=False, so a broker outage never holds the caller's request.

    Callers run this on commit with `robust=True` and leave the row for the recovery sweep.
    `countdown` (seconds) delays the task's run, not the publish.
    """
    current_app.tasks[name].apply_async(args, retry=False, countdown=countdown)
