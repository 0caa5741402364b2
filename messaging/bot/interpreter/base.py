"""The interpreter contract (intents, choices, the Interpretation, the Protocol) and how one is loaded."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

DEFAULT_INTERPRETER = "messaging.bot.interpreter.RuleBasedInterpreter"


class Intent(enum.StrEnum):
    GREETING = "greeting"
    BOOK = "book"
    MY_BOOKINGS = "my_bookings"
    CANCEL = "cancel"
    HUMAN = "human"
    HELP = "help"
    YES = "yes"
    NO = "no"
    RESCHEDULE = "reschedule"
    WAITLIST = "waitlist"
    THANKS = "thanks"
    BYE = "bye"
    UNKNOWN = "unknown"


class PartOfDay(enum.StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


@dataclasses.dataclass(frozen=True)
class Choice:
    """Something the customer can name: a service or a master."""

    id: str
    name: str


@dataclasses.dataclass(frozen=True)
class Interpretation:
    """What one message says; dates and times are salon-local wall values."""

    intent: str
    service_id: str | None = None
    master_id: str | None = None
    date: dt.date | None = None
    time: dt.time | None = None
    part_of_day: str | None = None
    any_master: bool = False
    # The first day of a span said without a day in it ("next week"): days are offered from here.
    from_date: dt.date | None = None


@runtime_checkable
class Interpreter(Protocol):
    def interpret(
        self,
        text: str,
        *,
        language: str,
        timezone: str,
        now: dt.datetime,
        services: Sequence[Choice],
        masters: Sequence[Choice],
    ) -> Interpretation: ...


def get_interpreter(dotted_path: str | None = None) -> Interpreter:
    """The interpreter at `dotted_path`, else settings.BOT_INTERPRETER; one instance per path."""
    if dotted_path is None:
        dotted_path = getattr(settings, "BOT_INTERPRETER", None) or DEFAULT_INTERPRETER
    return _load_interpreter(dotted_path)


@functools.cache
def _load_interpreter(dotted_path: str) -> Interpreter:
    try:
        target = import_string(dotted_path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"Bot interpreter {dotted_path!r} cannot be imported: {exc}") from exc
    interpreter = target() if isinstance(target, type) else target
    if not isinstance(interpreter, Interpreter):
        raise ImproperlyConfigured(f"Bot interpreter {dotted_path!r} has no interpret() method.")
    return interpreter
