"""The booking confirmation a customer gets on WhatsApp when their booking is created."""

from __future__ import annotations

import logging
import zoneinfo

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from bookings.models import Booking
from messaging.models import Conversation, Message, MessageTemplate, TemplatePurpose
from salonbot.errors import DomainError

from .conversations import conversation_for_customer
from .outbound import queue_template, queue_text

logger = logging.getLogger(__name__)


def queue_booking_confirmation(*, booking_id) -> Message | None:
    """Confirm a new booking in the customer's existing conversation with the salon.

    Free text inside the 24-hour window, else the salon's CONFIRMATION template, else nothing
    (logged). Queued once per booking, however often this runs.
    """
    booking = Booking.objects.select_related("salon", "customer", "service", "master").filter(pk=booking_id).first()
    if booking is None or booking.customer is None:
        return None
    if booking.start_ts <= timezone.now():
        return None  # a walk-in or a booking recorded after the fact: nothing to confirm any more
    conversation = conversation_for_customer(customer=booking.customer)
    if conversation is None:
        # Routine (booked by phone, no WhatsApp yet), so not worth a line per booking in the log.
        logger.debug("booking %s: the customer has no WhatsApp conversation; no confirmation", booking.code)
        return None
    key = confirmation_key(booking.pk)
    try:
        if conversation.is_window_open():
            return queue_text(conversation=conversation, text=confirmation_text(booking), idempotency_key=key)
        template = template_for(conversation, TemplatePurpose.CONFIRMATION)
        if template is None:
            logger.info(
                "booking %s: outside the 24-hour window and salon %s has no CONFIRMATION template; no confirmation",
                booking.code,
                booking.salon_id,
            )
            return None
        parameters = booking_template_parameters(booking)[: template.parameter_count]
        if len(parameters) < template.parameter_count:
            logger.warning("template %s takes more parameters than a booking provides; no confirmation", template)
            return None
        return queue_template(conversation=conversation, template=template, parameters=parameters, idempotency_key=key)
    except DomainError as exc:  # usage limit reached, salon inactive: the booking stands anyway
        logger.warning("booking %s: confirmation not queued: %s", booking.code, exc.detail)
        return None


def confirmation_key(booking_id) -> str:
    """The idempotency key of a booking's confirmation. The WhatsApp bot queues its own "booked"
    message under it, so a booking made in the chat is confirmed once, by that message."""
    return f"booking-confirmation:{booking_id}"


def confirmation_text(booking: Booking) -> str:
    with translation.override(booking.salon.language):
        return _("Your booking %(code)s is confirmed: %(service)s with %(master)s on %(when)s. See you soon!") % {
            "code": booking.code,
            "service": booking.service.name if booking.service else _("your appointment"),
            "master": booking.master.name if booking.master else _("our team"),
            "when": local_time(booking),
        }


def local_time(booking: Booking) -> str:
    local = booking.start_ts.astimezone(zoneinfo.ZoneInfo(booking.salon.timezone))
    with translation.override(booking.salon.language):
        return formats.date_format(local, "D d M Y, H:i")


def booking_template_parameters(booking: Booking) -> list[str]:
    """The parameters MessageTemplate documents for booking templates: name, time, service, master, code."""
    return [
        booking.customer_name or (booking.customer.name if booking.customer else "") or "-",
        local_time(booking),
        booking.service.name if booking.service else "-",
        booking.master.name if booking.master else "-",
        booking.code,
    ]


def template_for(conversation: Conversation, purpose: str) -> MessageTemplate | None:
    """The salon's template for `purpose`: in the salon's language first (ru matches ru_RU), then any."""
    language = conversation.salon.language
    templates = list(MessageTemplate.objects.filter(salon_id=conversation.salon_id, purpose=purpose))
    templates.sort(key=lambda t: (t.language.split("_")[0] != language, t.language, t.name))
    return templates[0] if templates else None
