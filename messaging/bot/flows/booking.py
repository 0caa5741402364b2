"""Making (or moving) a booking: service → master (or any) → day → part of the day → time → confirm.

Everything the customer gave, by tap or in words, is in the draft (`turn.draft`) and used at
every later step: asking for a missing piece never drops the others. A tap carries its own
choice in its id (`ids.py`), so an old list still works; it keeps what was said about the rest
(day, part, time, the booking being moved) when it is about the draft's service. Reads go
through bookings' slot loaders, seeing this conversation's own hold as free; the confirm step
holds the slot (`bookings.holds`), the booking itself is `confirm.book`.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta

from bookings.holds import hold_slot
from bookings.slots import days_with_slots, eligible_masters, salon_slots
from bookings.waitlist import part_of
from messaging.whatsapp.limits import MAX_ROWS
from salonbot.errors import BookingConflict, DomainError
from salons.models import Master, Service

from .. import render, texts
from ..ids import ANY, Tap
from ..render import Reply
from ..state import Step
from ..turn import Turn
from .mybookings import own_booking

ALTERNATIVE_COUNT = 3
# More starts than fit one list page: the day is offered by morning, afternoon and evening first.
PARTS_FROM = MAX_ROWS


# --- taps -----------------------------------------------------------------------------------------


def tap_service(turn: Turn, tap: Tap) -> Reply:
    return choose_service(turn, tap.service)


def choose_service(turn: Turn, service_id: str) -> Reply:
    """Keep what the customer already said (a master who does it, a day, a part, a time) and move on."""
    d = turn.draft
    if d.service != service_id:
        d.moving = None  # a booking is moved within its own service
    d.service, d.slot = service_id, None
    if d.master not in (None, ANY):
        service = service_of(turn, service_id)
        if service is None or not any(str(m.pk) == d.master for m in eligible_masters(turn.salon, service)):
            d.master = None
    if d.master is None and (d.day or d.part or d.after):
        d.master = ANY  # the day came from free text, which never stops at the master step
    return advance(turn)


def _same_service(turn: Turn, tap: Tap) -> None:
    """A tap about another service than the draft's starts a fresh draft; else what was said stays."""
    d = turn.draft
    if d.service != tap.service:
        d.clear()
    d.service, d.master, d.slot = tap.service, tap.master, None


def tap_master(turn: Turn, tap: Tap) -> Reply:
    """A master picked (also the returning customer's "book again" button): day and time stay."""
    _same_service(turn, tap)
    return advance(turn)


def tap_change(turn: Turn, tap: Tap) -> Reply:
    """ "Change" on the confirm step: the same service and master, another day."""
    d = turn.draft
    moving = d.moving if d.service == tap.service else None
    d.clear()
    d.service, d.master, d.moving = tap.service, tap.master, moving
    return advance(turn)


def tap_day(turn: Turn, tap: Tap) -> Reply:
    _same_service(turn, tap)
    turn.draft.day = tap.day
    return advance(turn)


def tap_part(turn: Turn, tap: Tap) -> Reply:
    _same_service(turn, tap)
    d = turn.draft
    d.day, d.part, d.time = tap.day, tap.part, None
    return advance(turn)


def tap_slot(turn: Turn, tap: Tap) -> Reply:
    _same_service(turn, tap)
    local = texts.local(tap.start, turn.zone)
    d = turn.draft
    d.day, d.time = local.date(), local.time()
    # advance() offers the start only if it is still free; a taken one gets the day's fresh times.
    return advance(turn, missed=str(texts.TAKEN), nearest=False)


def tap_more_masters(turn: Turn, tap: Tap) -> Reply:
    service = service_of(turn, tap.service)
    if service is None:
        return _stale(turn)
    if turn.draft.service != tap.service:
        turn.draft.clear()
    turn.draft.service = tap.service
    return render.masters(service, eligible_masters(turn.salon, service), offset=tap.offset)


def tap_more_days(turn: Turn, tap: Tap) -> Reply:
    if service_of(turn, tap.service) is None:
        return _stale(turn)
    _same_service(turn, tap)
    turn.draft.day = None
    return advance(turn, days_from=tap.day)


def tap_more_times(turn: Turn, tap: Tap) -> Reply:
    if service_of(turn, tap.service) is None:
        return _stale(turn)
    _same_service(turn, tap)
    d = turn.draft
    d.day, d.part, d.time = tap.day, tap.part, None
    return advance(turn, offset=tap.offset)


def _stale(turn: Turn) -> Reply:
    turn.draft.clear()
    return services_step(turn).after(str(texts.STALE))


# --- the draft ------------------------------------------------------------------------------------


def advance(
    turn: Turn,
    note: str = "",
    *,
    offset: int = 0,
    days_from: date | None = None,
    missed: str = "",
    nearest: bool = True,
) -> Reply:
    """The first step the draft still needs: service, master, day, part, time, else the confirmation.

    A wanted time that is not free is said with `missed` (else "X is not free") before the
    nearest free times (`nearest`) or before that day's free times.
    """
    d = turn.draft
    service = service_of(turn, d.service)
    if service is None:
        stale = bool(d.service)
        master = master_of(turn, d.master)
        d.service, d.slot, d.moving = None, None, None  # day, part and time said stay for later
        d.master = str(master.pk) if master is not None else None
        return services_step(turn, master=master).after(_join(note, str(texts.STALE) if stale else ""))
    eligible = eligible_masters(turn.salon, service)
    if not eligible:
        d.clear()
        return services_step(turn).after(_join(note, str(texts.STALE)))
    master = None
    if d.master not in (None, ANY):
        master = next((m for m in eligible if str(m.pk) == d.master), None)
        if master is None:  # not (or no longer) doing the service: day and time stay, pick who does
            known = master_of(turn, d.master)
            d.master = None
            why = (
                str(texts.MASTER_CANNOT) % {"master": known.name, "service": service.name}
                if known
                else str(texts.STALE)
            )
            return render.masters(service, eligible).after(_join(note, why))
    if d.master is None:
        if len(eligible) > 1:
            return render.masters(service, eligible).after(note)
        # One master: choosing between "any" and them is no choice, so the step is skipped.
        master = eligible[0]
        d.master = str(master.pk)
    key = d.master
    if d.day is None:
        return days_step(turn, service, key, master, start=days_from or d.after).after(note)
    day = d.day
    slots = _slots(turn, service, master, [day])[day]
    if not slots:
        d.day, d.slot = None, None  # the time and part said stay, for the next day picked
        full = str(texts.DAY_FULL) % {"day": texts.day_label(day)}
        waitlist = (day, d.part)
        return days_step(turn, service, key, master, start=day, waitlist=waitlist).after(_join(note, missed, full))
    if d.time is not None:
        wanted = _aware(day, d.time, turn.zone)
        if any(s == wanted for s, _ in slots):
            d.time = None
            return confirm_step(turn, service, key, master, wanted).after(note)
        if nearest:
            return alternatives_step(turn, service, key, master, wanted, note=_join(note, missed))
        d.time = None
        note = _join(note, missed)
    return times_step(turn, service, key, master, day, slots, note=note, offset=offset)


def times_step(turn: Turn, service, key: str, master, day: date, slots, *, note: str, offset: int) -> Reply:
    """The day's free starts; a busy day by part first, a part said earlier goes straight to it."""
    d = turn.draft
    names = {m.pk: m.name for m in eligible_masters(turn.salon, service)}
    kwargs = {"zone": turn.zone, "names": names, "offset": offset}
    full_part = None
    if d.part:
        in_part = [slot for slot in slots if part_of(slot[0], turn.zone) == d.part]
        if in_part:
            return render.times(service, key, day, in_part, part=d.part, **kwargs).after(note)
        full_part, d.part = d.part, None
        phrase = texts.PART_PHRASES[full_part]
        note = _join(note, str(texts.NOTHING_IN_PART) % {"day": texts.day_label(day), "part": phrase})
    if len(slots) >= PARTS_FROM and not offset:
        counts = {part: 0 for part in texts.PART_NAMES}
        for start, _who in slots:
            counts[part_of(start, turn.zone)] += 1
        if sum(1 for count in counts.values() if count) > 1:
            return render.parts(service, key, day, counts, waitlist=full_part).after(note)
    waitlist = (day, full_part) if full_part else None
    return render.times(service, key, day, slots, waitlist=waitlist, **kwargs).after(note)


def services_step(turn: Turn, *, offset: int = 0, master: Master | None = None) -> Reply:
    bookable = Service.objects.filter(salon=turn.salon, is_active=True, masters__is_active=True)
    if master is not None:
        bookable = bookable.filter(masters=master)
    found = list(bookable.distinct().order_by("name", "pk"))
    if not found and master is not None:
        return services_step(turn, offset=offset)
    if not found:
        return render.with_menu(str(texts.NO_SERVICES))
    return render.services(
        found, currency=turn.salon.currency, offset=offset, master_name=master.name if master else ""
    )


def days_step(
    turn: Turn,
    service: Service,
    key: str,
    master: Master | None,
    *,
    start: date | None,
    waitlist: tuple[date, str | None] | None = None,
) -> Reply:
    found = days_with_slots(
        salon=turn.salon,
        service=service,
        start=start,
        limit=MAX_ROWS,
        master=master,
        holder=turn.holder,
        exclude_booking=turn.draft.moving,
    )
    if not found:
        if waitlist:
            button = render.waitlist_button(service, key, *waitlist)
            return Reply(str(texts.NO_DAYS) % {"service": service.name}, step=Step.DAY, buttons=[button])
        turn.draft.clear()
        return render.with_menu(str(texts.NO_DAYS) % {"service": service.name})
    name = master.name if master else ""
    return render.days(service, key, name, found, today=turn.today, more=len(found) == MAX_ROWS, waitlist=waitlist)


def confirm_step(turn: Turn, service: Service, key: str, master: Master | None, start: datetime) -> Reply:
    """Ask a new customer's name first; then hold the slot for them and show it to confirm.

    The hold makes the time busy for every other chat, the API and the admin until the customer
    answers or `hold_minutes` pass; a time someone else holds or took meanwhile gets alternatives.
    """
    d = turn.draft
    local = texts.local(start, turn.zone)
    d.day = local.date()
    customer = turn.customer
    if customer is not None and not customer.name_confirmed and not d.moving:
        d.time, d.slot = local.time(), None  # asked again from here once the name is known
        return render.name_question(customer.name)
    try:
        held = hold_slot(
            salon=turn.salon,
            service=service,
            master=master,
            start_ts=start,
            holder=turn.holder,
            customer=customer,
            exclude_booking=d.moving,
        )
    except BookingConflict:
        return alternatives_step(turn, service, key, master, start, note=str(texts.TAKEN))
    except DomainError:  # the salon was switched off: the owner's matter
        d.clear()
        return render.with_menu(str(texts.BOOKING_FAILED))
    d.slot, d.time = start, None
    turn.state["held"] = True
    if d.moving:
        booking = own_booking(turn, d.moving)
        if booking is not None:
            return render.move_confirm(booking, held.master, start)
    name = customer.name if customer is not None else ""
    zone, currency = turn.zone, turn.salon.currency
    return render.confirm(service, key, master.name if master else "", start, zone=zone, currency=currency, name=name)


def alternatives_step(
    turn: Turn, service: Service, key: str, master: Master | None, wanted: datetime, *, note: str
) -> Reply:
    """The wanted start is not free: the nearest free ones, on that day or the days around it."""
    local_day = texts.local(wanted, turn.zone).date()
    start = max(local_day - timedelta(days=1), turn.today)
    around = days_with_slots(
        salon=turn.salon,
        service=service,
        start=start,
        limit=3,
        master=master,
        holder=turn.holder,
        exclude_booking=turn.draft.moving,
    )
    days = sorted({local_day, *around})
    free = [s for slots in _slots(turn, service, master, days).values() for s, _ in slots]
    nearest = sorted(sorted(free, key=lambda s: abs(s - wanted))[:ALTERNATIVE_COUNT])
    not_free = str(texts.NOT_FREE) % {"time": texts.clock(wanted, turn.zone), "day": texts.day_label(local_day)}
    if not nearest:
        turn.draft.day = turn.draft.time = None
        return days_step(turn, service, key, master, start=None).after(_join(note, not_free))
    return render.alternatives(service, key, nearest, zone=turn.zone, note=_join(note, not_free))


# --- helpers --------------------------------------------------------------------------------------


def _slots(turn: Turn, service: Service, master: Master | None, days: list[date]) -> dict:
    return salon_slots(
        salon=turn.salon,
        service=service,
        days=days,
        master=master,
        holder=turn.holder,
        exclude_booking=turn.draft.moving,
    )


def service_of(turn: Turn, service_id: str | None) -> Service | None:
    if not service_id:
        return None
    return Service.objects.filter(salon=turn.salon, pk=service_id, is_active=True).first()


def master_of(turn: Turn, master_id: str | None) -> Master | None:
    if not master_id or master_id == ANY:
        return None
    return Master.objects.filter(salon=turn.salon, pk=master_id, is_active=True).first()


def _aware(day: date, wall: time, zone: str) -> datetime:
    return datetime.combine(day, wall, tzinfo=zoneinfo.ZoneInfo(zone))


def _join(*notes: str) -> str:
    return "\n".join(n for n in notes if n)
