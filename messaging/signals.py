"""Signals messaging sends, after commit, for the apps that build on it (the bot, analytics).

Receivers run in the process that stored the message (a Celery worker for inbound ones); an
exception in one is logged and does not stop the others.
"""

import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

# New inbound messages the bot should answer, only while the conversation's bot is not paused:
# sent once per conversation per processed batch, with the newest of its new messages (the bot
# answers the earlier unanswered ones too, in order). kwargs: message_id, conversation_id, salon_id
inbound_message = Signal()

# New inbound messages that ask something, while a person has taken the conversation over: the
# bot only acknowledges (once), it does not answer. Once per conversation per batch, with the
# newest asking message. kwargs: message_id, conversation_id, salon_id
inbound_while_paused = Signal()

# Messages stored, inbound or outbound (dashboard caches): once per salon per processed batch of
# inbound messages, once per outbound message. kwargs: salon_id, direction
message_stored = Signal()

# An outbound message failed for good: at send time or by a later `failed` status. kwargs: message_id
message_failed = Signal()

# An outbound message's status moved (sent, delivered, read, failed, outcome unknown).
# kwargs: message_id, salon_id, status, idempotency_key (None when the sender did not have it)
message_status_changed = Signal()


def announce_failure(message_id) -> None:
    """After commit, tell the receivers (reminders) that this outbound message failed."""
    transaction.on_commit(lambda: send_logged(message_failed, message_id=message_id), robust=True)


def announce_status(message_id, *, salon_id, status: str, idempotency_key: str | None = None) -> None:
    """After commit, tell the receivers (the message's reminder, the dashboard) that its status moved.

    `idempotency_key` ("" for none), when the caller has the message in hand, spares each receiver
    reading the message again only to learn it is not theirs (a batch of statuses is mostly not reminders).
    """
    transaction.on_commit(
        lambda: send_logged(
            message_status_changed,
            message_id=message_id,
            salon_id=salon_id,
            status=status,
            idempotency_key=idempotency_key,
        ),
        robust=True,
    )


def send_logged(signal: Signal, **kwargs) -> None:
    """Send to every receiver; a failing one is logged, and the rest still run."""
    for receiver, result in signal.send_robust(sender=None, **kwargs):
        if isinstance(result, Exception):
            logger.error("receiver %r of a messaging signal failed", receiver, exc_info=result)
