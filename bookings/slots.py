"""Loads what the availability engine needs in a constant number of queries, then calls it.

One master-day or a whole salon over a date range costs the same two queries: the masters, and
their busy time in the window (bookings, live holds of others, time off; `busy_by_master`). No
query per day, master or booking. A range is clipped to the booking horizon before anything is
loaded: days outside it are empty, never computed.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from django.db import connections
from django.db.models import CharField, FloatField, Func, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salonbot.errors import InvalidInput
from salons.models import Master, MasterTimeOff, Salon, Service

from . import availability
from .models import Booking, SlotHold

NO_SUCH_MASTER = _("No such master in this salon.")


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
    parts = _busy_parts(master_ids, start, end, holder=holder, exclude_booking=exclude_booking, now=now)
    if not with_time_off:
        parts.pop("time_off")
    as_epoch = connections[parts["booking"].db].vendor == "postgresql"
    first, *rest = [_interval_columns(qs.order_by(), as_epoch) for qs in parts.values()]
    busy: dict = defaultdict(list)
    if as_epoch:
        stamp = datetime.fromtimestamp
        for master_id, s, e in first.union(*rest, all=True):
            busy[master_id].append((stamp(s, UTC), stamp(e, UTC)))
    else:
        for master_id, s, e in first.union(*rest, all=True):
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


class EpochSeconds(Func):
    """A timestamptz as float seconds since 1970: psycopg reads a float in C, a timestamptz through
    Django's Python loader at about 10 µs a value (a busy salon's month is 4,000 of them).

    Exact after `datetime.fromtimestamp`: below 2**33 s (the year 2242) a double's step is under
    a microsecond, and bookings are refused outside 2000-2100.
    """

    template = "date_part('epoch', %(expressions)s)"
    output_field = FloatField()


def _interval_columns(queryset, as_epoch: bool):
    if not as_epoch:
        return queryset.values_list("master_id", "start_ts", "end_ts")
    return queryset.annotate(busy_start=EpochSeconds("start_ts"), busy_end=EpochSeconds("end_ts")).values_list(
        "master_id", "busy_start", "busy_end"
    )


def horizon(salon: Salon, now: datetime) -> tuple[date, date]:
    """The salon-local days on which a start may be offered (today through max_advance_days)."""
    return availability.booking_horizon(policy_for(salon), now)


def date_range(first: date, last: date) -> list[date]:
    """Every date from `first` to `last`, both included."""
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def master_slots(*, master: Master, day: date, duration_minutes: int, now: datetime | None = None) -> list[datetime]:
    """Free starts of one master on a salon-local day (the master's salon must be loaded or cheap)."""
    salon, now = master.salon, now or timezone.now()
    first, last = horizon(salon, now)
    if not first <= day <= last:
        return []  # never computed: nothing is offered there, and year 1 or 9999 overflows the window
    busy = busy_by_master([master.pk], *busy_window(salon, day, day), now=now)
    return availability.available_starts(
        policy=policy_for(salon),
        working_hours=master.working_hours,
        busy=busy[master.pk],
        day=day,
        duration_minutes=duration_minutes,
        now=now,
    )


def eligible_masters(salon: Salon, service: Service, master: Master | UUID | str | None = None) -> list[Master]:
    """Active masters of the salon who perform the service (or just `master`, a Master or an id, if eligible).

    An id that is not this salon's master (an API's `master_id`) is a 400, checked only when
    nobody is eligible, so the answer costs one query whenever there is something to compute.
    """
    master_id = master.pk if isinstance(master, Master) else master
    masters = Master.objects.filter(salon=salon, is_active=True, services=service).order_by("name", "pk")
    if master_id is not None:
        masters = masters.filter(pk=master_id)
    found = list(masters.only("id", "name", "working_hours", "salon_id"))
    unvouched = master_id is not None and not isinstance(master, Master)
    if not found and unvouched and not Master.objects.filter(salon=salon, pk=master_id).exists():
        raise InvalidInput(NO_SUCH_MASTER, field="master_id")
    return found


def _masters_and_busy(
    salon: Salon,
    service: Service,
    first: date,
    last: date,
    *,
    master,
    now: datetime,
    holder: str,
    exclude_booking,
) -> tuple[list[Master], dict]:
    """The eligible masters and their busy time over local days [first, last]: two queries.

    The one loader behind every "which starts are free" read (the API's day and range forms,
    the bot's days and times, the waiting list); callers clip [first, last] to the horizon first.
    """
    masters = eligible_masters(salon, service, master)
    if not masters:
        return [], {}
    busy = busy_by_master(
        [m.pk for m in masters],
        *busy_window(salon, first, last),
        holder=holder,
        exclude_booking=exclude_booking,
        now=now,
    )
    return masters, busy


def salon_slots(
    *,
    salon: Salon,
    service: Service,
    days: list[date],
    master: Master | UUID | str | None = None,
    now: datetime | None = None,
    holder: str = "",
    exclude_booking=None,
) -> dict[date, list[tuple[datetime, list]]]:
    """For each day, every free start with the ids of the masters free then ("any master").

    One day or a month costs the same two queries. Days outside the booking horizon are
    listed empty without being computed. `holder` sees its own hold as free;
    `exclude_booking` (a booking being moved) frees its time.
    """
    now = now or timezone.now()
    policy = policy_for(salon)
    today, last_day = availability.booking_horizon(policy, now)
    result: dict[date, list[tuple[datetime, list]]] = {day: [] for day in days}
    bookable = [day for day in result if today <= day <= last_day]
    if not bookable:
        return result
    masters, busy = _masters_and_busy(
        salon,
        service,
        min(bookable),
        max(bookable),
        master=master,
        now=now,
        holder=holder,
        exclude_booking=exclude_booking,
    )
    per_master = {
        m.pk: availability.available_starts_range(
            policy=policy,
            working_hours=m.working_hours,
            busy=busy[m.pk],
            days=bookable,
            duration_minutes=service.duration_minutes,
            now=now,
        )
        for m in masters
    }
    for day in bookable:
        result[day] = availability.merge_master_slots({pk: by_day[day] for pk, by_day in per_master.items()})
    return result


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
    """The next `limit` salon-local days (up to the booking horizon) on which a slot is free.

    The same loader and engine as `salon_slots`, so a day listed here is a day whose slots
    `salon_slots` gives non-empty; each day stops at its first free start.
    """
    now = now or timezone.now()
    today, last = horizon(salon, now)
    start = max(start or today, today)
    if start > last or limit <= 0:
        return []
    masters, busy = _masters_and_busy(
        salon, service, start, last, master=master, now=now, holder=holder, exclude_booking=exclude_booking
    )
    return availability.first_days_with_slots(
        policy=policy_for(salon),
        masters={m.pk: (m.working_hours, busy[m.pk]) for m in masters},
        start=start,
        duration_minutes=service.duration_minutes,
        now=now,
        limit=limit,
    )
