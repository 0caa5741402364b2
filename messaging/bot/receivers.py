"""The bot listens to messaging's `inbound_message` signal (connected in MessagingConfig.ready).

It answers in the process that stored the message (the webhook task's worker, or `manage.py
chat`), right after that message committed: no second task hop between a tap and its answer.
"""

from django.dispatch import receiver

from messaging.signals import inbound_message, inbound_while_paused

from .engine import handle_inbound
from .flows.handover import acknowledge


@receiver(inbound_message, dispatch_uid="messaging.bot.answer")
def answer_inbound_message(sender, message_id, conversation_id, salon_id, **kwargs):
    handle_inbound(message_id=message_id)


@receiver(inbound_while_paused, dispatch_uid="messaging.bot.acknowledge")
def acknowledge_while_paused(sender, message_id, conversation_id, salon_id, **kwargs):
    acknowledge(message_id=message_id)
