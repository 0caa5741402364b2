"""Greetings and small talk: a returning customer is greeted by name, thanks and goodbyes close politely."""

from __future__ import annotations

from bookings.selectors import last_rebookable

from .. import render, texts
from ..render import Reply
from ..state import BOOKING_STEPS
from ..turn import Turn


def greet(turn: Turn) -> Reply:
    """The menu; by name for a customer who told us theirs, with their last booking one tap away."""
    turn.draft.clear()
    customer = turn.customer
    if customer is None or not customer.name_confirmed:
        return render.menu(turn.salon.name)
    last = last_rebookable(customer)
    again = (last.service, last.master) if last is not None else None
    return render.menu(turn.salon.name, name=customer.name, again=again)


def thanks(turn: Turn, current) -> Reply:
    """Mid-booking, "thanks" is answered and the step shown again; otherwise it closes the talk."""
    if turn.step in BOOKING_STEPS:
        return current(turn, str(texts.WELCOME_SHORT))
    turn.draft.clear()
    return render.text(str(texts.WELCOME))


def fine(turn: Turn) -> Reply:
    """ "OK" when nothing was asked: acknowledged, nothing more."""
    turn.draft.clear()
    return render.text(str(texts.GREAT))


def bye(turn: Turn) -> Reply:
    turn.draft.clear()
    return render.text(str(texts.GOODBYE) % {"salon": turn.salon.name})
