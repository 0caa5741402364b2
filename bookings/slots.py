"""Loads what the availability engine needs in a constant number of queries, then calls it.

One master-day or a whole salon over a date range costs the same two queries: the masters, and
their busy time in the window (bookings, live holds of others, time off; `busy_by_master`). No
query per day, master or booking.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db.models import CharField, Value
from django.utils import timezone

from salons.models import Master, MasterTimeOff, Salon, Service

from . import availability
from .models import Booking, SlotHold


def policy_for(salon: Salon) -> availability.SlotPolicy:
    return availability.SlotPolicy(
        timezone=salon.timezone,
        slot_interval_minutes=salon.slot_interval_minutes,
        min_notice_minutes=salon.min_notice_minutes,
        max_advance_days=salon.max_advance_days,
    )


def busy_window(salon: Salon, first: date, last: date) -> tuple[datetime, datetime]:
    """UTC bounds that cover every local day in [first, last], with a day's margin for DST and long jobs."""
    zone = zoneinfo.ZoneInfo(salon.timezone)
    return (
        datetime.combine(first - timedelta(days=1), time.min, tzinfo=zone),
        datetime.combine(last + timedelta(days=2), time.min, tzinfo=zone),
    )


def busy_by_master(
    master_ids: list,
    start: datetime,
    end: datetime,
    *,
    holder: str = "",
    exclude_booking=None,
    with_time_off: bool = True,
    now: datetime | None = None,
) -> dict:
    """What keeps these masters busy in [start, end), as {master_id: [(start, end), ...]}.

    The one place busy time is computed (slots, create, any master, reschedule): active
    bookings (but `exclude_booking`, the one being moved), the live holds of anyone but
    `holder`, and time off (`with_time_off`; staff may book over it, flagged). One query.
    """
    columns = ("master_id", "start_ts", "end_ts")
    parts = _busy_parts(master_ids, start, end, holder=holder, exclude_booking=exclude_booking, now=now)
    if not with_time_off:
        parts.pop("time_off")
    first, *rest = (qs.order_by().values_list(*columns) for qs in parts.values())
    busy_rows = first.union(*rest, all=True)
    busy: dict = defaultdict(list)
    for master_id, s, e in busy_rows:
        busy[master_id].append((s, e))
    return busy


def _busy_parts(master_ids: list, start: datetime, end: datetime, *, holder, exclude_booking, now) -> dict:
    """What busy time is, kind by kind: active bookings, others' live holds, time off."""
    bookings = Booking.objects.filter(master_id__in=master_ids).active().overlapping(start, end)
    if exclude_booking is not None:
        bookings = bookings.exclude(pk=exclude_booking)
    holds = SlotHold.objects.live(now).filter(master_id__in=master_ids, start_ts__lt=end, end_ts__gt=start)
    if holder:
        holds = holds.exclude(holder=holder)
    time_off = MasterTimeOff.objects.filter(master_id__in=master_ids, start_ts__lt=end, end_ts__gt=start)
    return {"booking": bookings, "hold": holds, "time_off": time_off}


def busy_kinds(master_id, start: datetime, end: datetime, *, holder: str = "", exclude_booking=None) -> set[str]:
    """Which kinds of busy time ("booking", "hold", "time_off") overlap [start, end) for one master. One query."""
    parts = _busy_parts([master_id], start, end, holder=holder, exclude_booking=exclude_booking, now=None)
    first, *rest = (
        qs.order_by().annotate(kind=Value(kind, output_field=CharField())).values_list("kind")
        for kind, qs in parts.items()
    )
    return {kind for (kind,) in first.union(*rest, all=True)}


def master_slots(*, master: Master, day: date, duration_minutes: int, now: datetime | None = None) -> list[datetime]:
    """Free starts of one master on a salon-local day (the master's salon must be loaded or cheap)."""
    salon = master.salon
    busy = busy_by_master([master.pk], *busy_window(salon, day, day), now=now)
    return availability.available_starts(
        policy=policy_for(salon),
        working_hours=master.working_hours,
        busy=busy[master.pk],
        day=day,
        duration_minutes=duration_minutes,
        now=now or timezone.now(),
    )


def eligible_masters(salon: Salon, service: Service, master: Master | None = None) -> list[Master]:
    """Active masters of the salon who perform the service (or just `master`, if given and eligible)."""
    masters = Master.objects.filter(salon=salon, is_active=True, services=service).order_by("name", "pk")
    if master is not None:
        masters = masters.filter(pk=master.pk)
    return list(masters.only("id", "name", "working_hours", "salon_id"))


def salon_slots(
    *,
    salon: Salon,
    service: Service,
    days: list[date],
    master: Master | None = None,
    now: datetime | None = None,
    holder: str = "",
    exclude_booking=None,
) -> dict[date, list[tuple[datetime, list]]]:
    """For each day, every free start with the ids of the masters free then ("any master").

    `holder` sees its own hold as free; `exclude_booking` (a booking being moved) frees its time.
    """
    masters = eligible_masters(salon, service, master)
    if not masters or not days:
        return {day: [] for day in days}
    policy, now = policy_for(salon), now or timezone.now()
    busy = busy_by_master(
        [m.pk for m in masters],
        *busy_window(salon, min(days), max(days)),
        holder=holder,
        exclude_booking=exclude_booking,
        now=now,
    )
    per_master = {
        m.pk: availability.available_starts_range(
            policy=policy,
            working_hours=m.working_hours,
            busy=busy[m.pk],
            days=days,
            duration_minutes=service.duration_minutes,
            now=now,
        )
        for m in masters
    }
    return {
        day: availability.merge_master_slots({pk: by_day[day] for pk, by_day in per_master.items()}) for day in days
    }


def days_with_slots(
    *,
    salon: Salon,
    service: Service,
    start: date | None = None,
    limit: int = 7,
    master: Master | None = None,
    now: datetime | None = None,
    holder: str = "",
    exclude_booking=None,
) -> list[date]:
    """The next `limit` salon-local days (up to the booking horizon) on which a slot is free."""
    now = now or timezone.now()
    policy = policy_for(salon)
    today = now.astimezone(zoneinfo.ZoneInfo(salon.timezone)).date()
    start = max(start or today, today)
    last = today + timedelta(days=salon.max_advance_days)
    masters = eligible_masters(salon, service, master)
    if not masters or start > last:
        return []
    busy = busy_by_master(
        [m.pk for m in masters],
        *busy_window(salon, start, last),
        holder=holder,
        exclude_booking=exclude_booking,
        now=now,
    )
    return availability.first_days_with_slots(
        policy=policy,
        masters={m.pk: (m.working_hours, busy[m.pk]) for m in masters},
        start=start,
        duration_minutes=service.duration_minutes,
        now=now,
        limit=limit,
    )
