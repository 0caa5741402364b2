"""Messaging in the admin: the owner's WhatsApp inbox (inbox.py), and messages, templates and
the webhook trail with replay (records.py)."""

from .inbox import ConversationAdmin
from .records import MessageAdmin, MessageTemplateAdmin, WebhookEventAdmin

__all__ = ["ConversationAdmin", "MessageAdmin", "MessageTemplateAdmin", "WebhookEventAdmin"]
