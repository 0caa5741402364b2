"""The bot's transaction (conversation lock, a booking, a queued reply) leaves the salon row free.

A reply queued while another conversation books must not wait for it: each holds its own
conversation and, briefly, the usage counter, never the salon row every insert's foreign key
check needs (FOR KEY SHARE). Locking the salon made the bot deadlock under load (see
benchmarks/bench_bot_latency.py).
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from messaging.services.outbound import queue_text
from tests.messaging.factories import ConversationFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's (SQLite locks the file)"),
]


def key_share_from_another_connection(salon_id) -> str:
    outcome = []

    def probe():
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SET lock_timeout = '500ms'")
                cursor.execute("SELECT 1 FROM salons_salon WHERE id = %s FOR KEY SHARE", [salon_id])
            outcome.append("free")
        except Exception as exc:  # the lock timeout
            outcome.append(type(exc).__name__)
        finally:
            connections["default"].close()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return outcome[0]


def test_queueing_a_message_does_not_lock_the_salon_row(salon):
    conversation = ConversationFactory(salon=salon)
    with transaction.atomic():
        queue_text(conversation=conversation, text="Hello")
        assert key_share_from_another_connection(salon.pk) == "free"


def test_two_workers_handing_in_one_conversations_messages_answer_each_once_in_order(shop, salon):
    from messaging.bot import receivers
    from messaging.bot.engine import handle_inbound
    from messaging.models import Direction, Message
    from messaging.services.ingest import store_inbound
    from messaging.signals import inbound_message
    from messaging.whatsapp import backends
    from messaging.whatsapp.payloads import parse_webhook
    from tests.messaging import meta

    stored, now = [], int(time.time())
    inbound_message.disconnect(dispatch_uid="messaging.bot.answer")
    try:
        for wamid, text, ts in (("wamid.C1", "book", now), ("wamid.C2", "2", now + 1)):
            stored.append(
                store_inbound(salon=salon, item=parse_webhook(meta.messages(meta.text(wamid, text, ts=ts))).messages[0])
            )
    finally:
        inbound_message.connect(receivers.answer_inbound_message, dispatch_uid="messaging.bot.answer")

    gate = threading.Barrier(2)

    def worker(message):
        gate.wait()
        try:
            handle_inbound(message_id=message.pk)
        finally:
            connections["default"].close()

    threads = [threading.Thread(target=worker, args=(m,)) for m in reversed(stored)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    replies = list(Message.objects.filter(direction=Direction.OUT).order_by("created_at"))
    assert [m.idempotency_key for m in replies] == [f"bot:{stored[0].pk}", f"bot:{stored[1].pk}"]
    assert replies[1].text == "Who would you like for Manicure?"
    assert len(backends.outbox) == 2
