"""What a tap does: one handler per kind of row or button id (`ids.py`), looked up in a table.

Every id the bot ever sent keeps a handler here, so a tap on an old list or on a template's
quick reply still means what it said when it was sent.
"""

from __future__ import annotations

from collections.abc import Callable

from .flows import booking, confirm, handover, mybookings, reschedule, waitlist
from .ids import Tap
from .render import Reply
from .turn import Turn

Handler = Callable[[Turn, Tap], Reply]


def _menu(turn: Turn, tap: Tap) -> Reply:
    if tap.more == "mine":
        return mybookings.my_bookings(turn)
    if tap.more == "human":
        return handover.handoff(turn)
    turn.draft.clear()  # "Book a visit": a new booking from the start
    return booking.advance(turn)


def _more_services(turn: Turn, tap: Tap) -> Reply:
    return booking.services_step(turn, offset=tap.offset)


def _more_bookings(turn: Turn, tap: Tap) -> Reply:
    return mybookings.my_bookings(turn, offset=tap.offset)


# The next page of a list: which list is in the id (`more:<list>:...`).
MORE: dict[str, Handler] = {
    "svc": _more_services,
    "bk": _more_bookings,
    "mst": booking.tap_more_masters,
    "day": booking.tap_more_days,
    "slot": booking.tap_more_times,
}


def _more(turn: Turn, tap: Tap) -> Reply:
    return MORE[tap.more](turn, tap)


HANDLERS: dict[str, Handler] = {
    "menu": _menu,
    "more": _more,
    "svc": booking.tap_service,
    "mst": booking.tap_master,
    "chg": booking.tap_change,
    "day": booking.tap_day,
    "part": booking.tap_part,
    "slot": booking.tap_slot,
    "name": confirm.tap_name,
    "ok": confirm.tap_confirm,
    "cxl": mybookings.tap_cancel,
    "cxl-yes": mybookings.tap_cancel_yes,
    "cxl-no": mybookings.tap_cancel_no,
    "mvb": reschedule.tap_pick,
    "mv": reschedule.tap_move,
    "wlj": waitlist.tap_join,
    "wl": waitlist.tap_accept,
    "wl-no": waitlist.tap_decline,
}

# Taps that stand on their own, long after the conversation's last message: a waiting-list offer
# arrives days later, and its answer must not be turned away as an expired flow's stale tap.
STANDALONE = frozenset({"wl", "wl-no"})


def on_tap(turn: Turn, tap: Tap) -> Reply:
    """A row or button of one of our messages (or a typed number or title that picked one)."""
    return HANDLERS[tap.kind](turn, tap)
