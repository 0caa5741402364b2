"""One inbound message being answered, and the booking draft kept in the conversation's state.

`bot_state` keys: `step` (where the conversation is), `offset` (the page shown), `opts` ([id,
title] of the last message's rows or buttons), `at`, `upto` and `seen` (the engine's idle clock,
its watermark and the ids answered), and the draft: `svc`, `mst` (a master's id or "any"), `day`,
`time`, `part`, `slot`, `booking`.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime

from messaging.models import Conversation, Message
from salons.models import Salon

BOOKING_STEPS = frozenset({"service", "master", "day", "time", "alternatives", "confirm"})
DRAFT_KEYS = ("svc", "mst", "day", "time", "part", "slot", "booking")


@dataclass
class Turn:
    """One inbound message being answered; `state` is the conversation's bot_state, changed in place."""

    conversation: Conversation
    salon: Salon
    inbound: Message
    now: datetime
    state: dict

    @property
    def zone(self) -> str:
        return self.salon.timezone

    @property
    def today(self) -> date:
        return self.now.astimezone(zoneinfo.ZoneInfo(self.salon.timezone)).date()


def clear_draft(state: dict) -> None:
    for key in DRAFT_KEYS:
        state.pop(key, None)
