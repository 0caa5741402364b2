"""Queueing outbound WhatsApp messages: the one path the API, the bot, reminders and confirmations use.

Each function creates a Message (direction OUT, status QUEUED, payload = the exact Graph body),
counts it against the salon's monthly message limit, and enqueues the send task on commit. Free
text and interactive messages need the 24-hour customer-service window; templates go any time.

    queue_text(conversation=c, text="See you tomorrow!")
    queue_interactive(conversation=c, body=messages.list_body(c.wa_id, "Pick a time", "Times", sections))
    queue_template(conversation=c, template=t, parameters=["Anna", "Haircut", "Mon 10:00"])

Pass `idempotency_key` when the same call may run twice (a task redelivered, a signal replayed):
the second call returns the first message instead of queueing another.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from messaging.models import Conversation, Direction, Message, MessageStatus, MessageTemplate
from messaging.signals import message_stored, send_logged
from messaging.whatsapp import messages as wa
from salonbot.errors import InvalidInput, OutsideCustomerServiceWindow, SalonInactive
from salons.services import consume_usage

from .jobs import SEND_MESSAGE, enqueue
from .statuses import callback_data

logger = logging.getLogger(__name__)


def queue_text(
    *,
    conversation: Conversation,
    text: str,
    actor=None,
    reply_to_wamid: str | None = None,
    idempotency_key: str | None = None,
) -> Message:
    """Free-form text; raises OutsideCustomerServiceWindow after 24 h of customer silence."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("The text must not be empty.", field="text")
    body = wa.text_body(conversation.wa_id, text, reply_to=reply_to_wamid)
    return _queue(
        conversation=conversation,
        body=body,
        text=body["text"]["body"],
        needs_window=True,
        actor=actor,
        idempotency_key=idempotency_key,
    )


def queue_interactive(
    *, conversation: Conversation, body: dict[str, Any], actor=None, idempotency_key: str | None = None
) -> Message:
    """A list or reply-button message built with `messaging.whatsapp.messages.list_body/buttons_body`.

    The recipient is always the conversation's: whatever `to` the builder was given is replaced.
    A body that breaks the Cloud API's limits is a programming error (ValueError), not a 4xx.
    """
    if not isinstance(body, dict) or body.get("type") != "interactive":
        raise ValueError("queue_interactive takes a body from list_body() or buttons_body()")
    body = {**body, "to": conversation.wa_id}
    problems = wa.validate_outbound(body)
    if problems:
        raise ValueError(f"interactive body breaks the Cloud API limits: {'; '.join(problems)}")
    interactive = body["interactive"]
    return _queue(
        conversation=conversation,
        body=body,
        text=interactive.get("body", {}).get("text", ""),
        needs_window=True,
        actor=actor,
        idempotency_key=idempotency_key,
    )


def queue_list(
    *,
    conversation: Conversation,
    text: str,
    button: str,
    sections: Sequence[wa.Section],
    header: str | None = None,
    footer: str | None = None,
    idempotency_key: str | None = None,
) -> Message:
    """Shorthand for queue_interactive(body=list_body(...)): the customer opens `button` and picks a row."""
    body = wa.list_body(conversation.wa_id, text, button, sections, header=header, footer=footer)
    return queue_interactive(conversation=conversation, body=body, idempotency_key=idempotency_key)


def queue_buttons(
    *,
    conversation: Conversation,
    text: str,
    buttons: Sequence[wa.Button],
    header: str | None = None,
    footer: str | None = None,
    idempotency_key: str | None = None,
) -> Message:
    """Shorthand for queue_interactive(body=buttons_body(...)): up to three reply buttons."""
    body = wa.buttons_body(conversation.wa_id, text, buttons, header=header, footer=footer)
    return queue_interactive(conversation=conversation, body=body, idempotency_key=idempotency_key)


def queue_template(
    *,
    conversation: Conversation,
    template: MessageTemplate,
    parameters: Sequence[str] = (),
    quick_replies: Sequence[str] = (),
    actor=None,
    idempotency_key: str | None = None,
) -> Message:
    """An approved template: allowed outside the 24-hour window. Parameters fill {{1}}, {{2}}, ..."""
    if template.salon_id != conversation.salon_id:
        raise InvalidInput("The template belongs to another salon.", field="template_id")
    parameters = [str(p) for p in parameters]
    expected = template.parameter_count
    if len(parameters) != expected:
        raise InvalidInput(
            f"Template {template.name} takes {expected} parameter(s), got {len(parameters)}.", field="parameters"
        )
    try:
        body = wa.template_body(
            conversation.wa_id, template.name, template.language, parameters, quick_replies=quick_replies
        )
    except ValueError as exc:  # an empty parameter: Meta would refuse it with 131008
        raise InvalidInput(str(exc), field="parameters") from exc
    return _queue(
        conversation=conversation,
        body=body,
        text=template.render(parameters),
        needs_window=False,
        actor=actor,
        template=template,
        idempotency_key=idempotency_key,
    )


def _queue(
    *,
    conversation: Conversation,
    body: dict[str, Any],
    text: str,
    needs_window: bool,
    actor=None,
    template: MessageTemplate | None = None,
    idempotency_key: str | None = None,
) -> Message:
    if idempotency_key:
        existing = Message.objects.filter(salon_id=conversation.salon_id, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            return _create(conversation, body, text, needs_window, actor, template, idempotency_key)
    except IntegrityError:
        if idempotency_key is None:
            raise
        # A concurrent call with the same key won; its message is the answer (our usage unit and
        # row were rolled back with the savepoint).
        return Message.objects.get(salon_id=conversation.salon_id, idempotency_key=idempotency_key)


def _create(conversation, body, text, needs_window, actor, template, idempotency_key) -> Message:
    # Locked so the window check and last_message_at see the latest inbound message; conversation
    # before usage counter, the same order as inbound processing, so the two cannot deadlock.
    # of=self: the salon is only read. Locking its row too (what a plain FOR UPDATE over the join
    # does) made every queued message conflict with any insert referencing the salon (the FK's
    # KEY SHARE lock), and deadlocked the bot's booking against the usage counter.
    locked = Conversation.objects.select_for_update(of=("self",)).select_related("salon").get(pk=conversation.pk)
    if not locked.salon.is_active:
        raise SalonInactive()
    now = timezone.now()
    if needs_window and not locked.is_window_open(now):
        raise OutsideCustomerServiceWindow()
    consume_usage(salon=locked.salon, kind="messages", now=now)
    message = Message(
        salon_id=locked.salon_id,
        conversation=locked,
        direction=Direction.OUT,
        type=body["type"],
        text=text,
        status=MessageStatus.QUEUED,
        template=template,
        sent_by=actor if getattr(actor, "is_authenticated", False) else None,
        idempotency_key=idempotency_key,
    )
    message.payload = {**body, "biz_opaque_callback_data": callback_data(message.pk)}
    message.save(force_insert=True)
    changes = {"last_message_at": message.created_at, "updated_at": now}
    # Does this answer the waiting customer (Conversation.waiting_since)? A person's message does.
    # While the bot is in charge, whatever it sends does. While a person is in charge, an automatic
    # message does not: the bot's own "a person will answer you" hand-off, a reminder or a booking
    # confirmation would otherwise hide the question from the owner it is waiting for.
    if message.sent_by_id is not None or not locked.bot_paused:
        changes["waiting_since"] = None
        conversation.waiting_since = None
    Conversation.objects.filter(pk=locked.pk).update(**changes)
    conversation.last_message_at = message.created_at

    message_id, salon_id = message.pk, message.salon_id
    transaction.on_commit(lambda: _enqueue_send(message_id), robust=True)
    transaction.on_commit(lambda: send_logged(message_stored, salon_id=salon_id, direction=Direction.OUT), robust=True)
    return message


def _enqueue_send(message_id) -> None:
    # If the broker is down the row stays QUEUED and the recovery sweep enqueues it later.
    enqueue(SEND_MESSAGE, str(message_id), 0)
