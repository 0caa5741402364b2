"""The waiting list in the chat: joining it, the offers of freed time, and taking or leaving one.

A customer joins from a full day (the "tell me if it frees up" row or button) or in words. When a
cancellation, no-show or reschedule frees time (`offer_freed_time`, a Celery task's work), each
waiting customer it fits is offered it, in the order they joined: free text with buttons inside
the 24-hour window, the salon's WAITLIST template (its quick reply carrying the same `wl:` id)
outside it. "Book it" claims the offer through `bookings.waitlist.claim_offer`, which books with
`create_booking`: the first to confirm gets it, the others are told it is gone and stay on the list.
"""

from __future__ import annotations

import logging
from datetime import date

from django.utils import translation

from bookings import waitlist
from bookings.models import WaitlistEntry, WaitlistStatus
from messaging.models import Message, TemplatePurpose
from messaging.services.confirmations import template_for
from messaging.services.conversations import conversation_for_customer
from messaging.services.outbound import queue_template
from salonbot.errors import BookingConflict, DomainError, InvalidInput
from salons.models import Master

from .. import ids, render, texts
from ..ids import ANY, Tap
from ..interpreter import Interpretation
from ..render import Reply
from ..send import queue_reply
from ..state import Step
from ..turn import Turn
from .booking import master_of, service_of, services_step
from .confirm import booked

logger = logging.getLogger(__name__)


# --- joining --------------------------------------------------------------------------------------


def tap_join(turn: Turn, tap: Tap) -> Reply:
    return join(turn, service_id=tap.service, master_key=tap.master, day=tap.day, part=tap.part)


def from_text(turn: Turn, meaning: Interpretation) -> Reply:
    """ "Tell me if something frees up": for the day (and part, master) said now or earlier, or
    the one the bot has just offered to watch (a full day's "tell me if it frees up" row)."""
    offered = _offered_join(turn)
    if offered is not None and not (meaning.date or meaning.service_id):
        return tap_join(turn, offered)
    d = turn.draft
    if meaning.service_id:
        d.service = meaning.service_id
    if meaning.master_id:
        d.master = meaning.master_id
    day = meaning.date or d.day
    part = meaning.part_of_day or d.part
    service = service_of(turn, d.service)
    if service is None:
        d.day, d.part = day, part
        return services_step(turn).after(str(texts.WAITLIST_WHICH_SERVICE))
    if day is None:
        d.part = part
        return Reply(str(texts.WAITLIST_WHICH_DAY) % {"service": service.name}, step=Step.WAITLIST)
    return join(turn, service_id=d.service, master_key=d.master or ANY, day=day, part=part)


def _offered_join(turn: Turn) -> Tap | None:
    for option_id, _title in turn.state.get("opts") or []:
        tap = ids.parse(option_id)
        if tap is not None and tap.kind == "wlj":
            return tap
    return None


def join(turn: Turn, *, service_id: str, master_key: str, day: date, part: str | None) -> Reply:
    service = service_of(turn, service_id)
    customer = turn.customer
    turn.draft.clear()
    if service is None or customer is None:
        return render.with_menu(str(texts.STALE))
    master = master_of(turn, master_key)
    try:
        entry = waitlist.join_waitlist(
            salon=turn.salon, customer=customer, service=service, day=day, part=part or "", master=master, now=turn.now
        )
    except InvalidInput as exc:
        return render.with_menu(exc.detail)
    when = render.day_part_phrase(entry.day, entry.part or None)
    return render.with_menu(str(texts.WAITLIST_JOINED) % {"service": service.name, "when": when})


# --- offers ---------------------------------------------------------------------------------------


def offer_freed_time(*, booking_id, event: str) -> int:
    """Offer the time this booking's change freed to the waiting customers it fits; how many were sent."""
    freed = waitlist.freed_time(booking_id=booking_id, event=event)
    if freed is None:
        return 0
    sent = 0
    for offer in waitlist.offers_for(freed):
        if _send(offer) is not None:
            waitlist.record_offer(entry=offer.entry)
            sent += 1
    return sent


def _send(offer: waitlist.Offer) -> Message | None:
    entry, master, start = offer.entry, offer.master, offer.start_ts
    salon = entry.salon
    conversation = conversation_for_customer(customer=entry.customer, create=True)
    if conversation is None:
        return None
    key = f"waitlist-offer:{entry.pk}:{master.pk}:{ids.stamp(start)}"
    if Message.objects.filter(salon_id=salon.pk, idempotency_key=key).exists():
        return None  # offered already (the task ran twice): not a new offer
    name = entry.customer.name or "-"
    with translation.override(salon.language):
        try:
            if conversation.is_window_open():
                return queue_reply(conversation, render.offer(entry, master, start, customer_name=name), key)
            template = template_for(conversation, TemplatePurpose.WAITLIST)
            if template is None:
                logger.info("waitlist entry %s: window closed and no WAITLIST template; no offer", entry.pk)
                return None
            facts = [name, texts.when(start, salon.timezone), entry.service.name, master.name]
            return queue_template(
                conversation=conversation,
                template=template,
                parameters=facts[: template.parameter_count],
                quick_replies=[ids.offer(entry.pk, master.pk, start)],
                idempotency_key=key,
            )
        except DomainError as exc:  # the plan's message limit, an inactive salon
            logger.warning("waitlist offer to entry %s not queued: %s", entry.pk, exc.detail)
            return None


# --- answers to an offer --------------------------------------------------------------------------


def tap_accept(turn: Turn, tap: Tap) -> Reply:
    turn.draft.clear()
    entry = _own_entry(turn, tap.entry)
    master = Master.objects.filter(salon=turn.salon, pk=tap.master, is_active=True).first()
    if entry is None or master is None or turn.customer is None:
        return render.with_menu(str(texts.OFFER_CLOSED))
    try:
        _entry, booking = waitlist.claim_offer(
            entry_id=entry.pk, customer=turn.customer, master=master, start_ts=tap.start, holder=turn.holder
        )
    except BookingConflict:
        return render.with_menu(str(texts.OFFER_GONE) % {"when": _when(entry)})
    except waitlist.WaitlistEntryClosed:
        entry.refresh_from_db()
        if entry.status == WaitlistStatus.BOOKED and entry.booking is not None:
            return render.with_menu(str(texts.ALREADY_BOOKED) % {"code": entry.booking.code})
        return render.with_menu(str(texts.OFFER_CLOSED))
    except DomainError as exc:  # a stale offer (the service was switched off), the plan is full
        logger.info("waitlist offer of entry %s not booked: %s", entry.pk, exc.detail)
        return render.with_menu(str(texts.OFFER_CLOSED))
    return booked(booking)


def tap_decline(turn: Turn, tap: Tap) -> Reply:
    turn.draft.clear()
    entry = _own_entry(turn, tap.entry)
    if entry is None or entry.status != WaitlistStatus.WAITING:
        return render.with_menu(str(texts.OFFER_CLOSED))
    return render.with_menu(str(texts.OFFER_DECLINED) % {"when": _when(entry)})


def _own_entry(turn: Turn, entry_id) -> WaitlistEntry | None:
    if turn.customer is None or not entry_id:
        return None
    return (
        WaitlistEntry.objects.filter(salon=turn.salon, customer=turn.customer, pk=entry_id)
        .select_related("booking")
        .first()
    )


def _when(entry: WaitlistEntry) -> str:
    return render.day_part_phrase(entry.day, entry.part or None)
