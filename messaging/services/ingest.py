"""Processing a stored webhook event: route, upsert customer and conversation, store, apply statuses.

Idempotent: every inbound message is stored once (the unique wamid decides, however many
deliveries race), statuses only move forward, and signals go out only for rows this run created.
So a redelivered task or an admin replay changes nothing that is already right.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from messaging.models import Conversation, ConversationStatus, Direction, Message, MessageStatus, WebhookEvent
from messaging.signals import inbound_message, inbound_while_paused, message_stored, send_logged
from messaging.whatsapp.payloads import InboundMessage, StatusUpdate, parse_webhook
from salons.models import Customer, Salon
from salons.services import count_usage, upsert_customer

from . import routing
from .statuses import META_STATUSES, StatusChange, apply_status

logger = logging.getLogger(__name__)

# Inbound types that ask nothing, so they do not make the conversation wait for an answer: a
# reaction to one of our messages, a system notice (the bot stays silent on them too).
NOT_A_QUESTION = frozenset({"reaction", "system"})


def process_webhook_event(*, event_id) -> WebhookEvent:
    """Process (or re-process) one stored event; records what it could not use on the event."""
    return process_event(WebhookEvent.objects.get(pk=event_id))


def process_event(event: WebhookEvent) -> WebhookEvent:
    """One event, item by item: a failing item is recorded on the event and costs only itself.

    What an admin replay runs, and how a batch that failed (ingest_batch) is processed instead.
    """
    try:
        body = json.loads(event.body)
        batch = parse_webhook(body)
    except ValueError as exc:  # invalid JSON, or JSON that is not an object
        return _finish(event, salon=None, problems=[], errors=[f"unreadable body: {exc}"])

    problems = list(batch.problems)
    errors: list[str] = []
    salons: dict[str, Salon | None] = {}
    for number in [m.phone_number_id for m in batch.messages] + [s.phone_number_id for s in batch.statuses]:
        if number not in salons:
            salons[number] = routing.salon_for_phone_number_id(number)
    unknown = Counter(m.phone_number_id for m in batch.messages if salons[m.phone_number_id] is None)
    unknown.update(s.phone_number_id for s in batch.statuses if salons[s.phone_number_id] is None)
    for number, count in unknown.items():
        problems.append(f"phone_number_id {number}: no salon uses this number; {count} item(s) ignored")

    # Oldest first, so the conversation and the bot see them in the customer's order.
    for item in sorted(batch.messages, key=lambda m: m.timestamp):
        salon = salons[item.phone_number_id]
        if salon is not None:
            _guard(
                errors, f"message {item.wamid}", lambda item=item, salon=salon: store_inbound(salon=salon, item=item)
            )
    for update in batch.statuses:
        salon = salons[update.phone_number_id]
        if salon is not None:
            _guard(errors, f"status {update.wamid}", lambda u=update, salon=salon: _apply(salon, u, problems))
    for other in batch.others:
        logger.info("WhatsApp webhook change %r ignored (waba %s): %s", other.field, other.waba_id, other.value)

    routed = {salon.pk: salon for salon in salons.values() if salon is not None}
    return _finish(
        event, salon=next(iter(routed.values())) if len(routed) == 1 else None, problems=problems, errors=errors
    )


def store_inbound(*, salon: Salon, item: InboundMessage) -> Message | None:
    """Store one inbound message unless its wamid is already stored; returns it only when new."""
    # A cheap early exit for Meta's re-deliveries; the unique constraint below is the real guard.
    if Message.objects.filter(wamid=item.wamid).exists():
        return None
    with transaction.atomic():
        conversation = _conversation(salon, item)
        message, created = _get_or_create_message(salon, conversation, item)
        if not created:
            return None
        # Conversation before usage counter: the order outbound queueing locks them in too.
        asks = item.type not in NOT_A_QUESTION
        bot_paused = _touch_conversation(conversation, item.timestamp, asks=asks)
        count_usage(salon=salon, kind="messages")
        ids = {"message_id": message.pk, "conversation_id": conversation.pk, "salon_id": salon.pk}
        transaction.on_commit(
            lambda: send_logged(message_stored, salon_id=ids["salon_id"], direction=Direction.IN), robust=True
        )
        if not bot_paused:
            transaction.on_commit(lambda: send_logged(inbound_message, **ids), robust=True)
        elif asks:
            transaction.on_commit(lambda: send_logged(inbound_while_paused, **ids), robust=True)
    return message


def _conversation(salon: Salon, item: InboundMessage) -> Conversation:
    customer = _customer(salon, item)
    try:
        with transaction.atomic():
            conversation, created = Conversation.objects.get_or_create(
                salon=salon, wa_id=item.wa_id, defaults={"customer": customer}
            )
    except IntegrityError:  # a concurrent first message from the same person won
        conversation, created = Conversation.objects.get(salon=salon, wa_id=item.wa_id), False
    if not created and conversation.customer_id is None and customer is not None:
        conversation.customer = customer
        conversation.save(update_fields=["customer", "updated_at"])
    return conversation


def _customer(salon: Salon, item: InboundMessage) -> Customer | None:
    try:
        return upsert_customer(salon=salon, phone=item.wa_id, name=item.profile_name, wa_id=item.wa_id)
    except ValidationError:
        # A business-scoped user id is not a phone number: keep the conversation without a customer.
        logger.info("WhatsApp sender %r is not a phone number; no customer row", item.wa_id)
        return None


def _get_or_create_message(salon: Salon, conversation: Conversation, item: InboundMessage) -> tuple[Message, bool]:
    defaults = {
        "salon": salon,
        "conversation": conversation,
        "direction": Direction.IN,
        "type": item.type[:32],
        "text": item.text,
        "truncated": item.truncated,
        "payload": item.payload,
        "status": MessageStatus.RECEIVED,
        "reply_id": (item.reply_id or "")[:256],
        "context_wamid": (item.context_wamid or "")[:128],
        "sent_at": item.timestamp,
    }
    # get_or_create inserts in a savepoint and, on the unique-constraint error a concurrent insert
    # causes, reads the winner's row: one row per wamid without a check-then-insert race.
    return Message.objects.get_or_create(wamid=item.wamid, defaults=defaults)


def _touch_conversation(conversation: Conversation, at: datetime, *, asks: bool = True) -> bool:
    """Move the window and recency forward (never back: batches arrive out of order); reopen it.

    A message that `asks` makes the conversation wait for an answer, from its earliest unanswered
    message on (the least time: batches arrive out of order), whoever is in charge. The bot's
    answer clears it within seconds, so a mark that stays on a bot conversation means the bot
    could not answer (the plan's limit, a failure): the owner sees that too.
    """
    stamp = Value(at)
    changes = {
        "last_inbound_at": Greatest(Coalesce(F("last_inbound_at"), stamp), stamp),
        "last_message_at": Greatest(Coalesce(F("last_message_at"), stamp), stamp),
        "status": ConversationStatus.OPEN,
        "updated_at": timezone.now(),
    }
    if asks:
        changes["waiting_since"] = Least(Coalesce(F("waiting_since"), stamp), stamp)
    Conversation.objects.filter(pk=conversation.pk).update(**changes)
    # Read under the row lock the UPDATE took: a pause committed a moment ago is seen.
    return Conversation.objects.filter(pk=conversation.pk).values_list("bot_paused", flat=True).get()


def _apply(salon: Salon, update: StatusUpdate, problems: list[str]) -> None:
    status = META_STATUSES.get(update.status)
    if status is None:
        problems.append(f"status {update.wamid}: unknown status {update.status!r} ignored")
        return
    change = StatusChange(status, update.timestamp, update.error_code, update.error_title)
    callback = update.payload.get("biz_opaque_callback_data")
    apply_status(salon=salon, wamid=update.wamid, change=change, callback=callback if isinstance(callback, str) else "")


def _guard(errors: list[str], what: str, work) -> None:
    # One bad item must not cost the others; the event records it and can be replayed.
    try:
        work()
    except Exception as exc:
        logger.exception("processing %s of a WhatsApp webhook failed", what)
        errors.append(f"{what}: {type(exc).__name__}: {exc}")


def _finish(event: WebhookEvent, *, salon: Salon | None, problems: list[str], errors: list[str]) -> WebhookEvent:
    # One write at the end (each commit costs a disk flush). A run that dies before it is counted
    # by the recovery sweep instead, which re-enqueues the event.
    event.salon = salon
    event.problems = problems
    event.error = "\n".join(errors)
    event.processed_at = timezone.now()
    event.attempts = F("attempts") + 1
    event.save(update_fields=["salon", "problems", "error", "processed_at", "attempts", "updated_at"])
    event.refresh_from_db(fields=["attempts"])
    return event
