"""Confirming: the customer's name (asked once), and the booking made from the held slot."""

from __future__ import annotations

import logging

from bookings.models import ACTIVE_STATUSES, ActorKind, Booking, BookingSource
from bookings.services import create_booking
from messaging.services.confirmations import confirmation_key
from salonbot.errors import BookingConflict, DomainError, InvalidInput
from salons.services import confirm_customer_name

from .. import render, texts
from ..ids import ANY, Tap
from ..render import Reply
from ..turn import Turn
from .booking import advance, master_of, service_of

logger = logging.getLogger(__name__)

# Longer than this, or with digits, a message on the name step is not a name but a request.
MAX_NAME_WORDS = 4


def tap_name(turn: Turn, tap: Tap) -> Reply:
    """The WhatsApp profile name, offered as a button, is the customer's name."""
    customer = turn.customer
    if customer is None:
        return advance(turn)
    return set_name(turn, customer.name)


def looks_like_a_name(text: str) -> bool:
    words = text.split()
    return 0 < len(words) <= MAX_NAME_WORDS and not any(c.isdigit() for c in text) and any(c.isalpha() for c in text)


def set_name(turn: Turn, name: str) -> Reply:
    customer = turn.customer
    if customer is None:
        return advance(turn)
    try:
        confirm_customer_name(customer=customer, name=name)
    except InvalidInput:
        return render.name_question(customer.name)
    # The draft still holds the time that was being confirmed: it is held and shown now.
    return advance(turn, str(texts.NAME_THANKS) % {"name": customer.name})


def tap_confirm(turn: Turn, tap: Tap) -> Reply:
    """Confirm: the one create path re-checks the slot under its locks and turns the hold into the
    booking; a conflict is part of the chat."""
    d = turn.draft
    d.clear()
    d.service, d.master, d.day = tap.service, tap.master, texts.local(tap.start, turn.zone).date()
    service = service_of(turn, tap.service)
    customer = turn.customer
    if service is None:
        return advance(turn)
    if customer is not None:
        # A second tap on the same Confirm (or a replayed one) must not book "any master" twice.
        existing = Booking.objects.filter(
            salon=turn.salon, customer=customer, service=service, start_ts=tap.start, status__in=ACTIVE_STATUSES
        ).first()
        if existing is not None:
            d.clear()
            return render.with_menu(str(texts.ALREADY_BOOKED) % {"code": existing.code})
    master = None
    if tap.master != ANY:
        master = master_of(turn, tap.master)
        if master is None:
            d.master = None
            return advance(turn)
    try:
        booking = create_booking(
            actor=None,
            actor_kind=ActorKind.BOT,
            salon=turn.salon,
            master=master,
            service=service,
            start_ts=tap.start,
            source=BookingSource.WHATSAPP,
            customer=customer,
            enforce_availability=True,
            holder=turn.holder,
        )
    except BookingConflict:
        return advance(turn, str(texts.TAKEN))
    except InvalidInput:  # the master stopped doing the service, the service was switched off
        return advance(turn, str(texts.STALE))
    except DomainError as exc:  # the salon's plan is full, the salon is inactive: the owner's matter
        logger.warning("bot booking in conversation %s refused: %s", turn.conversation.pk, exc.detail)
        d.clear()
        return render.with_menu(str(texts.BOOKING_FAILED))
    d.clear()
    return booked(booking)


def booked(booking: Booking) -> Reply:
    reply = render.booked(booking)
    # The booked message is the booking's confirmation: queued under the confirmation's key, the
    # generic confirmation (booking_changed → confirmations) finds it and sends nothing more.
    return Reply(reply.text, step=reply.step, idempotency_key=confirmation_key(booking.pk))
