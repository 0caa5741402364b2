"""My bookings and cancelling: each upcoming booking with a cancel row, and one more question.

Only the conversation's own customer's bookings are shown, cancelled or moved, whatever id a
tap carries.
"""

from __future__ import annotations

from bookings.models import ActorKind, Booking, BookingStatus
from bookings.selectors import bookings_with_relations
from bookings.services import transition_booking
from salonbot.errors import InvalidTransition

from .. import render, texts
from ..ids import Tap
from ..render import Reply
from ..turn import Turn


def my_bookings(turn: Turn, *, offset: int = 0, cancelling: bool = False) -> Reply:
    turn.draft.clear()
    found = upcoming(turn)
    if cancelling and len(found) == 1:
        return ask_cancel(turn, str(found[0].pk))
    return render.bookings(found, offset=offset)


def tap_cancel(turn: Turn, tap: Tap) -> Reply:
    return ask_cancel(turn, tap.booking)


def tap_cancel_yes(turn: Turn, tap: Tap) -> Reply:
    return cancel(turn, tap.booking)


def tap_cancel_no(turn: Turn, tap: Tap) -> Reply:
    return keep(turn, tap.booking)


def ask_cancel(turn: Turn, booking_id: str) -> Reply:
    booking = own_booking(turn, booking_id)
    if booking is None or booking.status != BookingStatus.CONFIRMED or booking.start_ts <= turn.now:
        return render.bookings(upcoming(turn)).after(str(texts.STALE))
    turn.draft.booking = str(booking.pk)
    return render.cancel_question(booking)


def cancel(turn: Turn, booking_id: str) -> Reply:
    turn.draft.clear()
    booking = own_booking(turn, booking_id)
    if booking is None:
        return render.bookings(upcoming(turn)).after(str(texts.STALE))
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
    turn.draft.clear()
    booking = own_booking(turn, booking_id)
    if booking is None:
        return render.menu(turn.salon.name, greet=False)
    return render.with_menu(str(texts.KEPT) % render.booking_facts(booking))


def upcoming(turn: Turn) -> list[Booking]:
    customer = turn.customer
    if customer is None:
        return []
    return list(
        bookings_with_relations()
        .select_related("salon")
        .filter(salon=turn.salon, customer=customer, status=BookingStatus.CONFIRMED, start_ts__gt=turn.now)
        .order_by("start_ts")[:50]
    )


def own_booking(turn: Turn, booking_id: str | None) -> Booking | None:
    customer = turn.customer
    if customer is None or not booking_id:
        return None
    return (
        bookings_with_relations()
        .select_related("salon")
        .filter(salon=turn.salon, customer=customer, pk=booking_id)
        .first()
    )
