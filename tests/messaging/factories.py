from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from messaging.models import (
    Conversation,
    Direction,
    Message,
    MessageStatus,
    MessageTemplate,
    TemplateCategory,
    TemplatePurpose,
)
from tests.factories import CustomerFactory, SalonFactory


class ConversationFactory(DjangoModelFactory):
    """A conversation whose customer wrote a minute ago: the 24-hour window is open."""

    class Meta:
        model = Conversation

    salon = factory.SubFactory(SalonFactory)
    customer = factory.SubFactory(CustomerFactory, salon=factory.SelfAttribute("..salon"))
    wa_id = factory.LazyAttribute(lambda c: c.customer.phone.lstrip("+") if c.customer else "351912345678")
    last_inbound_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1))
    last_message_at = factory.SelfAttribute("last_inbound_at")

    class Params:
        window_closed = factory.Trait(
            last_inbound_at=factory.LazyFunction(lambda: timezone.now() - timedelta(hours=25))
        )


class MessageFactory(DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    salon = factory.SelfAttribute("conversation.salon")
    direction = Direction.IN
    type = "text"
    text = factory.Sequence(lambda n: f"message {n}")
    status = MessageStatus.RECEIVED
    wamid = factory.Sequence(lambda n: f"wamid.FACTORY-{n}")


class TemplateFactory(DjangoModelFactory):
    class Meta:
        model = MessageTemplate

    salon = factory.SubFactory(SalonFactory)
    name = factory.Sequence(lambda n: f"appointment_reminder_{n}")
    language = "en"
    category = TemplateCategory.UTILITY
    purpose = TemplatePurpose.REMINDER
    body = "Hi {{1}}, see you for {{2}} on {{3}}."
