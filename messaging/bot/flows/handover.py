"""A person takes over: the bot steps aside and says when someone will answer.

The customer hears it twice at most: with the hand-over itself, and once more if they write
again before a person has answered ("hello?"), each time with when that will be — now if the
salon is open, else its next opening. The conversation stays marked as waiting for the owner:
these automatic messages go out while the bot is paused, which does not count as an answer
(`outbound._create`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone, translation

from bookings.selectors import salon_opening
from messaging.models import Conversation, Direction, Message
from messaging.services import outbound
from messaging.services.conversations import set_bot_paused
from salonbot.errors import DomainError
from salons.models import Salon

from .. import render, texts
from ..render import Reply
from ..state import Step
from ..turn import Turn

logger = logging.getLogger(__name__)


def handoff(turn: Turn) -> Reply:
    """Paused (the owner sees the flag and the waiting mark) until someone hands it back."""
    set_bot_paused(conversation=turn.conversation, paused=True)
    turn.draft.clear()  # and the engine releases a held slot: the reply is not a confirm step
    turn.state["paused_at"] = turn.now.isoformat()
    turn.state.pop("acked", None)
    said = str(texts.HANDOFF) % {"salon": turn.salon.name}
    return render.text(f"{said} {when_answered(turn.salon, turn.now)}", step=Step.HUMAN)


def when_answered(salon: Salon, now: datetime) -> str:
    is_open, opens = salon_opening(salon, now)
    if is_open:
        return str(texts.OPEN_NOW)
    if opens is not None:
        return str(texts.OPENS_AT) % {"when": texts.when(opens, salon.timezone)}
    return str(texts.ANSWER_SOON)


def acknowledge(*, message_id) -> Message | None:
    """The customer wrote while a person is in charge: one "we have it, someone answers at …".

    Once per hand-over, and only while no person has written to them since it: once they are
    talking, an automatic line would only interrupt.
    """
    with transaction.atomic():
        inbound = Message.objects.filter(pk=message_id, direction=Direction.IN).first()
        if inbound is None:
            return None
        conversation = (
            Conversation.objects.select_for_update(of=("self",)).select_related("salon").get(pk=inbound.conversation_id)
        )
        state = dict(conversation.bot_state or {})
        if not conversation.bot_paused or state.get("acked"):
            return None
        answered = Message.objects.filter(conversation=conversation, direction=Direction.OUT, sent_by__isnull=False)
        paused_at = _parse(state.get("paused_at"))
        if paused_at is not None:
            answered = answered.filter(created_at__gte=paused_at)
        if answered.exists():
            return None
        salon = conversation.salon
        with translation.override(salon.language):
            text = f"{texts.WAITING_NOTED % {'salon': salon.name}} {when_answered(salon, timezone.now())}"
        try:
            message = outbound.queue_text(conversation=conversation, text=text, idempotency_key=f"bot:{inbound.pk}")
        except DomainError as exc:  # the plan's message limit, a closed window: the owner still sees it waiting
            logger.warning("hand-over acknowledgement for message %s not queued: %s", inbound.pk, exc.detail)
            return None
        state["acked"] = True
        Conversation.objects.filter(pk=conversation.pk).update(bot_state=state, updated_at=timezone.now())
        return message


def _parse(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None
