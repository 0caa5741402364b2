"""What messaging does when the lower apps announce a change (connected in MessagingConfig.ready)."""

import logging

from django.db.models.signals import post_delete
from django.dispatch import receiver

from bookings.models import BookingEventKind
from bookings.signals import booking_changed
from salons.models import Salon
from salons.signals import salon_changed

from .models import Message
from .services import confirmations, reminders, routing
from .signals import message_failed

logger = logging.getLogger(__name__)


@receiver(booking_changed, dispatch_uid="messaging.booking_confirmation")
def confirm_new_booking(sender, booking_id, salon_id, event, recorded=False, **kwargs):
    if event != BookingEventKind.CREATED or recorded:
        return
    # Sent after the booking committed, inside the request that made it: a failure here must not
    # turn a booked slot into an error for the caller.
    try:
        confirmations.queue_booking_confirmation(booking_id=booking_id)
    except Exception:
        logger.exception("queueing the confirmation of booking %s failed", booking_id)


@receiver(salon_changed, dispatch_uid="messaging.forget_salon_route")
def forget_changed_salon(sender, salon, **kwargs):
    routing.forget_salon(salon)


@receiver(post_delete, sender=Salon, dispatch_uid="messaging.forget_deleted_salon_route")
def forget_deleted_salon(sender, instance, **kwargs):
    routing.forget_salon(instance)


@receiver(message_failed, dispatch_uid="messaging.reminder_failed")
def fail_reminder_of_failed_message(sender, message_id, **kwargs):
    message = Message.objects.filter(pk=message_id).first()
    if message is not None:
        reminders.reminder_message_failed(message=message)
