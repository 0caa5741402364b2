"""Answering inbound messages: one conversation at a time, in order, each message once.

`handle_inbound(message_id=...)` runs for every new inbound message of a conversation whose bot
is not paused (the `inbound_message` signal). In one transaction it locks the conversation row
(so two workers never interleave one customer's messages), answers every earlier message of the
conversation that is still unanswered and then this one, and saves the state with the replies:

- each reply is queued with the idempotency key `bot:<inbound message id>` (the booked message
  with the booking's confirmation key), and the ids answered are kept in `bot_state["seen"]`,
  so the same message is never answered twice, however often it is handed in;
- state is dropped after 30 idle minutes: the next message starts again from the menu and says so;
- a slot held on the confirm step is let go as soon as the reply is anything else.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone, translation

from bookings.holds import release_holds
from messaging.models import Conversation, Direction, Message
from salonbot.outages import persist

from . import ids, render, texts
from .freetext import respond
from .render import Reply
from .send import queue_reply
from .state import BOOKING_STEPS, Draft, Step
from .taps import STANDALONE
from .turn import Turn, holder_of

logger = logging.getLogger(__name__)

IDLE_EXPIRY = timedelta(minutes=30)
SEEN_KEPT = 30  # answered message ids remembered; older ones are below the `upto` watermark anyway
CATCH_UP_LIMIT = 10  # earlier unanswered messages answered before this one, at most


def reply_key(message_id) -> str:
    return f"bot:{message_id}"


def handle_inbound(*, message_id) -> list[Message]:
    """Answer this inbound message (and any earlier unanswered one); returns the messages queued."""
    try:
        # One transaction, answered once (`seen`): a database restart is waited out and tried again,
        # rather than answered with an apology that cannot be stored either.
        return persist(_handle, message_id)
    except Exception:
        # A bug must cost the customer one apology, not their conversation.
        logger.exception("the bot failed on inbound message %s", message_id)
        return _apologise(message_id)


def _handle(message_id) -> list[Message]:
    with transaction.atomic():
        inbound = Message.objects.filter(pk=message_id, direction=Direction.IN).first()
        if inbound is None:
            return []
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("salon", "customer")
            .get(pk=inbound.conversation_id)
        )
        state = dict(conversation.bot_state or {})
        sent = []
        for message in _unanswered(conversation, state, inbound):
            if conversation.bot_paused:  # a person took over (perhaps in the previous message)
                break
            queued = _answer(conversation, state, message)
            if queued is not None:
                sent.append(queued)
        Conversation.objects.filter(pk=conversation.pk).update(bot_state=state, updated_at=timezone.now())
    return sent


def _unanswered(conversation: Conversation, state: dict, inbound: Message) -> list[Message]:
    """This message and the conversation's earlier inbound ones no run has answered yet, in order.

    Earlier means stored before this one and after the last answered message (or the moment the
    bot was handed back: `upto`, our clock), and sent within the idle expiry: older ones are not
    worth an answer now. A message still being stored is answered by its own signal later.
    """
    seen = set(state.get("seen") or [])
    if str(inbound.pk) in seen:
        return []
    earlier = Message.objects.filter(
        conversation=conversation, direction=Direction.IN, created_at__lte=inbound.created_at
    ).exclude(pk=inbound.pk)
    upto = _parse(state.get("upto"))
    if upto is not None:
        earlier = earlier.filter(created_at__gt=upto)
    if inbound.sent_at is not None:
        earlier = earlier.filter(sent_at__gte=inbound.sent_at - IDLE_EXPIRY)
    pending = [m for m in earlier.order_by("-created_at")[:CATCH_UP_LIMIT] if str(m.pk) not in seen]
    return sorted([*pending, inbound], key=lambda m: (m.sent_at or m.created_at, m.created_at))


def _answer(conversation: Conversation, state: dict, inbound: Message) -> Message | None:
    salon = conversation.salon
    now = timezone.now()
    at = inbound.sent_at or now
    with translation.override(salon.language):
        expired = _expired(state, at)
        tap = ids.parse(inbound.reply_id)
        if expired and tap is not None and tap.kind not in STANDALONE:
            # A tap on a list from before the pause: start again from the menu rather than act on it.
            reply = render.menu(salon.name, greet=False)
        else:
            turn = Turn(conversation=conversation, salon=salon, inbound=inbound, now=now, state=state)
            reply = respond(turn)
            turn.draft.save(state)
        if expired and reply is not None:
            reply = reply.after(str(texts.EXPIRED))
        message = _queue(conversation, reply, inbound) if reply is not None else None
    if state.get("held") and (reply is None or reply.step != Step.CONFIRM):
        # The customer moved on from the confirm step: the time they were shown is free again now.
        release_holds(holder=holder_of(conversation.pk))
        state.pop("held")
    _remember(state, inbound, at, reply)
    return message


def _expired(state: dict, at: datetime) -> bool:
    """Drop a draft left idle too long; True when there was one to drop (the customer is told)."""
    last = _parse(state.get("at"))
    if last is None or at - last < IDLE_EXPIRY:
        return False
    in_flow = Step.parse(state.get("step")) in (*BOOKING_STEPS, Step.BOOKINGS, Step.CANCEL, Step.MOVE)
    Draft().save(state)
    state.pop("opts", None)
    state["step"] = Step.MENU
    return in_flow


def _remember(state: dict, inbound: Message, at: datetime, reply: Reply | None) -> None:
    if reply is not None:
        state["step"] = str(reply.step or Step.MENU)
        state["offset"] = reply.offset
        state["opts"] = reply.options()
        if reply.step == Step.HUMAN:  # a person answers from here; the bot starts afresh when resumed
            Draft().save(state)
            state.pop("opts", None)
    last = _parse(state.get("at"))
    state["at"] = max(at, last).isoformat() if last else at.isoformat()
    upto = _parse(state.get("upto"))
    state["upto"] = max(inbound.created_at, upto).isoformat() if upto else inbound.created_at.isoformat()
    state["seen"] = [*(state.get("seen") or []), str(inbound.pk)][-SEEN_KEPT:]


def _queue(conversation: Conversation, reply: Reply, inbound: Message) -> Message | None:
    return queue_reply(conversation, reply, reply.idempotency_key or reply_key(inbound.pk))


def _apologise(message_id) -> list[Message]:
    try:
        with transaction.atomic():
            inbound = Message.objects.filter(pk=message_id, direction=Direction.IN).first()
            if inbound is None:
                return []
            conversation = (
                Conversation.objects.select_for_update().select_related("salon").get(pk=inbound.conversation_id)
            )
            if conversation.bot_paused:
                return []
            with translation.override(conversation.salon.language):
                reply = render.menu(conversation.salon.name, greet=False).after(str(texts.ERROR))
                message = _queue(conversation, reply, inbound)
            # Start over: a draft that made the bot fail would make it fail again.
            state: dict = {"seen": (conversation.bot_state or {}).get("seen", [])}
            _remember(state, inbound, inbound.sent_at or timezone.now(), reply)
            Conversation.objects.filter(pk=conversation.pk).update(bot_state=state, updated_at=timezone.now())
            return [message] if message is not None else []
    except Exception:
        logger.exception("the bot could not even apologise for inbound message %s", message_id)
        return []


def _parse(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
