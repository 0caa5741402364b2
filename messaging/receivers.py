"""What messaging does when the lower apps announce a change (connected in MessagingConfig.ready)."""

import logging

from django.db.models.signals import post_delete
from django.dispatch import receiver

from bookings.models import BookingEventKind
from bookings.signals import booking_changed
from salons.models import Salon
from salons.signals import salon_changed

from .services import reminders, routing
from .services.jobs import CONFIRM_BOOKING, OFFER_FREED_TIME, enqueue
from .signals import message_status_changed

logger = logging.getLogger(__name__)


@receiver(booking_changed, dispatch_uid="messaging.booking_confirmation")
def confirm_new_booking(sender, booking_id, salon_id, event, recorded=False, **kwargs):
    if event != BookingEventKind.CREATED or recorded:
        return
    # After the booking committed; the reads and the message are a worker's job, so the request
    # that booked (API, admin) returns without them, and a broker failure must not turn a booked
    # slot into an error for the caller.
    try:
        enqueue(CONFIRM_BOOKING, str(booking_id))
    except Exception:
        logger.exception("enqueueing the confirmation of booking %s failed", booking_id)


# What gives a master's time back: it may be what a customer on the waiting list is waiting for.
FREEING_EVENTS = (BookingEventKind.CANCELLED, BookingEventKind.NO_SHOW, BookingEventKind.RESCHEDULED)


@receiver(booking_changed, dispatch_uid="messaging.waitlist_offers")
def offer_freed_time(sender, booking_id, salon_id, event, **kwargs):
    if event not in FREEING_EVENTS:
        return
    # A task: the offers go out from a worker, not inside the request that cancelled.
    try:
        enqueue(OFFER_FREED_TIME, str(booking_id), str(event))
    except Exception:
        logger.exception("enqueueing waiting-list offers for booking %s failed", booking_id)


@receiver(salon_changed, dispatch_uid="messaging.forget_salon_route")
def forget_changed_salon(sender, salon, **kwargs):
    routing.forget_salon(salon)


@receiver(post_delete, sender=Salon, dispatch_uid="messaging.forget_deleted_salon_route")
def forget_deleted_salon(sender, instance, **kwargs):
    routing.forget_salon(instance)


@receiver(message_status_changed, dispatch_uid="messaging.reminder_follows_message")
def reminder_follows_its_message(sender, message_id, idempotency_key=None, **kwargs):
    reminders.follow_message(message_id=message_id, idempotency_key=idempotency_key)
