"""Reads shared by the API, the admin and the bot."""

from django.db.models import QuerySet

from .models import Conversation, Message, MessageTemplate


def conversations_with_customer() -> QuerySet[Conversation]:
    """Most recent first (conversations without messages last), customer fetched in the same query."""
    return Conversation.objects.select_related("customer")


def messages_of(conversation: Conversation) -> QuerySet[Message]:
    """The transcript, oldest first."""
    return Message.objects.filter(conversation=conversation).order_by("created_at", "id")


def templates() -> QuerySet[MessageTemplate]:
    return MessageTemplate.objects.all()
