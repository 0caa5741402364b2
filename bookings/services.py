"""The write path of bookings: create, reschedule, status transitions. Nothing else writes them."""

from __future__ import annotations

import logging
import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from salonbot import timebounds
from salonbot.errors import BookingConflict, InvalidInput, InvalidTransition, OutsideWorkingHours, SalonInactive
from salons.models import Customer, Master, MasterTimeOff, Salon, Service
from salons.services import consume_usage, upsert_customer

from . import availability, busy
from .models import (
    ACTIVE_STATUSES,
    ActorKind,
    Booking,
    BookingEvent,
    BookingEventKind,
    BookingStatus,
    SlotHold,
)
from .reminders import cancel_open_reminders, plan_new_reminders, plan_reminders
from .signals import booking_changed

logger = logging.getLogger(__name__)

EXCLUSION_CONSTRAINT = "booking_no_overlap_per_master"
CODE_ATTEMPTS = 5

# API.md: timestamps outside 2000–2100 (salonbot.timebounds), starts more than 24 h past or
# 2 years ahead are refused.
MAX_PAST = timedelta(hours=24)
MAX_AHEAD = timedelta(days=730)

# API action name → (model transition method, audit event)
TRANSITIONS = {
    "start": ("start", BookingEventKind.STARTED),
    "complete": ("complete", BookingEventKind.COMPLETED),
    "cancel": ("cancel", BookingEventKind.CANCELLED),
    "no_show": ("no_show", BookingEventKind.NO_SHOW),
}


def _actor_kind(actor, actor_kind: str | None) -> str:
    if actor is not None:
        return ActorKind.USER
    return actor_kind or ActorKind.SYSTEM


def _check_salon(actor, salon: Salon | None) -> Salon:
    if salon is None or (actor is not None and not Salon.objects.for_user(actor).filter(pk=salon.pk).exists()):
        raise InvalidInput("Unknown salon.", field="salon_id")
    if not salon.is_active:
        raise SalonInactive()
    return salon


def _check_service(salon: Salon, service: Service | None) -> None:
    if service is None:
        return
    if service.salon_id != salon.pk:
        raise InvalidInput("The service belongs to another salon.", field="service_id")
    if not service.is_active:
        raise InvalidInput("The service is not active.", field="service_id")


def _check_master(salon: Salon, master: Master, service: Service | None) -> None:
    if master.salon_id != salon.pk:
        raise InvalidInput("The master belongs to another salon.", field="master_id")
    if not master.is_active:
        raise InvalidInput("The master is not active.", field="master_id")
    if service is not None and not master.services.filter(pk=service.pk).exists():
        raise InvalidInput("The master does not perform this service.", field="master_id")


def _check_times(start_ts: datetime | None, end_ts: datetime | None, now: datetime) -> None:
    """Refuse timestamps no salon books, before any end is computed (year 9999 + 1 h overflows).

    `start_ts` None: only `end_ts` is new (a reschedule that changes the end alone).
    """
    for field, value in (("start_ts", start_ts), ("end_ts", end_ts)):
        if value is not None and not timebounds.is_within(value):
            raise InvalidInput(str(timebounds.OUT_OF_RANGE), field=field)
    if start_ts is None:
        return
    if start_ts < now - MAX_PAST:
        raise InvalidInput("The start is more than 24 hours in the past.", field="start_ts")
    if start_ts > now + MAX_AHEAD:
        raise InvalidInput("The start is more than 2 years ahead.", field="start_ts")


def _end_ts(start_ts: datetime, end_ts: datetime | None, service: Service | None) -> datetime:
    if end_ts is None:
        if service is None:
            raise InvalidInput("end_ts is required when no service is given.", field="end_ts")
        end_ts = start_ts + timedelta(minutes=service.duration_minutes)
    if end_ts <= start_ts:
        raise InvalidInput("end_ts must be after start_ts.", field="end_ts")
    return end_ts


def working_hours_problem(
    salon: Salon, master: Master, start_ts: datetime, end_ts: datetime, *, time_off: bool | None = None
) -> str | None:
    """Why [start_ts, end_ts) is off the master's hours (day off, outside the day, break, time off), or None.

    `time_off`: whether time off overlaps, when the caller already knows (`busy.ensure_free`).
    """
    zone = zoneinfo.ZoneInfo(salon.timezone)
    day = start_ts.astimezone(zone).date()
    window = availability.working_window(master.working_hours, salon.timezone, day)
    if window is None:
        return _("%(master)s does not work on %(day)s.") % {"master": master.name, "day": _weekday(day)}
    (work_start, work_end), breaks = window
    if start_ts < work_start or end_ts > work_end:
        return _("%(master)s works %(start)s–%(end)s on %(day)s.") % {
            "master": master.name,
            "start": f"{work_start.astimezone(zone):%H:%M}",
            "end": f"{work_end.astimezone(zone):%H:%M}",
            "day": _weekday(day),
        }
    for break_start, break_end in breaks:
        if break_start < end_ts and start_ts < break_end:
            return _("%(master)s has a break %(start)s–%(end)s.") % {
                "master": master.name,
                "start": f"{break_start.astimezone(zone):%H:%M}",
                "end": f"{break_end.astimezone(zone):%H:%M}",
            }
    if time_off is None:
        time_off = MasterTimeOff.objects.filter(master=master, start_ts__lt=end_ts, end_ts__gt=start_ts).exists()
    if time_off:
        return _("%(master)s has time off then.") % {"master": master.name}
    return None


def _weekday(day) -> str:
    return str(formats.date_format(day, "l"))


def _check_working_hours(salon, master, start_ts, end_ts, *, allow_outside_hours: bool, time_off: bool) -> bool:
    problem = working_hours_problem(salon, master, start_ts, end_ts, time_off=time_off)
    if problem and not allow_outside_hours:
        raise OutsideWorkingHours(problem)
    return problem is not None


def _record(
    booking: Booking, *, actor, actor_kind, event, from_status="", changes=None, reason="", at=None
) -> BookingEvent:
    return BookingEvent.objects.create(
        created_at=at or timezone.now(),
        salon_id=booking.salon_id,
        booking=booking,
        actor=actor,
        actor_kind=_actor_kind(actor, actor_kind),
        event=event,
        from_status=from_status,
        to_status=booking.status,
        changes=changes or {},
        reason=reason,
    )


def _announce(booking: Booking, event: str, *, recorded: bool = False) -> None:
    """After commit, tell the higher apps; `recorded`: it happened earlier (`at`), nobody is to be told now."""
    booking_id, salon_id = booking.pk, booking.salon_id
    transaction.on_commit(
        lambda: booking_changed.send(
            sender=Booking, booking_id=booking_id, salon_id=salon_id, event=event, recorded=recorded
        )
    )


def _save_guarded(booking: Booking, **save_kwargs) -> None:
    """Save in a savepoint; the exclusion constraint's refusal becomes the same 409 as the check."""
    try:
        with transaction.atomic():
            booking.save(**save_kwargs)
    except IntegrityError as exc:
        if EXCLUSION_CONSTRAINT in str(exc):
            raise BookingConflict() from exc
        raise


def create_booking(
    *,
    actor,
    salon: Salon | Any,
    start_ts: datetime,
    source: str,
    master: Master | Any | None = None,
    service: Service | Any | None = None,
    end_ts: datetime | None = None,
    customer: Customer | None = None,
    customer_name: str = "",
    customer_phone: str = "",
    notes: str = "",
    actor_kind: str | None = None,
    enforce_availability: bool = False,
    allow_outside_hours: bool = True,
    holder: str = "",
    at: datetime | None = None,
) -> Booking:
    """Book `master` (or any free master) for `service` at `start_ts`: the only way a booking comes to exist.

    `salon`, `master` and `service` are objects or ids; they are read again (the master's row
    locked) in the transaction. `actor` is the user acting, or None for the bot/system
    (`actor_kind`). With `enforce_availability` the exact interval must also be an offered slot
    (working hours, notice, horizon) — the bot books only what it offered. Staff may book outside
    the master's hours; the booking is flagged, and with `allow_outside_hours=False` (the admin,
    before the owner confirms) it is refused with `OutsideWorkingHours` instead.

    Someone else's live hold on the interval is a conflict like a booking; `holder`'s own hold
    (the bot's confirm step) is not, and is turned into this booking in the same transaction.

    `at` is when the booking is made, for data recorded after the fact (an import, the demo
    salon): the time rules, the audit row and the reminders are judged as of then.

    No savepoint on the way: the exclusion constraint's refusal fails the whole transaction and
    becomes the same 409 as the check; a clash of the random booking code (rare) runs it again.
    """
    kwargs = locals()
    for attempt in range(CODE_ATTEMPTS):
        code = Booking._meta.get_field("code").default()
        try:
            with transaction.atomic():
                return _create_booking(**kwargs, code=code)
        except IntegrityError as exc:
            if EXCLUSION_CONSTRAINT in str(exc):
                raise BookingConflict() from exc
            if attempt == CODE_ATTEMPTS - 1 or not Booking.objects.filter(code=code).exists():
                raise
    raise AssertionError("unreachable")


def _create_booking(
    *,
    actor,
    salon,
    start_ts,
    source,
    master,
    service,
    end_ts,
    customer,
    customer_name,
    customer_phone,
    notes,
    actor_kind,
    enforce_availability,
    allow_outside_hours,
    holder,
    at,
    code,
) -> Booking:
    if master is None and service is None:
        raise InvalidInput("Give master_id, or service_id to let the salon pick a master.", field="master_id")
    salon, master, service = _rows_for_create(actor, _pk(salon), _pk(master), _pk(service), start_ts, holder)
    _check_times(start_ts, end_ts, at or timezone.now())
    end_ts = _end_ts(start_ts, end_ts, service)

    outside = False
    if master is None:
        master = busy.pick_free_master(salon, service, start_ts, end_ts, holder=holder)
    else:
        time_off = busy.ensure_free(master, start_ts, end_ts, holder=holder)
        outside = _check_working_hours(
            salon, master, start_ts, end_ts, allow_outside_hours=allow_outside_hours, time_off=time_off
        )
    if enforce_availability:
        busy.ensure_offered(salon, master, start_ts, end_ts, holder=holder)

    if customer is None and customer_phone:
        customer = upsert_customer(salon=salon, phone=customer_phone, name=customer_name)
    if customer is not None:
        customer_name = customer_name or customer.name
        customer_phone = customer.phone

    booking = Booking(
        salon=salon,
        master=master,
        service=service,
        customer=customer,
        customer_name=customer_name,
        customer_phone=customer_phone,
        start_ts=start_ts,
        end_ts=end_ts,
        price=service.price if service else None,
        source=source,
        notes=notes,
        outside_working_hours=outside,
        created_by=actor,
        code=code,
    )
    booking.save(force_insert=True)
    _record(
        booking,
        actor=actor,
        actor_kind=actor_kind,
        event=BookingEventKind.CREATED,
        changes={"start_ts": start_ts.isoformat(), "end_ts": end_ts.isoformat(), "master_id": str(master.pk)},
        at=at,
    )
    plan_new_reminders(booking, salon.reminder_offsets_minutes, now=at)
    _release(holder)
    # Last: the counter's row is the one every booking of the salon locks, so it is held for the
    # commit alone, not for the statements before it (a refusal rolls them back all the same).
    consume_usage(salon=salon, kind="bookings", now=at)
    _announce(booking, BookingEventKind.CREATED, recorded=at is not None)
    return booking


def _pk(value):
    return getattr(value, "pk", value)


def _rows_for_create(actor, salon_id, master_id, service_id, start_ts: datetime, holder: str):
    """(salon, master, service) checked for the actor, the master's row locked; master None: pick one.

    The happy path is one statement; only a refusal reads the rows one by one to say which is wrong.
    """
    if master_id is None and holder:
        master_id = _held_master_id(salon_id, service_id, start_ts, holder)  # "any master": the one kept for them
    if master_id is not None:
        rows = busy.lock_booking_rows(actor=actor, salon_id=salon_id, master_id=master_id, service_id=service_id)
        if rows is not None:
            salon, master, service = rows
            _check_active(salon, service)
            _check_master(salon, master, None)
            return salon, master, service
    salon = _check_salon(actor, Salon.objects.filter(pk=salon_id).first())
    service = _service_or_refuse(service_id)
    _check_service(salon, service)
    if master_id is None:
        return salon, None, service
    master = Master.objects.filter(pk=master_id).first()
    if master is None:
        raise InvalidInput("Unknown master.", field="master_id")
    _check_master(salon, master, service)
    raise InvalidInput("Unknown master.", field="master_id")  # vanished between the two reads


def _service_or_refuse(service_id) -> Service | None:
    if service_id is None:
        return None
    service = Service.objects.filter(pk=service_id).first()
    if service is None:
        raise InvalidInput("Unknown service.", field="service_id")
    return service


def _check_active(salon: Salon, service: Service | None) -> None:
    if not salon.is_active:
        raise SalonInactive()
    if service is not None and not service.is_active:
        raise InvalidInput("The service is not active.", field="service_id")


def _held_master_id(salon_id, service_id, start_ts: datetime, holder: str):
    hold = SlotHold.objects.live().filter(salon_id=salon_id, holder=holder, service_id=service_id, start_ts=start_ts)
    return hold.values_list("master_id", flat=True).first()


def _release(holder: str) -> None:
    if holder:
        SlotHold.objects.filter(holder=holder).delete()


def _lock(booking: Booking) -> Booking:
    # Only the booking row: locking the joined salon too would deadlock against a concurrent
    # booking of that salon, whose usage counter update takes a key-share lock on it.
    return Booking.objects.select_for_update(of=("self",)).select_related("salon").get(pk=booking.pk)


@transaction.atomic
def reschedule_booking(
    *,
    actor,
    booking: Booking,
    start_ts: datetime | None = None,
    end_ts: datetime | None = None,
    master: Master | None = None,
    service: Service | None = None,
    notes: str | None = None,
    customer_name: str | None = None,
    actor_kind: str | None = None,
    allow_outside_hours: bool = True,
    holder: str = "",
) -> Booking:
    """Move a CONFIRMED booking in time, to another master or service, with every create-time check.

    A new start alone keeps the booking's length unless the service changes too (then the new
    service's duration applies); an explicit `end_ts` always wins. `holder`'s own hold on the new
    time (the bot's confirm step) is no conflict and ends with the move.
    """
    booking = _lock(booking)
    if booking.status != BookingStatus.CONFIRMED:
        raise _invalid_transition(booking, "Only a confirmed booking can be changed.")
    salon = _check_salon(actor, booking.salon)
    new_service = service if service is not None else booking.service
    new_master = master if master is not None else booking.master
    new_start = start_ts or booking.start_ts
    timing_changed = any(v is not None for v in (start_ts, end_ts, master, service))
    changes: dict[str, Any] = {}
    if timing_changed:
        _check_service(salon, new_service)
        if new_master is None:
            raise InvalidInput("The booking has no master; give master_id.", field="master_id")
        _check_master(salon, new_master, new_service)
        moved = start_ts is not None and start_ts != booking.start_ts
        _check_times(start_ts if moved else None, end_ts, timezone.now())
        if end_ts is None and service is not None and new_service is not None:
            new_end = new_start + timedelta(minutes=new_service.duration_minutes)
        elif end_ts is None:
            new_end = new_start + (booking.end_ts - booking.start_ts)
        else:
            new_end = end_ts
        new_end = _end_ts(new_start, new_end, new_service)
        time_off = busy.ensure_free(
            busy.lock_master(new_master), new_start, new_end, holder=holder, exclude_booking=booking.pk
        )
        outside = _check_working_hours(
            salon, new_master, new_start, new_end, allow_outside_hours=allow_outside_hours, time_off=time_off
        )
        for field, old, new in (
            ("start_ts", booking.start_ts, new_start),
            ("end_ts", booking.end_ts, new_end),
            ("master_id", booking.master_id, new_master.pk),
            ("service_id", booking.service_id, new_service.pk if new_service else None),
        ):
            if old != new:
                changes[field] = {"old": _plain(old), "new": _plain(new)}
        booking.start_ts, booking.end_ts, booking.master = new_start, new_end, new_master
        booking.outside_working_hours = outside
        if new_service is not None and new_service.pk != booking.service_id:
            booking.service, booking.price = new_service, new_service.price
    for field, value in (("notes", notes), ("customer_name", customer_name)):
        if value is not None and value != getattr(booking, field):
            changes[field] = {"old": getattr(booking, field), "new": value}
            setattr(booking, field, value)
    if not changes:
        return booking
    _save_guarded(booking)
    _record(
        booking,
        actor=actor,
        actor_kind=actor_kind,
        event=BookingEventKind.RESCHEDULED,
        from_status=booking.status,
        changes=changes,
    )
    if "start_ts" in changes:
        plan_reminders(booking, salon.reminder_offsets_minutes)
    _release(holder)
    _announce(booking, BookingEventKind.RESCHEDULED)
    return booking


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if value is not None else None


def allowed_actions(booking: Booking) -> list[str]:
    return [name for name, (method, _event) in TRANSITIONS.items() if can_proceed(getattr(booking, method))]


def _invalid_transition(booking: Booking, detail: str) -> InvalidTransition:
    return InvalidTransition(detail, extra={"status": booking.status, "allowed_actions": allowed_actions(booking)})


@transaction.atomic
def transition_booking(
    *,
    actor,
    booking: Booking,
    action: str,
    reason: str = "",
    actor_kind: str | None = None,
    at: datetime | None = None,
) -> Booking:
    """Apply a status change (start, complete, cancel, no_show) under a row lock, with its audit row.

    `at`: when it happened, for data recorded after the fact (see `create_booking`).
    """
    if action not in TRANSITIONS:
        raise InvalidInput(f"Unknown action '{action}'.")
    method_name, event = TRANSITIONS[action]
    booking = _lock(booking)
    method = getattr(booking, method_name)
    if not can_proceed(method):
        if action == "no_show" and booking.status == BookingStatus.CONFIRMED:
            detail = "A booking can be marked no-show only after its start time."
        else:
            detail = f"Cannot {action.replace('_', '-')} a booking that is {booking.status}."
        raise _invalid_transition(booking, detail)
    from_status = booking.status
    if action == "cancel":
        method(reason=reason)
    else:
        method()
    booking.save()
    _record(booking, actor=actor, actor_kind=actor_kind, event=event, from_status=from_status, reason=reason, at=at)
    if booking.status not in ACTIVE_STATUSES:
        cancel_open_reminders(booking)
    _announce(booking, event)
    return booking
