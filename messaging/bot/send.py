"""Queueing a Reply (text, list or buttons) as the conversation's next outbound message."""

from __future__ import annotations

import logging

from django.db import transaction

from messaging.models import Conversation, Message, MessageStatus
from messaging.services import delivery, outbound
from messaging.whatsapp.messages import Section
from salonbot import metrics
from salonbot.errors import DomainError

from .render import Reply

logger = logging.getLogger(__name__)


def queue_reply(conversation: Conversation, reply: Reply, key: str) -> Message | None:
    """Queued under `key` (a second call with it returns the first message); None when refused.

    Sent from this process as soon as the bot's transaction commits (delivery.send_now).
    """
    message = _queue(conversation, reply, key)
    if message is not None and message.status == MessageStatus.QUEUED:
        message_id = message.pk
        transaction.on_commit(lambda: _send_now(message_id), robust=True)
    return message


def _send_now(message_id) -> None:
    outcome = delivery.send_now(message_id=message_id)
    metrics.OUTBOUND_SENDS.labels(outcome.status).inc()


def _queue(conversation: Conversation, reply: Reply, key: str) -> Message | None:
    try:
        if reply.rows:
            return outbound.queue_list(
                conversation=conversation,
                text=reply.text,
                button=reply.button,
                sections=[Section(reply.section, reply.rows)],
                idempotency_key=key,
            )
        if reply.buttons:
            return outbound.queue_buttons(
                conversation=conversation, text=reply.text, buttons=reply.buttons, idempotency_key=key
            )
        return outbound.queue_text(conversation=conversation, text=reply.text, idempotency_key=key)
    except DomainError as exc:  # the plan's message limit, an inactive salon, a closed window
        logger.warning("bot message %s to conversation %s not queued: %s", key, conversation.pk, exc.detail)
        return None
