"""My bookings and cancelling: each upcoming booking with a cancel row, and one more question.

Only the conversation's own customer's bookings are shown or cancelled, whatever id a tap carries.
"""

from __future__ import annotations

from bookings.models import ActorKind, Booking, BookingStatus
from bookings.selectors import bookings_with_relations
from bookings.services import transition_booking
from salonbot.errors import InvalidTransition

from . import render, texts
from .render import Reply
from .turn import Turn, clear_draft


def my_bookings(turn: Turn, *, offset: int = 0, cancelling: bool = False) -> Reply:
    clear_draft(turn.state)
    upcoming = _upcoming(turn)
    if cancelling and len(upcoming) == 1:
        return ask_cancel(turn, str(upcoming[0].pk))
    return render.bookings(upcoming, offset=offset)


def ask_cancel(turn: Turn, booking_id: str) -> Reply:
    booking = _own_booking(turn, booking_id)
    if booking is None or booking.status != BookingStatus.CONFIRMED or booking.start_ts <= turn.now:
        return render.bookings(_upcoming(turn)).after(str(texts.STALE))
    turn.state["booking"] = str(booking.pk)
    return render.cancel_question(booking)


def cancel(turn: Turn, booking_id: str) -> Reply:
    clear_draft(turn.state)
    booking = _own_booking(turn, booking_id)
    if booking is None:
        return render.bookings(_upcoming(turn)).after(str(texts.STALE))
    facts = render.booking_facts(booking)
    if booking.status == BookingStatus.CANCELLED:  # "Yes" tapped twice: say it again
        return render.with_menu(str(texts.CANCELLED) % facts)
    try:
        transition_booking(
            actor=None,
            booking=booking,
            action="cancel",
            reason=str(texts.CANCELLATION_REASON),
            actor_kind=ActorKind.BOT,
        )
    except InvalidTransition:
        return render.with_menu(str(texts.CANNOT_CANCEL) % facts)
    return render.with_menu(str(texts.CANCELLED) % facts)


def keep(turn: Turn, booking_id: str) -> Reply:
    clear_draft(turn.state)
    booking = _own_booking(turn, booking_id)
    if booking is None:
        return render.menu(turn.salon.name, greet=False)
    return render.with_menu(str(texts.KEPT) % render.booking_facts(booking))


def _upcoming(turn: Turn) -> list[Booking]:
    customer = turn.conversation.customer
    if customer is None:
        return []
    return list(
        bookings_with_relations()
        .select_related("salon")
        .filter(salon=turn.salon, customer=customer, status=BookingStatus.CONFIRMED, start_ts__gt=turn.now)
        .order_by("start_ts")[:50]
    )


def _own_booking(turn: Turn, booking_id: str | None) -> Booking | None:
    customer = turn.conversation.customer
    if customer is None or not booking_id:
        return None
    return (
        bookings_with_relations()
        .select_related("salon")
        .filter(salon=turn.salon, customer=customer, pk=booking_id)
        .first()
    )
