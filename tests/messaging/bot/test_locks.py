"""The bot's transaction (conversation lock, a booking, a queued reply) leaves the salon row free.

A reply queued while another conversation books must not wait for it: each holds its own
conversation and, briefly, the usage counter, never the salon row every insert's foreign key
check needs (FOR KEY SHARE). Locking the salon made the bot deadlock under load (see
benchmarks/bench_bot_latency.py).
"""

import threading

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
