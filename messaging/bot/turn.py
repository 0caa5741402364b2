"""One inbound message being answered: the conversation, its salon, the clock and the draft."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime

from messaging.models import Conversation, Message
from salons.models import Salon

from .state import Draft, Step


@dataclass
class Turn:
    """`state` is the conversation's bot_state, changed in place; `draft` is read from it and
    written back by the engine once the reply is decided."""

    conversation: Conversation
    salon: Salon
    inbound: Message | None
    now: datetime
    state: dict
    draft: Draft = field(init=False)

    def __post_init__(self) -> None:
        self.draft = Draft.load(self.state)

    @property
    def step(self) -> Step:
        return Step.parse(self.state.get("step"))

    @property
    def zone(self) -> str:
        return self.salon.timezone

    @property
    def today(self) -> date:
        return self.now.astimezone(zoneinfo.ZoneInfo(self.salon.timezone)).date()

    @property
    def holder(self) -> str:
        """Who holds a slot on the confirm step: this conversation (bookings knows no messaging)."""
        return holder_of(self.conversation.pk)

    @property
    def customer(self):
        return self.conversation.customer


def holder_of(conversation_id) -> str:
    return f"conversation:{conversation_id}"
