"""Enqueueing messaging's Celery tasks by name.

Services enqueue; tasks call services. Looking tasks up by name keeps that one-way: no service
imports the tasks module (MessagingConfig.ready() imports it, so every process knows them).
"""

from salonbot.broker import publish

PROCESS_WEBHOOK_EVENT = "messaging.process_webhook_event"
SEND_MESSAGE = "messaging.send_message"
OFFER_FREED_TIME = "messaging.offer_freed_time"
CONFIRM_BOOKING = "messaging.confirm_booking"


def enqueue(name: str, *args, countdown: float | None = None) -> None:
    """Publish within salonbot.broker's bound, so a broker outage never holds the caller's request.

    A publish the broker refuses is deferred, not raised: sent when the broker answers again. Webhook
    events and outbound messages are durable beyond that (the recovery sweep finds the row); a
    waiting-list offer lives only as long as the deferring process.
    Callers still run this on commit with `robust=True`: in eager mode (tests) the task runs here.
    `countdown` (seconds) delays the task's run, not the publish.
    """
    publish(name, *args, countdown=countdown)
