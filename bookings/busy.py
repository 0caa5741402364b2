"""The guards that keep a master's time single-booked, run under the master's row lock.

Creating a booking, moving one and holding a slot all lock the master's row first (masters in
primary-key order when any may do), then ask `slots.busy_by_master` — the one place busy time is
computed — whether the interval is free. On PostgreSQL the exclusion constraint backs the
bookings part; a live hold has no constraint (it expires by its timestamp, which no index can
see), so this lock is its guard, the same one every writer of that master's time takes.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salonbot.errors import BookingConflict, InvalidInput
from salonbot.tenancy import TenantQuerySet
from salons.models import Master, Salon, Service

from . import availability
from .models import Booking
from .slots import busy_by_master, busy_kinds, busy_window, policy_for

HELD = _("That time is held for a customer who is confirming it in a chat; it frees up if they do not.")


def lock_master(master: Master) -> Master:
    return Master.objects.select_for_update().get(pk=master.pk)


def ensure_free(
    master: Master, start_ts: datetime, end_ts: datetime, *, holder: str = "", exclude_booking=None
) -> bool:
    """409 when an active booking or someone else's live hold overlaps; else whether time off does.

    Time off is the caller's rule (staff may book over it, flagged). One query.
    """
    kinds = busy_kinds(master.pk, start_ts, end_ts, holder=holder, exclude_booking=exclude_booking)
    if "booking" in kinds:
        raise BookingConflict()
    if "hold" in kinds:
        raise BookingConflict(HELD)
    return "time_off" in kinds


def pick_free_master(salon: Salon, service: Service, start_ts: datetime, end_ts: datetime, *, holder: str = ""):
    """The free master (working then, nothing busy) who performs `service`, with the fewest bookings that day.

    Candidates are locked in primary-key order, so two concurrent "any master" requests for
    the same service wait for each other instead of both choosing the same master.
    """
    candidate_ids = list(
        Master.objects.filter(salon=salon, is_active=True, services=service).order_by("pk").values_list("pk", flat=True)
    )
    masters = list(Master.objects.select_for_update().filter(pk__in=candidate_ids).order_by("pk"))
    if not masters:
        raise InvalidInput("No active master performs this service.", field="service_id")
    ids = [m.pk for m in masters]
    busy = busy_by_master(ids, start_ts, end_ts, holder=holder)
    zone = zoneinfo.ZoneInfo(salon.timezone)
    local_day = start_ts.astimezone(zone).date()
    day_start = datetime.combine(local_day, time.min, tzinfo=zone)
    day_end = datetime.combine(local_day + timedelta(days=1), time.min, tzinfo=zone)
    load = dict(
        Booking.objects.filter(master_id__in=ids, start_ts__gte=day_start, start_ts__lt=day_end)
        .active()
        .values("master_id")
        .annotate(n=Count("pk"))
        .values_list("master_id", "n")
    )
    free = [
        m
        for m in masters
        if not busy[m.pk] and availability.within_working_hours(m.working_hours, salon.timezone, start_ts, end_ts)
    ]
    if not free:
        raise BookingConflict("No master who performs this service is free at that time.")
    return min(free, key=lambda m: (load.get(m.pk, 0), m.name, str(m.pk)))


def ensure_offered(
    salon: Salon, master: Master, start_ts: datetime, end_ts: datetime, *, holder: str = "", exclude_booking=None
) -> None:
    """The exact interval must be a start the bot could have offered (hours, notice, horizon, busy)."""
    day = start_ts.astimezone(zoneinfo.ZoneInfo(salon.timezone)).date()
    busy = busy_by_master([master.pk], *busy_window(salon, day, day), holder=holder, exclude_booking=exclude_booking)
    duration = int((end_ts - start_ts).total_seconds() // 60)
    starts = availability.available_starts(
        policy=policy_for(salon),
        working_hours=master.working_hours,
        busy=busy[master.pk],
        day=day,
        duration_minutes=duration,
        now=timezone.now(),
    )
    if start_ts not in starts:
        raise BookingConflict("That time is no longer available.")


class _MasterServiceQuerySet(TenantQuerySet):
    salon_path = "master__salon"


def lock_booking_rows(*, actor, salon_id, master_id, service_id) -> tuple[Salon, Master, Service | None] | None:
    """The salon, the master (row locked) and the service of a create, in one statement; None when
    the actor may not see them together or the master does not perform the service.

    Reads through the master–service link, so tenancy and eligibility are the join's conditions;
    the caller finds out which failed only on that refused path.
    """
    if service_id is None:
        rows = Master.objects.select_related("salon").filter(pk=master_id, salon_id=salon_id)
        if actor is not None:
            rows = rows.for_user(actor)
        master = rows.select_for_update(of=("self",)).first()
        return (master.salon, master, None) if master is not None else None
    links = _MasterServiceQuerySet(model=Master.services.through).filter(
        master_id=master_id, service_id=service_id, master__salon_id=salon_id, service__salon_id=salon_id
    )
    if actor is not None:
        links = links.for_user(actor)
    link = links.select_related("master__salon", "service").select_for_update(of=("master",)).first()
    return (link.master.salon, link.master, link.service) if link is not None else None
