"""Batch processing of stored webhook events: constant statements per batch, and nothing lost or doubled.

Events are stored through the webhook service (as the endpoint stores them) and processed by
`ingest_batch.process_batch`, what the processing task runs.
"""

import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging.models import Conversation, Direction, Message, MessageStatus, PendingStatus, WebhookEvent
from messaging.services import ingest_batch, routing, webhooks
from salons.models import Customer, UsageCounter
from tests import factories
from tests.messaging import meta
from tests.messaging.conftest import PHONE_NUMBER_ID
from tests.messaging.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def salon(owner):
    return factories.SalonFactory(owner=owner, whatsapp_phone_number_id=PHONE_NUMBER_ID)


def store(*bodies) -> list[WebhookEvent]:
    """Stored as the endpoint stores them; not processed (their tasks run on a commit that never comes)."""
    return [webhooks.receive_webhook(raw_body=json.dumps(body).encode()) for body in bodies]


def customer(n: int) -> str:
    return f"35191{n:07d}"


def sent_message(conversation, wamid: str) -> Message:
    return MessageFactory(conversation=conversation, direction=Direction.OUT, status=MessageStatus.SENT, wamid=wamid)


# --- statements per batch ------------------------------------------------------------------------


def many() -> int:
    """50 events; on SQLite as many as one message INSERT takes under its 999-parameter limit."""
    return 50 if connection.vendor == "postgresql" else 999 // len(Message._meta.concrete_fields)


def work(statements: list[str]) -> list[str]:
    """Without the savepoints that frame the batch (a fixed two pairs)."""
    return [sql for sql in statements if not sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def statements_for(make_bodies, n: int) -> list[str]:
    """The SQL of processing one batch of `n` events (routing read from the database, as when cold)."""
    store(*make_bodies(n))
    routing.clear()
    with CaptureQueriesContext(connection) as queries:
        processed = ingest_batch.process_batch(limit=n)
    assert len(processed) == n
    return [q["sql"] for q in queries.captured_queries]


def new_customers_writing(n, start=0):
    return [meta.messages(meta.text(f"wamid.Q{start + k}", sender=customer(start + k))) for k in range(n)]


def statuses_of_stored_messages(conversation):
    def make(n):
        for k in range(n):
            sent_message(conversation, f"wamid.S{len(str(conversation.pk))}-{k}-{n}")
        return [meta.statuses(meta.status(f"wamid.S{len(str(conversation.pk))}-{k}-{n}", "read")) for k in range(n)]

    return make


def statuses_not_stored_yet(n, start=0):
    return [meta.statuses(meta.status(f"wamid.EARLY-{start + k}", "delivered")) for k in range(n)]


def mixed(n, start=0):
    bodies = []
    for k in range(n):
        item = meta.text(f"wamid.M{start + k}", sender=customer(start + k))
        value = meta.value(messages=[item], statuses=[meta.status(f"wamid.MS{start + k}", "sent")])
        bodies.append(meta.body(value))
    return bodies


def listing(statements: list[str]) -> str:
    return "\n".join(f"  {i + 1}. {sql[:300]}" for i, sql in enumerate(statements))


def assert_same_statements(one: list[str], fifty: list[str]) -> None:
    if len(one) != len(fifty):
        pytest.fail(
            f"a batch of 1 event ran {len(one)} statements, a batch of {many()} ran {len(fifty)}:\n"
            f"1 event:\n{listing(one)}\n{many()} events:\n{listing(fifty)}"
        )


def assert_at_most(statements: list[str], budget: int) -> None:
    if len(work(statements)) > budget:
        pytest.fail(f"{len(work(statements))} statements, budget {budget}:\n{listing(work(statements))}")


def test_new_customers_messages_cost_the_same_statements_for_one_event_or_fifty(salon):
    one = statements_for(lambda n: new_customers_writing(n, start=0), 1)
    fifty = statements_for(lambda n: new_customers_writing(n, start=100), many())
    assert_same_statements(one, fifty)
    total = 1 + many()
    assert Message.objects.count() == Customer.objects.count() == Conversation.objects.count() == total
    # The whole batch: claim, route, customers (read, insert, read back), conversations (the
    # same), messages (insert, read back), lock and update the conversations, the usage counter
    # (insert, update), mark the events: a fixed list, whatever the batch size.
    assert_at_most(fifty, 15)


def test_statuses_of_stored_messages_cost_the_same_statements_for_one_event_or_fifty(salon):
    conversation = ConversationFactory(salon=salon)
    one = statements_for(statuses_of_stored_messages(conversation), 1)
    fifty = statements_for(statuses_of_stored_messages(conversation), many())
    assert_same_statements(one, fifty)
    assert Message.objects.filter(status=MessageStatus.READ).count() == 1 + many()
    assert_at_most(fifty, 5)  # claim, route, lock the messages, update them, mark the events


def test_statuses_that_overtook_their_send_cost_the_same_statements_for_one_event_or_fifty(salon):
    one = statements_for(lambda n: statuses_not_stored_yet(n, start=0), 1)
    fifty = statements_for(lambda n: statuses_not_stored_yet(n, start=100), many())
    assert_same_statements(one, fifty)
    assert PendingStatus.objects.count() == 1 + many()
    assert_at_most(fifty, 5)  # claim, route, look for the messages, keep the statuses, mark the events


def test_a_mixed_batch_costs_the_same_statements_for_one_event_or_fifty(salon):
    one = statements_for(lambda n: mixed(n, start=0), 1)
    fifty = statements_for(lambda n: mixed(n, start=100), many())
    assert_same_statements(one, fifty)


# --- idempotency, order, statuses ----------------------------------------------------------------


def usage(salon) -> int:
    return UsageCounter.objects.get(salon=salon).messages


def test_the_same_delivery_twice_in_one_batch_and_again_later_stores_each_message_once(salon):
    body = meta.messages(meta.text("wamid.TWICE-1"), meta.text("wamid.TWICE-2", ts=meta.TS + 1))
    store(body, body)
    assert len(ingest_batch.process_batch()) == 2
    store(body)
    assert len(ingest_batch.process_batch()) == 1
    assert sorted(Message.objects.values_list("wamid", flat=True)) == ["wamid.TWICE-1", "wamid.TWICE-2"]
    assert usage(salon) == 2
    assert all(e.processed_at and e.error == "" and e.attempts == 1 for e in WebhookEvent.objects.all())


def test_a_conversations_messages_are_stored_in_the_customers_order_across_events_of_a_batch(salon):
    store(
        meta.messages(meta.text("wamid.O3", "third", ts=meta.TS + 20)),
        meta.messages(meta.text("wamid.O1", "first", ts=meta.TS)),
        meta.messages(meta.text("wamid.O2", "second", ts=meta.TS + 10)),
    )
    ingest_batch.process_batch()
    conversation = Conversation.objects.get()
    assert [m.text for m in conversation.messages.order_by("created_at")] == ["first", "second", "third"]
    assert conversation.last_inbound_at == datetime.fromtimestamp(meta.TS + 20, tz=UTC)
    assert conversation.waiting_since == datetime.fromtimestamp(meta.TS, tz=UTC)


def test_statuses_of_one_message_in_one_batch_end_at_the_furthest_whatever_their_order(salon):
    conversation = ConversationFactory(salon=salon)
    message = sent_message(conversation, "wamid.ORD")
    store(
        meta.statuses(meta.status("wamid.ORD", "read", ts=meta.TS + 30)),
        meta.statuses(meta.status("wamid.ORD", "delivered", ts=meta.TS + 20)),
        meta.statuses(meta.status("wamid.ORD", "sent", ts=meta.TS + 10)),
    )
    ingest_batch.process_batch()
    message.refresh_from_db()
    assert message.status == MessageStatus.READ
    assert message.delivered_at == datetime.fromtimestamp(meta.TS + 20, tz=UTC)
    assert message.read_at == datetime.fromtimestamp(meta.TS + 30, tz=UTC)

    store(meta.statuses(meta.status("wamid.ORD", "delivered", ts=meta.TS + 40)))
    ingest_batch.process_batch()
    message.refresh_from_db()
    assert message.status == MessageStatus.READ  # delivered never overwrites read


def test_failed_in_a_batch_fails_a_sent_message_but_only_records_the_error_on_a_read_one(salon):
    conversation = ConversationFactory(salon=salon)
    sent, read = sent_message(conversation, "wamid.F-SENT"), sent_message(conversation, "wamid.F-READ")
    store(
        meta.statuses(meta.status("wamid.F-READ", "read", ts=meta.TS + 10)),
        meta.statuses(
            meta.status("wamid.F-SENT", "failed", ts=meta.TS + 20, code=131026, title="Message undeliverable"),
            meta.status("wamid.F-READ", "failed", ts=meta.TS + 20, code=131026, title="Message undeliverable"),
        ),
    )
    ingest_batch.process_batch()
    sent.refresh_from_db()
    read.refresh_from_db()
    assert (sent.status, sent.error_code, sent.error_title) == (MessageStatus.FAILED, 131026, "Message undeliverable")
    assert (read.status, read.error_code) == (MessageStatus.READ, 131026)


def test_a_status_found_by_its_callback_data_attaches_the_wamid_in_the_batch(salon):
    conversation = ConversationFactory(salon=salon)
    queued = MessageFactory(conversation=conversation, direction=Direction.OUT, status=MessageStatus.QUEUED, wamid=None)
    store(meta.statuses(meta.status("wamid.CB", "delivered", callback=f"sb:{queued.pk}")))
    ingest_batch.process_batch()
    queued.refresh_from_db()
    assert queued.wamid == "wamid.CB" and queued.status == MessageStatus.DELIVERED
    assert not PendingStatus.objects.exists()


def test_a_status_for_another_salons_message_is_not_applied(salon, other_salon):
    other_salon.whatsapp_phone_number_id = "420000000000999"
    other_salon.save()
    theirs = sent_message(ConversationFactory(salon=other_salon), "wamid.THEIRS")
    store(meta.statuses(meta.status("wamid.THEIRS", "read")))  # arrives on our number
    ingest_batch.process_batch()
    theirs.refresh_from_db()
    assert theirs.status == MessageStatus.SENT
    assert PendingStatus.objects.get().salon == salon


# --- failures --------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_an_event_the_database_cannot_take_does_not_cost_the_rest_of_its_batch(salon):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite does not enforce a column's length, so it takes the over-long wamid")
    # A wamid longer than its column parses but the database refuses it: the batch fails, and its
    # events are processed one by one; the bad one records its error.
    good_before = meta.messages(meta.text("wamid.GOOD-1", sender=customer(1)))
    bad = meta.messages(meta.text("wamid.BAD" + "X" * 200, "a text", sender=customer(2)))
    good_after = meta.statuses(meta.status("wamid.NOT-YET", "delivered"))
    events = store(good_before, bad, good_after)
    assert len(ingest_batch.process_batch()) == 3
    by_id = {e.pk: e for e in WebhookEvent.objects.all()}
    assert all(e.processed_at is not None for e in by_id.values())
    assert "wamid.BAD" in by_id[events[1].pk].error
    assert by_id[events[0].pk].error == "" and by_id[events[2].pk].error == ""
    assert list(Message.objects.values_list("wamid", flat=True)) == ["wamid.GOOD-1"]
    assert PendingStatus.objects.filter(wamid="wamid.NOT-YET").exists()


def test_a_lone_surrogate_in_a_text_is_stored_as_a_replacement_character_not_dropped(salon):
    # Valid as a JSON escape, not encodable as UTF-8: the text is kept with U+FFFD in its place.
    store(meta.messages(meta.text("wamid.SURROGATE", "broken \ud800 text", sender=customer(2))))
    (event,) = ingest_batch.process_batch()
    assert event.error == ""
    assert Message.objects.get(wamid="wamid.SURROGATE").text == "broken \ufffd text"


def test_an_event_the_sweep_re_enqueued_twice_is_processed_alone_by_its_own_task(salon):
    retried, once, fresh = store(
        meta.messages(meta.text("wamid.RETRIED")),
        meta.messages(meta.text("wamid.ONCE", sender=customer(4))),
        meta.messages(meta.text("wamid.FRESH", sender=customer(3))),
    )
    # As recovery.claim_stale_event_ids counts its re-enqueues.
    WebhookEvent.objects.filter(pk=retried.pk).update(attempts=ingest_batch.ALONE_FROM_ATTEMPTS)
    WebhookEvent.objects.filter(pk=once.pk).update(attempts=1)
    assert {e.pk for e in ingest_batch.process_batch()} == {once.pk, fresh.pk}  # the first never batched
    assert [e.pk for e in ingest_batch.process_pending(event_id=retried.pk)] == [retried.pk]
    retried.refresh_from_db()
    assert retried.processed_at is not None and retried.attempts == ingest_batch.ALONE_FROM_ATTEMPTS + 1
    assert Message.objects.filter(wamid="wamid.RETRIED").exists()


def test_a_batch_claims_at_most_its_limit_and_the_task_drains_the_rest(salon):
    store(*new_customers_writing(7))
    assert len(ingest_batch.process_batch(limit=3)) == 3
    assert len(ingest_batch.process_pending(limit=3)) == 4
    assert not WebhookEvent.objects.filter(processed_at__isnull=True).exists()
    assert Message.objects.count() == 7
