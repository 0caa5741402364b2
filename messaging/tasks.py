"""Celery tasks of messaging: load by id, call a service. Enqueued on commit by the services."""

from celery import shared_task

from salonbot import metrics
from salonbot.outages import TASK_RETRY_ON_OUTAGE

from .bot.flows import waitlist as waitlist_offers
from .services import confirmations, delivery, ingest_batch, recovery, reminders


@shared_task(name="messaging.process_webhook_event", **TASK_RETRY_ON_OUTAGE)
def process_webhook_event(event_id: str = "") -> int:
    """Published per stored event (coalesced for statuses): processes it and whatever else is waiting."""
    events = ingest_batch.process_pending(event_id=event_id or None)
    failed = sum(1 for event in events if event.error)
    if failed:
        metrics.WEBHOOK_EVENTS_PROCESSED.labels("error").inc(failed)
    if len(events) > failed:
        metrics.WEBHOOK_EVENTS_PROCESSED.labels("ok").inc(len(events) - failed)
    return len(events)


# Retrying after a database error is safe: the claim (attempts == attempt) lets one delivery send.
@shared_task(name="messaging.send_message", **TASK_RETRY_ON_OUTAGE)
def send_message(message_id: str, attempt: int = 0) -> str:
    outcome = delivery.deliver_message(message_id=message_id, attempt=attempt)
    metrics.OUTBOUND_SENDS.labels(outcome.status).inc()
    if outcome.retry_in is not None:
        # A new task message rather than self.retry(): the claim travels as `attempt`, and in
        # eager mode (tests) the retry runs at once instead of sleeping.
        send_message.apply_async((message_id, outcome.next_attempt), countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="messaging.sweep")
def sweep() -> None:
    """Every minute (CELERY_BEAT_SCHEDULE): re-enqueue what a lost task left, settle interrupted reminder
    sends, purge old statuses."""
    for event_id in recovery.claim_stale_event_ids():
        process_webhook_event.delay(str(event_id))
    for message_id, attempts in recovery.stale_messages():
        send_message.delay(str(message_id), attempts)
    delivery.settle_interrupted_sends()
    recovery.purge_stale_pending_statuses()


@shared_task(name="messaging.dispatch_due_reminders")
def dispatch_due_reminders() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): claim due reminders, one send task each."""
    ids = reminders.dispatch_due_reminders()
    for reminder_id in ids:
        send_reminder.delay(reminder_id)
    return len(ids)


@shared_task(name="messaging.send_reminder")
def send_reminder(reminder_id: str) -> str:
    return reminders.send_reminder(reminder_id=reminder_id)


@shared_task(name="messaging.offer_freed_time")
def offer_freed_time(booking_id: str, event: str) -> int:
    """A cancellation, no-show or reschedule freed time: offer it to the waiting list."""
    return waitlist_offers.offer_freed_time(booking_id=booking_id, event=event)


# Retrying after a database error is safe: the confirmation is queued once per booking (its idempotency key).
@shared_task(name="messaging.confirm_booking", **TASK_RETRY_ON_OUTAGE)
def confirm_booking(booking_id: str) -> None:
    """A new booking's confirmation, queued from a worker: the request that booked does not wait for it."""
    confirmations.queue_booking_confirmation(booking_id=booking_id)
