"""The booking conversation's steps: what a tap (or a recognised text) leads to, and the reply.

menu → service → master (or any) → day → time → confirm → booked; also my bookings → cancel →
asked once more → cancelled, and a hand-off to a person. The choices made so far (the draft)
live in the conversation's `bot_state`; every tap also carries its own choice in its id
(`ids.py`), so an old list still works, and anything stale gets an apology and fresh choices.
Reads go through bookings' slot loaders and selectors, writes through the services.
"""

from __future__ import annotations

import logging
import zoneinfo
from datetime import date, datetime, time, timedelta

from bookings.models import ACTIVE_STATUSES, ActorKind, Booking, BookingSource
from bookings.services import create_booking
from bookings.slots import days_with_slots, eligible_masters, salon_slots
from messaging.services.confirmations import confirmation_key
from messaging.services.conversations import set_bot_paused
from messaging.whatsapp.limits import MAX_ROWS
from salonbot.errors import BookingConflict, DomainError, InvalidInput
from salons.models import Master, Service

from . import ids, render, texts
from .ids import ANY, Tap
from .mybookings import ask_cancel, cancel, keep, my_bookings
from .render import Reply
from .turn import BOOKING_STEPS, Turn, clear_draft

logger = logging.getLogger(__name__)

ALTERNATIVE_COUNT = 3
# Where each part of the day starts, in salon wall time (the interpreter's words).
PART_STARTS = {"morning": time(0), "afternoon": time(12), "evening": time(17)}


# --- taps -----------------------------------------------------------------------------------------


def on_tap(turn: Turn, tap: Tap) -> Reply:
    """A row or button of one of our messages (or a typed number or title that picked one)."""
    st = turn.state
    if tap.kind == "menu":
        if tap.more == "mine":
            return my_bookings(turn)
        if tap.more == "human":
            return handoff(turn)
        clear_draft(st)
        return advance(turn)
    if tap.kind == "svc":
        return choose_service(turn, tap.service)
    if tap.kind in ("mst", "chg"):
        clear_draft(st)
        st.update(svc=tap.service, mst=tap.master)
        return advance(turn)
    if tap.kind == "day":
        clear_draft(st)
        st.update(svc=tap.service, mst=tap.master, day=tap.day.isoformat())
        return advance(turn)
    if tap.kind == "slot":
        return choose_slot(turn, tap)
    if tap.kind == "ok":
        return book(turn, tap)
    if tap.kind == "cxl":
        return ask_cancel(turn, tap.booking)
    if tap.kind == "cxl-yes":
        return cancel(turn, tap.booking)
    if tap.kind == "cxl-no":
        return keep(turn, tap.booking)
    return more(turn, tap)


def more(turn: Turn, tap: Tap) -> Reply:
    """The next page of a list; the id says which list and from where."""
    st = turn.state
    if tap.more == "svc":
        return services_step(turn, offset=tap.offset)
    if tap.more == "bk":
        return my_bookings(turn, offset=tap.offset)
    service = _service(turn, tap.service)
    if service is None:
        clear_draft(st)
        return services_step(turn).after(str(texts.STALE))
    if tap.more == "mst":
        clear_draft(st)
        st["svc"] = tap.service
        return render.masters(service, eligible_masters(turn.salon, service), offset=tap.offset)
    clear_draft(st)
    st.update(svc=tap.service, mst=tap.master)
    if tap.more == "day":
        return advance(turn, days_from=tap.day)
    st["day"] = tap.day.isoformat()
    return advance(turn, offset=tap.offset)


def choose_service(turn: Turn, service_id: str) -> Reply:
    """Keep what the customer already said (a master who does it, a day) and move on."""
    st = turn.state
    st["svc"] = service_id
    st.pop("slot", None)
    if st.get("mst") not in (None, ANY):
        service = _service(turn, service_id)
        if service is None or not any(str(m.pk) == st["mst"] for m in eligible_masters(turn.salon, service)):
            st.pop("mst")
    if st.get("mst") is None and st.get("day"):
        st["mst"] = ANY  # the day came from free text, which never stops at the master step
    return advance(turn)


def choose_slot(turn: Turn, tap: Tap) -> Reply:
    st = turn.state
    clear_draft(st)
    local = texts.local(tap.start, turn.zone)
    st.update(svc=tap.service, mst=tap.master, day=local.date().isoformat(), time=local.strftime("%H:%M"))
    # advance() offers the start only if it is still free; a taken one gets the day's fresh times.
    return advance(turn, missed=str(texts.TAKEN), nearest=False)


# --- the booking draft ----------------------------------------------------------------------------


def advance(
    turn: Turn,
    note: str = "",
    *,
    offset: int = 0,
    days_from: date | None = None,
    missed: str = "",
    nearest: bool = True,
) -> Reply:
    """The first step the draft still needs: service, master, day, time, else the confirmation.

    A wanted time that is not free is said with `missed` (else "X is not free") before the
    nearest free times (`nearest`) or before that day's free times.
    """
    st = turn.state
    service = _service(turn, st.get("svc"))
    if service is None:
        stale = bool(st.get("svc"))
        master = _master(turn, st.get("mst"))
        clear_draft(st)
        if master is not None:
            st["mst"] = str(master.pk)
        return services_step(turn, master=master).after(_join(note, str(texts.STALE) if stale else ""))
    eligible = eligible_masters(turn.salon, service)
    if not eligible:
        clear_draft(st)
        return services_step(turn).after(_join(note, str(texts.STALE)))
    master = None
    if st.get("mst") not in (None, ANY):
        master = next((m for m in eligible if str(m.pk) == st["mst"]), None)
        if master is None:
            known = _master(turn, st["mst"])
            st.pop("mst")
            why = (
                str(texts.MASTER_CANNOT) % {"master": known.name, "service": service.name}
                if known
                else str(texts.STALE)
            )
            return render.masters(service, eligible).after(_join(note, why))
    if st.get("mst") is None:
        if len(eligible) > 1:
            return render.masters(service, eligible).after(note)
        # One master: choosing between "any" and them is no choice, so the step is skipped.
        master = eligible[0]
        st["mst"] = str(master.pk)
    master_key = st["mst"]
    if not st.get("day"):
        return days_step(turn, service, master_key, master, start=days_from).after(note)
    day = date.fromisoformat(st["day"])
    slots = salon_slots(salon=turn.salon, service=service, days=[day], master=master)[day]
    if not slots:
        for key in ("day", "time", "part", "slot"):
            st.pop(key, None)
        full = str(texts.DAY_FULL) % {"day": texts.day_label(day)}
        return days_step(turn, service, master_key, master, start=day).after(_join(note, missed, full))
    wanted = st.pop("time", None)
    if wanted:
        start = _aware(day, time.fromisoformat(wanted), turn.zone)
        if any(s == start for s, _ in slots):
            return confirm_step(turn, service, master_key, master, start).after(note)
        if nearest:
            return alternatives_step(turn, service, master_key, master, start, note=_join(note, missed))
        note = _join(note, missed)
    part = st.pop("part", None)
    if part in PART_STARTS and not offset:
        offset = _first_index(slots, PART_STARTS[part], turn.zone)
    names = {m.pk: m.name for m in eligible}
    return render.times(service, master_key, day, slots, zone=turn.zone, names=names, offset=offset).after(note)


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


def days_step(turn: Turn, service: Service, master_key: str, master: Master | None, *, start: date | None) -> Reply:
    found = days_with_slots(salon=turn.salon, service=service, start=start, limit=MAX_ROWS, master=master)
    if not found:
        clear_draft(turn.state)
        return render.with_menu(str(texts.NO_DAYS) % {"service": service.name})
    return render.days(
        service, master_key, master.name if master else "", found, today=turn.today, more=len(found) == MAX_ROWS
    )


def confirm_step(turn: Turn, service: Service, master_key: str, master: Master | None, start: datetime) -> Reply:
    turn.state.update(slot=ids.stamp(start), day=texts.local(start, turn.zone).date().isoformat())
    return render.confirm(
        service,
        master_key,
        master.name if master else "",
        start,
        zone=turn.zone,
        currency=turn.salon.currency,
    )


def alternatives_step(
    turn: Turn, service: Service, master_key: str, master: Master | None, wanted: datetime, *, note: str
) -> Reply:
    """The wanted start is not free: the nearest free ones, on that day or the days around it."""
    local_day = texts.local(wanted, turn.zone).date()
    start = max(local_day - timedelta(days=1), turn.today)
    days = sorted({local_day, *days_with_slots(salon=turn.salon, service=service, start=start, limit=3, master=master)})
    free = [
        s
        for slots in salon_slots(salon=turn.salon, service=service, days=days, master=master).values()
        for s, _ in slots
    ]
    nearest = sorted(sorted(free, key=lambda s: abs(s - wanted))[:ALTERNATIVE_COUNT])
    not_free = str(texts.NOT_FREE) % {"time": texts.clock(wanted, turn.zone), "day": texts.day_label(local_day)}
    if not nearest:
        turn.state.pop("day", None)
        return days_step(turn, service, master_key, master, start=None).after(_join(note, not_free))
    return render.alternatives(service, master_key, nearest, zone=turn.zone, note=_join(note, not_free))


def book(turn: Turn, tap: Tap) -> Reply:
    """Confirm: the one create path re-checks the slot under its locks; a conflict is part of the chat."""
    st = turn.state
    clear_draft(st)
    st.update(svc=tap.service, mst=tap.master, day=texts.local(tap.start, turn.zone).date().isoformat())
    service = _service(turn, tap.service)
    customer = turn.conversation.customer
    if service is None:
        return advance(turn)
    if customer is not None:
        # A second tap on the same Confirm (or a replayed one) must not book "any master" twice.
        existing = Booking.objects.filter(
            salon=turn.salon, customer=customer, service=service, start_ts=tap.start, status__in=ACTIVE_STATUSES
        ).first()
        if existing is not None:
            clear_draft(st)
            return render.with_menu(str(texts.ALREADY_BOOKED) % {"code": existing.code})
    master = None
    if tap.master != ANY:
        master = _master(turn, tap.master)
        if master is None:
            st.pop("mst")
            return advance(turn)
    try:
        booking = create_booking(
            actor=None,
            actor_kind=ActorKind.BOT,
            salon=turn.salon,
            master=master,
            service=service,
            start_ts=tap.start,
            source=BookingSource.WHATSAPP,
            customer=customer,
            enforce_availability=True,
        )
    except BookingConflict:
        return advance(turn, str(texts.TAKEN))
    except InvalidInput:  # the master stopped doing the service, the service was switched off
        return advance(turn, str(texts.STALE))
    except DomainError as exc:  # the salon's plan is full, the salon is inactive: the owner's matter
        logger.warning("bot booking in conversation %s refused: %s", turn.conversation.pk, exc.detail)
        clear_draft(st)
        return render.with_menu(str(texts.BOOKING_FAILED))
    clear_draft(st)
    reply = render.booked(booking)
    # The booked message is the booking's confirmation: queued under the confirmation's key, the
    # generic confirmation (booking_changed → confirmations) finds it and sends nothing more.
    return Reply(reply.text, step=reply.step, idempotency_key=confirmation_key(booking.pk))


# --- a person -------------------------------------------------------------------------------------


def handoff(turn: Turn) -> Reply:
    """The bot steps aside: paused (the owner sees the flag) until someone resumes it."""
    set_bot_paused(conversation=turn.conversation, paused=True)
    clear_draft(turn.state)
    return render.text(str(texts.HANDOFF) % {"salon": turn.salon.name}, step="human")


def current(turn: Turn, note: str) -> Reply:
    """The step the customer is at, shown again (after "sorry, I did not understand")."""
    st = turn.state
    step = st.get("step")
    if step == "service":
        return services_step(turn, offset=st.get("offset", 0)).after(note)
    if step == "confirm" and st.get("slot"):
        st["time"] = texts.local(ids.parse_stamp(st["slot"]), turn.zone).strftime("%H:%M")
        return advance(turn, note)
    if step in BOOKING_STEPS:
        return advance(turn, note, offset=st.get("offset", 0) if step == "time" else 0)
    if step == "bookings":
        return my_bookings(turn, offset=st.get("offset", 0)).after(note)
    if step == "cancel" and st.get("booking"):
        return ask_cancel(turn, st["booking"]).after(note)
    clear_draft(st)
    return render.menu(turn.salon.name, greet=False).after(note)


# --- helpers --------------------------------------------------------------------------------------


def _service(turn: Turn, service_id: str | None) -> Service | None:
    if not service_id:
        return None
    return Service.objects.filter(salon=turn.salon, pk=service_id, is_active=True).first()


def _master(turn: Turn, master_id: str | None) -> Master | None:
    if not master_id or master_id == ANY:
        return None
    return Master.objects.filter(salon=turn.salon, pk=master_id, is_active=True).first()


def _aware(day: date, wall: time, zone: str) -> datetime:
    return datetime.combine(day, wall, tzinfo=zoneinfo.ZoneInfo(zone))


def _first_index(slots, starts_at: time, zone: str) -> int:
    for index, (start, _) in enumerate(slots):
        if texts.local(start, zone).time() >= starts_at:
            return index
    return 0


def _join(*notes: str) -> str:
    return "\n".join(n for n in notes if n)
