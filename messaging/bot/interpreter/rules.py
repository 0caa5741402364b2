"""RuleBasedInterpreter: the default interpreter, built from the keyword, date and name rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from .base import Choice, Intent, Interpretation
from .dates import _local_now, _When
from .intents import (
    _ANY_MASTER,
    _ANY_NO,
    _ANY_YES,
    _BOOK,
    _BYE,
    _CANCEL,
    _FUZZY_INTENT_WORDS,
    _GREETING,
    _HELP,
    _HUMAN,
    _LEADING_NO,
    _LEADING_YES,
    _MY_BOOKINGS,
    _NEGATED_CANCEL,
    _NEGATED_NAME,
    _RESCHEDULE,
    _STRONG_YES,
    _THANKS,
    _WAITLIST,
    _unless_head_count,
)
from .names import _best_choice
from .scanner import _Scanner
from .text import _fuzzy_lookup, _prepare


class RuleBasedInterpreter:
    """Keywords in English and Russian, loose name matching and date rules; no model, no database."""

    def interpret(
        self,
        text: str,
        *,
        language: str,
        timezone: str,
        now: dt.datetime,
        services: Sequence[Choice],
        masters: Sequence[Choice],
    ) -> Interpretation:
        local_now = _local_now(now, timezone)
        scan = _Scanner(_prepare(text))
        greeting = bool(scan.take(_GREETING))
        any_master = bool(scan.take(_ANY_MASTER))
        when = _When(local_now=local_now, language=language, timezone=timezone)
        when.read(scan)

        flags = {intent: False for intent in Intent}
        flags[Intent.GREETING] = greeting
        flags[Intent.HUMAN] = bool(scan.take(_HUMAN, _unless_head_count))
        flags[Intent.RESCHEDULE] = bool(scan.take(_RESCHEDULE))
        flags[Intent.WAITLIST] = bool(scan.take(_WAITLIST))  # before cancel: "if someone cancels"
        negated_cancel = bool(scan.take(_NEGATED_CANCEL))
        flags[Intent.CANCEL] = bool(scan.take(_CANCEL))
        flags[Intent.MY_BOOKINGS] = bool(scan.take(_MY_BOOKINGS))
        leading_no = bool(scan.take(_LEADING_NO)) or negated_cancel
        leading_yes = bool(scan.take(_LEADING_YES)) or bool(scan.take(_STRONG_YES))
        flags[Intent.BOOK] = bool(scan.take(_BOOK))
        flags[Intent.HELP] = bool(scan.take(_HELP))
        any_yes, any_no = bool(scan.take(_ANY_YES)), bool(scan.take(_ANY_NO))
        flags[Intent.THANKS] = bool(scan.take(_THANKS))
        flags[Intent.BYE] = bool(scan.take(_BYE))
        scan.take(_NEGATED_NAME)  # a name said with "not" is the one being replaced

        tokens = scan.tokens()
        when.read_fuzzy(tokens)
        service, used = _best_choice(tokens, services)
        tokens = [t for i, t in enumerate(tokens) if i not in used]
        master, used = _best_choice(tokens, masters)
        tokens = [t for i, t in enumerate(tokens) if i not in used]
        if not any(flags.values()) and not (leading_yes or leading_no or any_yes or any_no):
            for token in tokens:
                intent = _fuzzy_lookup(token, _FUZZY_INTENT_WORDS)
                if intent is not None:
                    flags[intent] = True

        date, time, part = when.resolve()
        from_date = when.week_start if date is None else None
        has_details = any((service, master, date, time, part, any_master, from_date))
        ranked = [
            (Intent.HUMAN, flags[Intent.HUMAN]),
            (Intent.RESCHEDULE, flags[Intent.RESCHEDULE]),
            (Intent.NO, leading_no),
            (Intent.WAITLIST, flags[Intent.WAITLIST]),
            (Intent.CANCEL, flags[Intent.CANCEL]),
            (Intent.MY_BOOKINGS, flags[Intent.MY_BOOKINGS]),
            (Intent.YES, leading_yes),
            (Intent.BOOK, flags[Intent.BOOK]),
            (Intent.HELP, flags[Intent.HELP]),
            (Intent.YES, any_yes),
            (Intent.NO, any_no),
            (Intent.BOOK, has_details),
            (Intent.GREETING, flags[Intent.GREETING]),
            (Intent.THANKS, flags[Intent.THANKS]),
            (Intent.BYE, flags[Intent.BYE]),
        ]
        intent = next((intent for intent, present in ranked if present), Intent.UNKNOWN)
        return Interpretation(
            intent=intent,
            service_id=service.id if service else None,
            master_id=master.id if master else None,
            date=date,
            time=time,
            part_of_day=part,
            any_master=any_master,
            from_date=from_date,
        )
