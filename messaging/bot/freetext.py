"""What the bot makes of a message that is not a tap: a picked row, an intent, booking details.

A number or a row's title picks from the last interactive message ("2", "10:30", "Anna").
Anything else goes through the pluggable interpreter (settings.BOT_INTERPRETER) and is merged
into the booking draft: "haircut tomorrow at 3 with Anna" goes straight to the confirmation when
that time is free, a service alone to the day step, a service and a day to that day's times.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time

from salons.models import Master, Service

from . import ids, mybookings, render, steps, texts
from .ids import ANY, Tap
from .interpreter import Choice, Intent, Interpretation, fold, get_interpreter
from .render import Reply
from .turn import BOOKING_STEPS, Turn, clear_draft

# Shorter typed words are too ambiguous to pick a row by the start of its title.
MIN_PREFIX = 3
# Media the bot cannot read; a caption or a place name alone does not make them a request.
UNREADABLE_TYPES = frozenset({"audio", "sticker", "location", "contacts", "unsupported"})
# Nothing to answer: a reaction to one of our messages, a system notice.
SILENT_TYPES = frozenset({"reaction", "system"})


def respond(turn: Turn) -> Reply | None:
    """The reply to the turn's inbound message, or None when it needs none."""
    inbound = turn.inbound
    tap = ids.parse(inbound.reply_id)
    if tap is not None:
        return steps.on_tap(turn, tap)
    if inbound.type in SILENT_TYPES:
        return None
    text = (inbound.text or "").strip()
    if inbound.type in UNREADABLE_TYPES or not text:
        return steps.current(turn, str(texts.MEDIA))
    # A quick reply of a template, or a row id this bot no longer writes: its title is the text.
    picked = pick_option(turn.state.get("opts") or [], text)
    if picked is not None:
        tap = ids.parse(picked)
        if tap is not None:
            return steps.on_tap(turn, tap)
    return on_text(turn, text)


def pick_option(options: list, text: str) -> str | None:
    """The id of the row or button the text names: its number, its title, or the unique start of one."""
    stripped = text.strip().rstrip(".)")
    if stripped.isdigit():
        number = int(stripped)
        return options[number - 1][0] if 1 <= number <= len(options) else None
    wanted = fold(" ".join(text.split()))
    exact = [option_id for option_id, title in options if fold(title) == wanted]
    if len(exact) == 1:
        return exact[0]
    if len(wanted) >= MIN_PREFIX:
        starts = [option_id for option_id, title in options if fold(title).startswith(wanted)]
        if len(starts) == 1:
            return starts[0]
    return None


def on_text(turn: Turn, text: str) -> Reply:
    st = turn.state
    step = st.get("step")
    meaning = interpret(turn, text)
    intent = meaning.intent
    if intent == Intent.HUMAN:
        return steps.handoff(turn)
    if intent == Intent.MY_BOOKINGS:
        return mybookings.my_bookings(turn)
    if intent == Intent.CANCEL:
        if step == "cancel" and st.get("booking"):
            return mybookings.cancel(turn, st["booking"])
        if step in BOOKING_STEPS:
            clear_draft(st)
            return render.with_menu(str(texts.NOTHING_BOOKED))
        return mybookings.my_bookings(turn, cancelling=True)
    if intent == Intent.YES:
        if step == "confirm" and st.get("slot") and st.get("svc") and st.get("mst"):
            start = ids.parse_stamp(st["slot"])
            return steps.book(turn, Tap("ok", service=st["svc"], master=st["mst"], start=start))
        if step == "cancel" and st.get("booking"):
            return mybookings.cancel(turn, st["booking"])
    if intent == Intent.NO:
        if step == "confirm" and st.get("svc") and st.get("mst"):
            return steps.on_tap(turn, Tap("chg", service=st["svc"], master=st["mst"]))
        if step == "cancel" and st.get("booking"):
            return mybookings.keep(turn, st["booking"])
        clear_draft(st)
        return render.menu(turn.salon.name, greet=False)
    if intent == Intent.HELP:
        clear_draft(st)
        return render.menu(turn.salon.name, greet=False).after(str(texts.HELP))
    if _has_details(meaning):
        merge(turn, meaning)
        return steps.advance(turn)
    if intent == Intent.BOOK:
        clear_draft(st)
        return steps.advance(turn)
    if intent == Intent.GREETING:
        clear_draft(st)
        return render.menu(turn.salon.name)
    return steps.current(turn, str(texts.NOT_UNDERSTOOD))


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
    day = turn.state.get("day")
    if meaning.time and day and turn.state.get("step") in ("time", "confirm", "alternatives"):
        # "10:30" while choosing a time on Friday means Friday: read again as if it were Friday's
        # first minute; a named day ("tomorrow at 10:30") then still lands elsewhere.
        chosen = date.fromisoformat(day)
        if chosen > turn.today:
            start_of_day = datetime.combine(chosen, time(0), tzinfo=zoneinfo.ZoneInfo(salon.timezone))
            again = read(start_of_day)
            if again.date == chosen and again.time == meaning.time:
                return again
    return meaning


def merge(turn: Turn, meaning: Interpretation) -> None:
    """Fold what the message said into the draft; a new flow starts from a clean draft."""
    st = turn.state
    if st.get("step") not in BOOKING_STEPS:
        clear_draft(st)
    st.pop("slot", None)
    if meaning.service_id:
        st["svc"] = meaning.service_id
    if meaning.master_id:
        st["mst"] = meaning.master_id
    elif meaning.any_master:
        st["mst"] = ANY
    if meaning.date:
        st["day"] = meaning.date.isoformat()
        for key in ("time", "part"):
            st.pop(key, None)
    if meaning.time:
        st["time"] = meaning.time.strftime("%H:%M")
    if meaning.part_of_day:
        st["part"] = str(meaning.part_of_day)
    if st.get("svc") and not st.get("mst"):
        st["mst"] = ANY  # free text never stops at the master step: whoever is free


def _has_details(meaning: Interpretation) -> bool:
    return any(
        (meaning.service_id, meaning.master_id, meaning.date, meaning.time, meaning.part_of_day, meaning.any_master)
    )
