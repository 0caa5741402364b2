"""The conversation's typed state: the step it is at, and the draft of what the customer said.

Both live in `Conversation.bot_state` (JSON). The keys written before this module existed
(`step`, `svc`, `mst`, `day`, `time`, `part`, `slot`, `booking`) keep their names and formats, so a
conversation that was mid-flow when the bot was upgraded goes on where it was. A value that does
not parse is dropped, not trusted: the flow asks for that piece again.
"""

from __future__ import annotations

import contextlib
import enum
import uuid
from dataclasses import dataclass, fields
from datetime import date, datetime, time

from bookings.models import DayPart

from . import ids


class Step(enum.StrEnum):
    MENU = "menu"
    SERVICE = "service"
    MASTER = "master"
    DAY = "day"
    PART = "part"  # morning, afternoon or evening of a busy day
    TIME = "time"
    ALTERNATIVES = "alternatives"
    NAME = "name"  # asked once, before a new customer's first confirmation
    CONFIRM = "confirm"
    DONE = "done"
    BOOKINGS = "bookings"
    CANCEL = "cancel"
    MOVE = "move"  # which booking to move
    WAITLIST = "waitlist"  # which day to watch for
    HUMAN = "human"

    @classmethod
    def parse(cls, value) -> Step:
        try:
            return cls(value)
        except ValueError:
            return cls.MENU


# Steps of making (or moving) a booking: the draft means something only while in one of them.
BOOKING_STEPS = frozenset(
    {Step.SERVICE, Step.MASTER, Step.DAY, Step.PART, Step.TIME, Step.ALTERNATIVES, Step.NAME, Step.CONFIRM}
)


@dataclass
class Draft:
    """What the customer has said so far; every later step uses it, a correction replaces one piece."""

    service: str | None = None  # a service id
    master: str | None = None  # a master id, or ids.ANY
    day: date | None = None  # salon-local
    part: str | None = None  # a DayPart value
    time: time | None = None  # a wall time said for the day ("at 10")
    slot: datetime | None = None  # the start on the confirm step (held for the customer)
    after: date | None = None  # offer days from here ("next week")
    booking: str | None = None  # the booking being cancelled
    moving: str | None = None  # the booking being moved

    # JSON key of each field: the historic short names, and how a value is read and written.
    _KEYS = {
        "service": "svc",
        "master": "mst",
        "day": "day",
        "part": "part",
        "time": "time",
        "slot": "slot",
        "after": "from",
        "booking": "booking",
        "moving": "move",
    }

    @classmethod
    def load(cls, state: dict) -> Draft:
        draft = cls()
        for name, key in cls._KEYS.items():
            raw = state.get(key)
            if raw in (None, ""):
                continue
            with contextlib.suppress(TypeError, ValueError):  # unreadable: asked again, not trusted
                setattr(draft, name, _READERS[name](raw))
        return draft

    def save(self, state: dict) -> None:
        for name, key in self._KEYS.items():
            value = getattr(self, name)
            if value is None:
                state.pop(key, None)
            else:
                state[key] = _WRITERS.get(name, str)(value)

    def clear(self) -> None:
        for item in fields(self):
            setattr(self, item.name, None)

    def keep_only(self, *names: str) -> None:
        for item in fields(self):
            if item.name not in names:
                setattr(self, item.name, None)

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, item.name) is None for item in fields(self))


def _uuid(value) -> str:
    return str(uuid.UUID(str(value)))


def _master(value) -> str:
    return ids.ANY if value == ids.ANY else _uuid(value)


def _part(value) -> str:
    if value not in DayPart.values:
        raise ValueError(value)
    return value


_READERS = {
    "service": _uuid,
    "master": _master,
    "day": date.fromisoformat,
    "part": _part,
    "time": time.fromisoformat,
    "slot": ids.parse_stamp,
    "after": date.fromisoformat,
    "booking": _uuid,
    "moving": _uuid,
}
_WRITERS = {
    "day": date.isoformat,
    "after": date.isoformat,
    "time": lambda value: value.strftime("%H:%M"),
    "slot": ids.stamp,
}
