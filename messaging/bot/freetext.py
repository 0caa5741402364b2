"""What the bot makes of a message that is not a tap: a picked row, an intent, booking details.

A number or a row's title picks from the last interactive message ("2", "10:30", "Anna").
Anything else goes through the pluggable interpreter (settings.BOT_INTERPRETER) and is merged
into the draft: "haircut tomorrow at 3 with Anna" goes straight to the confirmation when that
time is free, a service alone to the day step, a service and a day to that day's times. A
correction ("not Anna, Olga", "make it 4", "Friday instead") replaces only that piece.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time

from salons.models import Master, Service

from . import ids, render, texts
from .flows import booking, confirm, handover, mybookings, reschedule, smalltalk, waitlist
from .ids import ANY, Tap
from .interpreter import Choice, Intent, Interpretation, fold, get_interpreter
from .render import Reply
from .state import BOOKING_STEPS, Step
from .taps import on_tap
from .turn import Turn

# Shorter typed words are too ambiguous to pick a row by the start of its title.
MIN_PREFIX = 3
# Media the bot cannot read; a caption or a place name alone does not make them a request.
UNREADABLE_TYPES = frozenset({"audio", "sticker", "location", "contacts", "unsupported"})
# Nothing to answer: a reaction to one of our messages, a system notice.
SILENT_TYPES = frozenset({"reaction", "system"})
# On the name step these are requests, not a name.
NOT_A_NAME = frozenset(
    {Intent.HUMAN, Intent.CANCEL, Intent.MY_BOOKINGS, Intent.HELP, Intent.RESCHEDULE, Intent.BYE, Intent.NO}
)


def respond(turn: Turn) -> Reply | None:
    """The reply to the turn's inbound message, or None when it needs none."""
    inbound = turn.inbound
    tap = ids.parse(inbound.reply_id)
    if tap is not None:
        return on_tap(turn, tap)
    if inbound.type in SILENT_TYPES:
        return None
    text = (inbound.text or "").strip()
    if inbound.type in UNREADABLE_TYPES or not text:
        return current(turn, str(texts.MEDIA))
    # A quick reply of a template, or a row id this bot no longer writes: its title is the text.
    # On the name step only the button's whole title picks it: "Marta" is a name, not "Marta Reis".
    picked = pick_option(turn.state.get("opts") or [], text, prefix=turn.step != Step.NAME)
    if picked is not None:
        tap = ids.parse(picked)
        if tap is not None:
            return on_tap(turn, tap)
    return on_text(turn, text)


def pick_option(options: list, text: str, *, prefix: bool = True) -> str | None:
    """The id of the row or button the text names: its number, its title, or the unique start of one."""
    stripped = text.strip().rstrip(".)")
    if stripped.isdigit():
        number = int(stripped)
        return options[number - 1][0] if 1 <= number <= len(options) else None
    wanted = fold(" ".join(text.split()))
    exact = [option_id for option_id, title in options if fold(title) == wanted]
    if len(exact) == 1:
        return exact[0]
    if prefix and len(wanted) >= MIN_PREFIX:
        starts = [option_id for option_id, title in options if fold(title).startswith(wanted)]
        if len(starts) == 1:
            return starts[0]
    return None


def on_text(turn: Turn, text: str) -> Reply:
    step, d = turn.step, turn.draft
    meaning = interpret(turn, text)
    intent = meaning.intent
    if step == Step.NAME:
        if intent == Intent.YES:  # "yes" to the name offered on the button
            return on_tap(turn, Tap("name"))
        if intent not in NOT_A_NAME and confirm.looks_like_a_name(text):
            return confirm.set_name(turn, text)
    if intent == Intent.HUMAN:
        return handover.handoff(turn)
    if intent == Intent.RESCHEDULE:
        if d.moving and step in BOOKING_STEPS:  # "move it to 4" while moving: a correction
            merge(turn, meaning)
            return booking.advance(turn)
        return reschedule.start(turn, meaning)
    if intent == Intent.MY_BOOKINGS:
        return mybookings.my_bookings(turn)
    if intent == Intent.WAITLIST:
        return waitlist.from_text(turn, meaning)
    if intent == Intent.CANCEL:
        if step == Step.CANCEL and d.booking:
            return mybookings.cancel(turn, d.booking)
        if step in BOOKING_STEPS:
            d.clear()
            return render.with_menu(str(texts.NOTHING_BOOKED))
        return mybookings.my_bookings(turn, cancelling=True)
    if intent == Intent.YES:
        if step == Step.CONFIRM and d.slot and d.service and d.master:
            if d.moving:
                return on_tap(turn, Tap("mv", booking=d.moving, master=d.master, start=d.slot))
            return on_tap(turn, Tap("ok", service=d.service, master=d.master, start=d.slot))
        if step == Step.CANCEL and d.booking:
            return mybookings.cancel(turn, d.booking)
        if step not in BOOKING_STEPS:
            return smalltalk.fine(turn)
    if intent == Intent.NO:
        if step == Step.CONFIRM and d.service and d.master:
            return on_tap(turn, Tap("chg", service=d.service, master=d.master))
        if step == Step.CANCEL and d.booking:
            return mybookings.keep(turn, d.booking)
        d.clear()
        return render.menu(turn.salon.name, greet=False)
    if intent == Intent.HELP:
        d.clear()
        return render.menu(turn.salon.name, greet=False).after(str(texts.HELP))
    if step == Step.WAITLIST and meaning.date:
        return waitlist.from_text(turn, meaning)
    if _has_details(meaning):
        merge(turn, meaning)
        return booking.advance(turn)
    if intent == Intent.BOOK:
        d.clear()
        return booking.advance(turn)
    if intent == Intent.GREETING:
        return smalltalk.greet(turn)
    if intent == Intent.THANKS:
        return smalltalk.thanks(turn, current)
    if intent == Intent.BYE:
        return smalltalk.bye(turn)
    return current(turn, str(texts.NOT_UNDERSTOOD))


def current(turn: Turn, note: str) -> Reply:
    """The step the customer is at, shown again (after "sorry, I did not understand")."""
    step, d = turn.step, turn.draft
    if step == Step.SERVICE:
        return booking.services_step(turn, offset=turn.state.get("offset", 0)).after(note)
    if step in BOOKING_STEPS:
        if d.slot is not None:  # the confirm step: shown again from its time
            d.time, d.slot = texts.local(d.slot, turn.zone).time(), None
        return booking.advance(turn, note, offset=turn.state.get("offset", 0) if step == Step.TIME else 0)
    if step == Step.BOOKINGS:
        return mybookings.my_bookings(turn, offset=turn.state.get("offset", 0)).after(note)
    if step == Step.CANCEL and d.booking:
        return mybookings.ask_cancel(turn, d.booking).after(note)
    if step == Step.MOVE:
        return reschedule.start(turn).after(note)
    d.clear()
    return render.menu(turn.salon.name, greet=False).after(note)


def interpret(turn: Turn, text: str) -> Interpretation:
    salon = turn.salon
    services = [
        Choice(str(pk), name)
        for pk, name in Service.objects.filter(salon=salon, is_active=True).values_list("pk", "name")
    ]
    masters = [
        Choice(str(pk), name)
        for pk, name in Master.objects.filter(salon=salon, is_active=True).values_list("pk", "name")
    ]
    interpreter = get_interpreter()

    def read(now: datetime) -> Interpretation:
        return interpreter.interpret(
            text, language=salon.language, timezone=salon.timezone, now=now, services=services, masters=masters
        )

    meaning = read(turn.now)
    chosen = turn.draft.day
    choosing = turn.step in (Step.PART, Step.TIME, Step.CONFIRM, Step.ALTERNATIVES)
    # "10:30" while choosing a time on Friday means Friday: read again as if it were Friday's
    # first minute; a named day ("tomorrow at 10:30") then still lands elsewhere.
    if meaning.time and chosen and choosing and chosen > turn.today:
        start_of_day = datetime.combine(chosen, time(0), tzinfo=zoneinfo.ZoneInfo(salon.timezone))
        again = read(start_of_day)
        if again.date == chosen and again.time == meaning.time:
            return again
    return meaning


def merge(turn: Turn, meaning: Interpretation) -> None:
    """Fold what the message said into the draft: each piece said replaces that piece only.

    Outside a booking flow a request starts from a clean draft. On the confirm step the time
    shown is kept as said, so "not Anna, Olga" or "Friday instead" keeps it.
    """
    d = turn.draft
    if turn.step not in BOOKING_STEPS:
        d.clear()
    if d.slot is not None:
        d.time = d.time or texts.local(d.slot, turn.zone).time()
        d.slot = None
    if meaning.service_id:
        if meaning.service_id != d.service:
            d.moving = None  # a booking is moved within its own service
        d.service = meaning.service_id
    if meaning.master_id:
        d.master = meaning.master_id
    elif meaning.any_master:
        d.master = ANY
    if meaning.date:
        d.day, d.after = meaning.date, None
    elif meaning.from_date:
        d.day, d.after = None, meaning.from_date
    if meaning.time:
        d.time = meaning.time
    if meaning.part_of_day:
        d.part = str(meaning.part_of_day)
        if not meaning.time:
            d.time = None  # "in the evening instead": a time said before does not fit it
    if d.service and not d.master:
        d.master = ANY  # free text never stops at the master step: whoever is free


def _has_details(meaning: Interpretation) -> bool:
    return any(
        (
            meaning.service_id,
            meaning.master_id,
            meaning.date,
            meaning.time,
            meaning.part_of_day,
            meaning.any_master,
            meaning.from_date,
        )
    )
