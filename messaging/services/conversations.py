"""Conversations and templates: the owner's switches and the salon's template catalogue."""

from __future__ import annotations

import logging
import re

from django.db import IntegrityError, transaction
from django.utils import timezone

from messaging.models import PLACEHOLDER, Conversation, MessageTemplate
from salonbot.errors import InvalidInput
from salons.models import Customer

logger = logging.getLogger(__name__)

# Meta's rules: template names are lower-case letters, digits and underscores; languages are
# codes like en, en_US, pt_BR, zh_Hant_HK.
TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
TEMPLATE_LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Za-z]{2,4}){0,2}$")


@transaction.atomic
def set_bot_paused(*, conversation: Conversation, paused: bool, actor=None) -> Conversation:
    """A person takes the conversation over (paused) or hands it back to the bot.

    Handing back clears the bot's state: the bot starts afresh from the menu, and its watermark
    ("upto", this moment) keeps it from answering what was said to the person in between.
    Taking over notes the moment ("paused_at"): the bot acknowledges a message written after it
    only while no person has answered since.
    """
    now = timezone.now()
    if paused:
        locked = Conversation.objects.select_for_update(of=("self",)).get(pk=conversation.pk)
        changes = {"bot_paused": True}
        if not locked.bot_paused:
            state = {**(locked.bot_state or {}), "paused_at": now.isoformat()}
            state.pop("acked", None)
            changes["bot_state"] = state
    else:
        changes = {"bot_paused": False, "bot_state": {"upto": now.isoformat()}}
    Conversation.objects.filter(pk=conversation.pk).update(**changes, updated_at=now)
    conversation.refresh_from_db()
    logger.info(
        "bot %s for conversation %s by %s", "paused" if paused else "resumed", conversation.pk, actor or "system"
    )
    return conversation


def conversation_for_customer(*, customer: Customer, create: bool = False) -> Conversation | None:
    """The customer's conversation with their salon; with `create`, one addressed to their phone.

    For reminders to customers who booked by phone and never wrote on WhatsApp: a template may be
    sent to a number that has not written first. WhatsApp ids are E.164 digits without the "+".
    """
    conversation = (
        Conversation.objects.filter(salon_id=customer.salon_id, customer=customer)
        .order_by("-last_inbound_at", "-created_at")
        .first()
    )
    if conversation is not None or not (customer.wa_id or customer.phone):
        return conversation
    wa_id = customer.wa_id or customer.phone.lstrip("+")
    conversation = Conversation.objects.filter(salon_id=customer.salon_id, wa_id=wa_id).first()
    if conversation is not None or not create:
        return conversation
    try:
        with transaction.atomic():
            return Conversation.objects.create(salon_id=customer.salon_id, customer=customer, wa_id=wa_id)
    except IntegrityError:  # created concurrently
        return Conversation.objects.get(salon_id=customer.salon_id, wa_id=wa_id)


def validate_template(*, name: str, language: str, body: str) -> None:
    if not TEMPLATE_NAME.match(name or ""):
        raise InvalidInput("Use lower-case letters, digits and underscores, as in WhatsApp Manager.", field="name")
    if not TEMPLATE_LANGUAGE.match(language or ""):
        raise InvalidInput("Use a WhatsApp language code such as en, en_US or ru.", field="language")
    numbers = sorted({int(n) for n in PLACEHOLDER.findall(body or "")})
    if numbers and numbers != list(range(1, len(numbers) + 1)):
        raise InvalidInput("Parameters must be numbered {{1}}, {{2}}, ... without gaps.", field="body")


@transaction.atomic
def create_template(*, actor, salon, **data) -> MessageTemplate:
    template = MessageTemplate(salon=salon, **data)
    validate_template(name=template.name, language=template.language, body=template.body)
    _save_unique(template, force_insert=True)
    return template


@transaction.atomic
def update_template(*, actor, template: MessageTemplate, **data) -> MessageTemplate:
    for field, value in data.items():
        setattr(template, field, value)
    validate_template(name=template.name, language=template.language, body=template.body)
    _save_unique(template)
    return template


def _save_unique(template: MessageTemplate, **kwargs) -> None:
    try:
        with transaction.atomic():
            template.save(**kwargs)
    except IntegrityError as exc:
        raise InvalidInput("The salon already has a template with this name and language.", field="name") from exc
