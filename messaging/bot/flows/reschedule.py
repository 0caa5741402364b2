"""Moving a booking by chat: "move my booking to Friday" → which booking → new time → moved.

The move is the booking flow with the draft's `moving` set: the same days, parts and times
(the booking's own time counting as free), the same hold on the confirm step, then
`reschedule_booking`, which turns the hold into the new time like a booking's confirmation.
"""

from __future__ import annotations

import logging

from bookings.models import ActorKind, Booking, BookingStatus
from bookings.services import reschedule_booking
from salonbot.errors import BookingConflict, DomainError, InvalidTransition, OutsideWorkingHours
from salons.models import Master

from .. import render, texts
from ..ids import Tap
from ..interpreter import Interpretation
from ..render import Reply
from ..turn import Turn
from .booking import advance
from .mybookings import own_booking, upcoming

logger = logging.getLogger(__name__)


def start(turn: Turn, meaning: Interpretation | None = None) -> Reply:
    """Which booking (asked only when there are several), keeping the day and time said for it."""
    d = turn.draft
    d.clear()
    if meaning is not None:
        d.day, d.part, d.after = meaning.date, meaning.part_of_day, meaning.from_date
        d.time = meaning.time
    found = [b for b in upcoming(turn) if b.service_id and b.master_id]
    if not found:
        d.clear()
        return render.with_menu(str(texts.NO_BOOKINGS_TO_MOVE))
    if len(found) == 1:
        return begin(turn, found[0])
    return render.move_choices(found)


def tap_pick(turn: Turn, tap: Tap) -> Reply:
    booking = own_booking(turn, tap.booking)
    if not _movable(turn, booking):
        turn.draft.clear()
        return start(turn).after(str(texts.STALE))
    return begin(turn, booking)


def begin(turn: Turn, booking: Booking) -> Reply:
    d = turn.draft
    d.service, d.master, d.moving, d.slot = str(booking.service_id), str(booking.master_id), str(booking.pk), None
    return advance(turn, str(texts.MOVING) % render.booking_facts(booking))


def tap_move(turn: Turn, tap: Tap) -> Reply:
    """ "Move it": the held new time becomes the booking's, under the booking and master locks."""
    d = turn.draft
    booking = own_booking(turn, tap.booking)
    if not _movable(turn, booking):
        d.clear()
        facts = render.booking_facts(booking) if booking is not None else None
        return render.with_menu(str(texts.CANNOT_MOVE) % facts if facts else str(texts.STALE))
    master = Master.objects.filter(salon=turn.salon, pk=tap.master, is_active=True).first()
    d.clear()
    d.service, d.master, d.moving = str(booking.service_id), tap.master, str(booking.pk)
    d.day = texts.local(tap.start, turn.zone).date()
    if master is None:
        d.master = None
        return advance(turn, str(texts.STALE))
    try:
        moved = reschedule_booking(
            actor=None,
            actor_kind=ActorKind.BOT,
            booking=booking,
            start_ts=tap.start,
            master=master if master.pk != booking.master_id else None,
            holder=turn.holder,
            allow_outside_hours=False,
        )
    except (BookingConflict, OutsideWorkingHours):
        return advance(turn, str(texts.TAKEN))
    except InvalidTransition:
        d.clear()
        return render.with_menu(str(texts.CANNOT_MOVE) % render.booking_facts(booking))
    except DomainError as exc:  # the master stopped doing the service, the salon was switched off
        logger.info("moving booking %s by chat refused: %s", booking.code, exc.detail)
        d.clear()
        return render.with_menu(str(texts.BOOKING_FAILED))
    d.clear()
    facts = render.booking_facts(moved)
    return render.with_menu(str(texts.MOVED) % {**facts, "master": moved.master.name})


def _movable(turn: Turn, booking: Booking | None) -> bool:
    return (
        booking is not None
        and booking.status == BookingStatus.CONFIRMED
        and booking.start_ts > turn.now
        and booking.service_id is not None
    )
