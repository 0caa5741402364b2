"""Holding a slot while a customer confirms in the chat (DESIGN.md, "Holds and the waitlist").

The bot holds the time it shows on its confirm step; everyone else (API, admin, other chats, any
master) then sees it as busy (`slots.busy_by_master`) and gets 409 for it, until the holder books
it (`create_booking(holder=...)` turns the hold into the booking in one transaction), moves on,
or `hold_minutes` pass. Expiry is the timestamp alone: no task has to run for the slot to free.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from salonbot.errors import SalonInactive
from salons.models import Customer, Master, Salon, Service

from . import busy
from .models import SlotHold
from .services import _check_master, _check_service, _end_ts

# Expired holds are kept this long for the owner's eyes, then purged (hygiene, not correctness).
KEEP_EXPIRED = timedelta(days=1)


@transaction.atomic
def hold_slot(
    *,
    salon: Salon,
    service: Service,
    start_ts: datetime,
    holder: str,
    master: Master | None = None,
    customer: Customer | None = None,
    exclude_booking=None,
    now: datetime | None = None,
) -> SlotHold:
    """Keep `master`'s (or a free master's) time for `service` at `start_ts` for `holder`.

    Taken under the master's row lock, like a booking, and only where the bot could offer a start
    (hours, notice, bookings, others' holds): raises BookingConflict otherwise. The holder's
    earlier holds end here: one conversation keeps one slot. `exclude_booking` is the booking
    being moved, whose own time does not count against its new one.
    """
    if not holder:
        raise ValueError("a hold needs a holder")
    salon = Salon.objects.get(pk=salon.pk)
    if not salon.is_active:
        raise SalonInactive()
    _check_service(salon, service)
    now = now or timezone.now()
    end_ts = _end_ts(start_ts, None, service)
    SlotHold.objects.filter(holder=holder).delete()
    if master is None:
        master = busy.pick_free_master(salon, service, start_ts, end_ts, holder=holder)
    else:
        _check_master(salon, master, service)
        master = busy.lock_master(master)
    busy.ensure_offered(salon, master, start_ts, end_ts, holder=holder, exclude_booking=exclude_booking)
    return SlotHold.objects.create(
        salon=salon,
        master=master,
        service=service,
        customer=customer,
        holder=holder,
        start_ts=start_ts,
        end_ts=end_ts,
        expires_at=now + timedelta(minutes=salon.hold_minutes),
    )


def release_holds(*, holder: str) -> int:
    """The holder moved on (changed the time, left the flow): their slot is free at once."""
    deleted, _ = SlotHold.objects.filter(holder=holder).delete()
    return deleted


def purge_expired_holds(*, now: datetime | None = None) -> int:
    deleted, _ = SlotHold.objects.filter(expires_at__lt=(now or timezone.now()) - KEEP_EXPIRED).delete()
    return deleted
