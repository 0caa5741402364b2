"""Loads what the availability engine needs in a constant number of queries, then calls it.

One master-day or a whole salon over a date range costs the same three queries: masters,
active bookings in the window, time off in the window. No query per day, master or booking.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from salons.models import Master, MasterTimeOff, Salon, Service

from . import availability
from .models import Booking


def policy_for(salon: Salon) -> availability.SlotPolicy:
    return availability.SlotPolicy(
        timezone=salon.timezone,
        slot_interval_minutes=salon.slot_interval_minutes,
        min_notice_minutes=salon.min_notice_minutes,
        max_advance_days=salon.max_advance_days,
    )


def _window(salon: Salon, first: date, last: date) -> tuple[datetime, datetime]:
    """UTC bounds that cover every local day in [first, last], with a day's margin for DST and long jobs."""
    zone = zoneinfo.ZoneInfo(salon.timezone)
    return (
        datetime.combine(first - timedelta(days=1), time.min, tzinfo=zone),
        datetime.combine(last + timedelta(days=2), time.min, tzinfo=zone),
    )


def busy_by_master(master_ids: list, start: datetime, end: datetime) -> dict:
    """Active bookings and time off of these masters overlapping [start, end): two queries."""
    busy: dict = defaultdict(list)
    bookings = (
        Booking.objects.filter(master_id__in=master_ids)
        .active()
        .overlapping(start, end)
        .values_list("master_id", "start_ts", "end_ts")
    )
    time_off = MasterTimeOff.objects.filter(master_id__in=master_ids, start_ts__lt=end, end_ts__gt=start).values_list(
        "master_id", "start_ts", "end_ts"
    )
    for master_id, s, e in [*bookings, *time_off]:
        busy[master_id].append((s, e))
    return busy


def master_slots(*, master: Master, day: date, duration_minutes: int, now: datetime | None = None) -> list[datetime]:
    """Free starts of one master on a salon-local day (the master's salon must be loaded or cheap)."""
    salon = master.salon
    busy = busy_by_master([master.pk], *_window(salon, day, day))
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
    *, salon: Salon, service: Service, days: list[date], master: Master | None = None, now: datetime | None = None
) -> dict[date, list[tuple[datetime, list]]]:
    """For each day, every free start with the ids of the masters free then ("any master")."""
    masters = eligible_masters(salon, service, master)
    if not masters or not days:
        return {day: [] for day in days}
    busy = busy_by_master([m.pk for m in masters], *_window(salon, min(days), max(days)))
    policy, now = policy_for(salon), now or timezone.now()
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
    busy = busy_by_master([m.pk for m in masters], *_window(salon, start, last))
    return availability.first_days_with_slots(
        policy=policy,
        masters={m.pk: (m.working_hours, busy[m.pk]) for m in masters},
        start=start,
        duration_minutes=service.duration_minutes,
        now=now,
        limit=limit,
    )
