"""The waiting list: customers who want a day that is full, offered freed time in join order.

`join_waitlist` adds a customer for a day (and optionally a part of it and a master). When a
cancellation, no-show or reschedule frees a master's time (`freed_time`), `offers_for` picks the
waiting entries it fits, in the order they joined, each with the first start that suits them; the
bot sends the offers (messaging owns WhatsApp). The first customer to confirm books the time
through `create_booking` (`claim_offer`), under the same lock and guard as every booking: the
others get 409 and keep their place. Entries of a day that has passed expire.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from salonbot.errors import DomainError, InvalidInput
from salons.models import Customer, Master, Salon, Service

from .models import (
    ActorKind,
    Booking,
    BookingEvent,
    BookingEventKind,
    BookingSource,
    DayPart,
    WaitlistEntry,
    WaitlistStatus,
)
from .services import _check_master, _check_service, create_booking
from .slots import salon_slots

MAX_WAITING_PER_CUSTOMER = 5
# Offers per freed interval: the first to confirm wins, so a few more than one keep it likely
# taken, without writing to everyone on a popular day.
OFFERS_PER_FREED_TIME = 10
# Where each part of the day starts and ends, in salon wall time (the bot's words too).
PART_BOUNDS = {
    DayPart.MORNING: (time(0), time(12)),
    DayPart.AFTERNOON: (time(12), time(17)),
    DayPart.EVENING: (time(17), time.max),
}


class WaitlistEntryClosed(DomainError):
    code = "waitlist_entry_closed"
    status = 409
    default_detail = "This waiting-list entry is no longer waiting."


def part_of(moment: datetime, zone: str) -> str:
    wall = moment.astimezone(zoneinfo.ZoneInfo(zone)).time()
    return next(part for part, (start, end) in PART_BOUNDS.items() if start <= wall and (wall < end or end == time.max))


def _local_today(salon: Salon, now: datetime | None) -> date:
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(salon.timezone)).date()


@transaction.atomic
def join_waitlist(
    *,
    salon: Salon,
    customer: Customer,
    service: Service,
    day: date,
    part: str = "",
    master: Master | None = None,
    now: datetime | None = None,
) -> WaitlistEntry:
    """Put the customer on the list for `day` (a second identical request returns the first entry)."""
    _check_service(salon, service)
    if master is not None:
        _check_master(salon, master, service)
    if customer.salon_id != salon.pk:
        raise InvalidInput("The customer belongs to another salon.", field="customer_id")
    if part and part not in DayPart.values:
        raise InvalidInput(f"Part of the day must be one of {', '.join(DayPart.values)}.", field="part")
    today = _local_today(salon, now)
    if not today <= day <= today + timedelta(days=salon.max_advance_days):
        raise InvalidInput(_("Pick a day from today to the salon's booking horizon."), field="day")
    # The customer's row serialises their joins: the duplicate check and the cap hold under races.
    Customer.objects.select_for_update().get(pk=customer.pk)
    waiting = WaitlistEntry.objects.filter(customer=customer, status=WaitlistStatus.WAITING, day__gte=today)
    same = waiting.filter(service=service, day=day, part=part, master=master).first()
    if same is not None:
        return same
    if waiting.count() >= MAX_WAITING_PER_CUSTOMER:
        raise InvalidInput(
            _("You are already waiting for %(count)d times; that is the most.") % {"count": MAX_WAITING_PER_CUSTOMER},
            field="day",
        )
    return WaitlistEntry.objects.create(
        salon=salon, customer=customer, service=service, day=day, part=part, master=master
    )


@transaction.atomic
def remove_from_waitlist(*, entry: WaitlistEntry) -> WaitlistEntry:
    """The owner (or the customer) takes the entry off the list; a booked one stays booked."""
    updated = WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistStatus.WAITING).update(
        status=WaitlistStatus.REMOVED, updated_at=timezone.now()
    )
    entry.refresh_from_db()
    if not updated and entry.status != WaitlistStatus.REMOVED:
        raise WaitlistEntryClosed()
    return entry


def expire_waitlist(*, now: datetime | None = None) -> int:
    """Entries whose day has passed (in their salon's zone) leave the list; returns how many."""
    now = now or timezone.now()
    expired = 0
    zones = WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING).values_list("salon__timezone", flat=True)
    for zone in set(zones):
        today = now.astimezone(zoneinfo.ZoneInfo(zone)).date()
        expired += WaitlistEntry.objects.filter(
            status=WaitlistStatus.WAITING, salon__timezone=zone, day__lt=today
        ).update(status=WaitlistStatus.EXPIRED, updated_at=now)
    return expired


# --- freed time and offers --------------------------------------------------------------------


@dataclass(frozen=True)
class FreedTime:
    salon: Salon
    master: Master
    start_ts: datetime
    end_ts: datetime


@dataclass(frozen=True)
class Offer:
    entry: WaitlistEntry
    master: Master
    start_ts: datetime


def freed_time(*, booking_id, event: str) -> FreedTime | None:
    """The master's time a cancellation, no-show or reschedule of this booking gave back, if any."""
    booking = Booking.objects.select_related("salon", "master").filter(pk=booking_id).first()
    if booking is None:
        return None
    master_id, start_ts, end_ts = booking.master_id, booking.start_ts, booking.end_ts
    if event == BookingEventKind.RESCHEDULED:
        moved = BookingEvent.objects.filter(booking=booking, event=event).order_by("-created_at", "-id").first()
        changes = moved.changes if moved is not None else {}
        if not {"start_ts", "end_ts", "master_id"} & set(changes):
            return None  # notes or a name changed: no time was given back
        start_ts = _old(changes, "start_ts", start_ts, datetime.fromisoformat)
        end_ts = _old(changes, "end_ts", end_ts, datetime.fromisoformat)
        master_id = _old(changes, "master_id", master_id, str)
    elif event not in (BookingEventKind.CANCELLED, BookingEventKind.NO_SHOW):
        return None
    master = Master.objects.filter(pk=master_id, salon=booking.salon, is_active=True).first() if master_id else None
    if master is None or end_ts <= timezone.now():
        return None
    return FreedTime(salon=booking.salon, master=master, start_ts=start_ts, end_ts=end_ts)


def _old(changes: dict, field: str, current, parse):
    value = (changes.get(field) or {}).get("old")
    return parse(value) if value else current


def offers_for(freed: FreedTime, *, now: datetime | None = None) -> list[Offer]:
    """Who gets the freed time, in the order they joined: each entry with the first free start in
    it that fits their service, day part and master. Entries nothing fits are left for later."""
    salon, master = freed.salon, freed.master
    day = freed.start_ts.astimezone(zoneinfo.ZoneInfo(salon.timezone)).date()
    if day < _local_today(salon, now):
        return []
    entries = list(
        WaitlistEntry.objects.filter(
            salon=salon, day=day, status=WaitlistStatus.WAITING, service__in=master.services.filter(is_active=True)
        )
        .filter(Q(master__isnull=True) | Q(master=master))
        .select_related("customer", "service", "salon")
        .order_by("created_at", "pk")
    )
    starts: dict = {}
    offers = []
    for entry in entries:
        if entry.service_id not in starts:
            slots = salon_slots(salon=salon, service=entry.service, days=[day], master=master, now=now)[day]
            starts[entry.service_id] = [s for s, _who in slots if freed.start_ts <= s < freed.end_ts]
        fitting = [s for s in starts[entry.service_id] if not entry.part or part_of(s, salon.timezone) == entry.part]
        if fitting:
            offers.append(Offer(entry=entry, master=master, start_ts=fitting[0]))
        if len(offers) == OFFERS_PER_FREED_TIME:
            break
    return offers


def record_offer(*, entry: WaitlistEntry, now: datetime | None = None) -> None:
    WaitlistEntry.objects.filter(pk=entry.pk).update(
        offers_sent=F("offers_sent") + 1, last_offered_at=now or timezone.now(), updated_at=timezone.now()
    )


@transaction.atomic
def claim_offer(
    *, entry_id, customer: Customer, master: Master, start_ts: datetime, holder: str = ""
) -> tuple[WaitlistEntry, Booking]:
    """The customer confirmed an offer: book it through `create_booking`, the one guarded path.

    Raises BookingConflict when another customer was first (the entry keeps its place) and
    WaitlistEntryClosed when this entry is no longer waiting (booked, removed, expired).
    """
    entry = (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("salon", "service")
        .filter(pk=entry_id, customer=customer)
        .first()
    )
    if entry is None or entry.status != WaitlistStatus.WAITING:
        raise WaitlistEntryClosed()
    zone = zoneinfo.ZoneInfo(entry.salon.timezone)
    if start_ts.astimezone(zone).date() != entry.day:
        raise InvalidInput("The offered time is not on the day this entry waits for.", field="start_ts")
    booking = create_booking(
        actor=None,
        actor_kind=ActorKind.BOT,
        salon=entry.salon,
        master=master,
        service=entry.service,
        start_ts=start_ts,
        source=BookingSource.WHATSAPP,
        customer=customer,
        enforce_availability=True,
        holder=holder,
    )
    WaitlistEntry.objects.filter(pk=entry.pk).update(
        status=WaitlistStatus.BOOKED, booking=booking, updated_at=timezone.now()
    )
    entry.status, entry.booking = WaitlistStatus.BOOKED, booking
    return entry, booking
