"""Sending booking reminders exactly once: rows claimed by a beat task, sent by one task each.

`dispatch_due_reminders` (beat, every minute) claims due PENDING rows — and QUEUED rows whose
lease ran out because their worker died — with SELECT … FOR UPDATE SKIP LOCKED, so concurrent
dispatchers take disjoint rows, marks them QUEUED and enqueues one `send_reminder` task each.
`send_reminder` decides who sends with a conditional UPDATE from QUEUED, in the same transaction
that queues the outbound message: a task delivered twice, or two dispatchers racing, still make
one message, and the message's own send is claimed once (services.delivery). No long ETA tasks:
the broker only ever holds tasks that are due now.

After that the reminder follows its message (found by the idempotency key `reminder:<id>`):
SENT, DELIVERED, READ, FAILED, or UNKNOWN when the send was cut off and never repeated.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bookings.models import ACTIVE_STATUSES, REMINDER_KEY_PREFIX, Reminder, ReminderStatus
from messaging.models import Message, MessageStatus, TemplatePurpose
from salonbot.errors import DomainError

from .confirmations import booking_template_parameters, template_for
from .conversations import conversation_for_customer
from .outbound import queue_template, queue_text

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
# A QUEUED row older than this lost its task (worker killed, broker restarted): claim it again.
QUEUED_LEASE = timedelta(minutes=10)
# A reminder this late is pointless (the appointment has started): give up instead of sending.
TOO_LATE = timedelta(minutes=0)
# A reminder whose message is out of our hands takes the message's status, which only moves forward.
OUTCOMES = {
    MessageStatus.SENT: ReminderStatus.SENT,
    MessageStatus.DELIVERED: ReminderStatus.DELIVERED,
    MessageStatus.READ: ReminderStatus.READ,
    MessageStatus.FAILED: ReminderStatus.FAILED,
    MessageStatus.UNKNOWN: ReminderStatus.UNKNOWN,
}
HANDED_OVER = tuple(OUTCOMES.values())


def dispatch_due_reminders(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> list[str]:
    """Claim up to `batch_size` due reminders and return their ids; the caller enqueues the sends."""
    now = now or timezone.now()
    with transaction.atomic():
        due = (
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(scheduled_at__lte=now)
            .filter(
                Q(status=ReminderStatus.PENDING) | Q(status=ReminderStatus.QUEUED, queued_at__lt=now - QUEUED_LEASE)
            )
            .order_by("scheduled_at")
            .values_list("pk", flat=True)[:batch_size]
        )
        ids = list(due)
        if ids:
            Reminder.objects.filter(pk__in=ids).update(status=ReminderStatus.QUEUED, queued_at=now, updated_at=now)
    return [str(pk) for pk in ids]


def send_reminder(*, reminder_id, now: datetime | None = None) -> str:
    """Queue the reminder's WhatsApp message if this call wins the reminder; returns what happened."""
    now = now or timezone.now()
    with transaction.atomic():
        # The winner holds the row lock until commit; a concurrent loser then finds it SENT.
        won = Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.QUEUED).update(
            status=ReminderStatus.SENT, sent_at=now, attempts=F("attempts") + 1, updated_at=now
        )
        if not won:
            return "skipped"
        reminder = Reminder.objects.select_related(
            "booking__salon", "booking__customer", "booking__service", "booking__master"
        ).get(pk=reminder_id)
        reason = _why_not(reminder, now)
        if reason:
            _close(reminder, ReminderStatus.CANCELLED, reason)
            return "cancelled"
        try:
            message = _queue_reminder_message(reminder)
        except DomainError as exc:
            _close(reminder, ReminderStatus.FAILED, exc.detail)
            return "failed"
        if message is None:
            _close(
                reminder, ReminderStatus.FAILED, "The 24-hour window is closed and the salon has no REMINDER template."
            )
            return "failed"
        Reminder.objects.filter(pk=reminder.pk).update(last_error="")
    return "sent"


def message_of(reminder: Reminder) -> Message | None:
    return Message.objects.filter(salon_id=reminder.salon_id, idempotency_key=reminder.message_key).first()


def follow_message(*, message_id, idempotency_key: str | None = None) -> bool:
    """The reminder carried by this message takes its outcome (a failure with its WhatsApp error).

    `idempotency_key`, when known, settles without a query that the message carries no reminder.
    """
    if idempotency_key is not None and not idempotency_key.startswith(REMINDER_KEY_PREFIX):
        return False
    message = Message.objects.filter(pk=message_id, idempotency_key__startswith=REMINDER_KEY_PREFIX).first()
    status = OUTCOMES.get(message.status) if message is not None else None
    if status is None:
        return False
    try:
        reminder_id = uuid.UUID(message.idempotency_key.removeprefix(REMINDER_KEY_PREFIX))
    except ValueError:
        return False
    last_error = ""
    if status == ReminderStatus.FAILED:
        last_error = f"WhatsApp error {message.error_code}: {message.error_title}"
    elif status == ReminderStatus.UNKNOWN:
        last_error = f"Not known whether WhatsApp took it ({message.error_title}); it is not sent again."
    return bool(
        Reminder.objects.filter(pk=reminder_id, salon_id=message.salon_id, status__in=HANDED_OVER)
        .exclude(status=status)
        .update(status=status, last_error=last_error[:500], updated_at=timezone.now())
    )


def _why_not(reminder: Reminder, now: datetime) -> str:
    booking = reminder.booking
    if booking.status not in ACTIVE_STATUSES:
        return f"The booking is {booking.status}."
    if booking.start_ts - TOO_LATE <= now:
        return "The appointment has already started."
    if booking.customer is None:
        return "The booking has no customer to remind."
    return ""


def _close(reminder: Reminder, status: str, reason: str) -> None:
    Reminder.objects.filter(pk=reminder.pk).update(status=status, last_error=reason[:500], updated_at=timezone.now())
    log = logger.warning if status == ReminderStatus.FAILED else logger.info
    log("reminder %s of booking %s %s: %s", reminder.pk, reminder.booking.code, status, reason)


def _queue_reminder_message(reminder: Reminder) -> Message | None:
    booking = reminder.booking
    conversation = conversation_for_customer(customer=booking.customer, create=True)
    if conversation is None:
        raise _NoAddress()
    key = reminder.message_key
    if conversation.is_window_open():
        return queue_text(conversation=conversation, text=reminder_text(reminder), idempotency_key=key)
    template = template_for(conversation, TemplatePurpose.REMINDER)
    if template is None:
        return None
    parameters = booking_template_parameters(booking)[: template.parameter_count]
    return queue_template(conversation=conversation, template=template, parameters=parameters, idempotency_key=key)


class _NoAddress(DomainError):
    default_detail = "The customer has no phone number or WhatsApp id."


def reminder_text(reminder: Reminder) -> str:
    booking = reminder.booking
    name, when, service, master, _code = booking_template_parameters(booking)
    with translation.override(booking.salon.language):
        return _("Hello %(name)s, a reminder of your %(service)s with %(master)s on %(when)s (booking %(code)s).") % {
            "name": name,
            "service": service,
            "master": master,
            "when": when,
            "code": booking.code,
        }
