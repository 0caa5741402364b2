"""Processing webhooks: real Meta payload shapes, posted signed through the real URL."""

import itertools
import json
import threading
from datetime import UTC, datetime

import pytest
from django.db import connection

from messaging.models import Conversation, Message, MessageStatus, PendingStatus, WebhookEvent
from messaging.services import delivery, ingest, routing
from messaging.services.statuses import callback_data
from messaging.signals import inbound_message, message_stored
from salons.models import Customer, UsageCounter
from salons.services import update_salon
from tests import factories
from tests.messaging import meta
from tests.messaging.conftest import PHONE_NUMBER_ID
from tests.messaging.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def salon(owner):
    return factories.SalonFactory(owner=owner, whatsapp_phone_number_id=PHONE_NUMBER_ID)


@pytest.fixture
def received():
    """The inbound_message and message_stored signals, as sent."""
    log = {"inbound": [], "stored": []}

    def on_inbound(sender, **kwargs):
        log["inbound"].append(kwargs)

    def on_stored(sender, **kwargs):
        log["stored"].append(kwargs)

    inbound_message.connect(on_inbound, dispatch_uid="test-inbound")
    message_stored.connect(on_stored, dispatch_uid="test-stored")
    yield log
    inbound_message.disconnect(dispatch_uid="test-inbound")
    message_stored.disconnect(dispatch_uid="test-stored")


def messages_used(salon) -> int:
    counter = UsageCounter.objects.filter(salon=salon).first()
    return counter.messages if counter else 0


# --- inbound messages ------------------------------------------------------------------------------

MESSAGE_TYPES = [
    (meta.text("wamid.T"), "text", "Olá! Queria marcar um corte para sábado", ""),
    (meta.button_reply("wamid.B"), "button_reply", "Confirm", "confirm:B1"),
    (meta.list_reply("wamid.L"), "list_reply", "Sat 10:30", "slot:s12:cut45:2026-01-10T10:30:st3"),
    (meta.template_button("wamid.TB"), "button", "Cancel", "cancel:B123"),
    (meta.location("wamid.LOC"), "location", "Salão Lisboa, Rua Augusta 1", ""),
    (meta.image("wamid.IMG"), "image", "Like this?", ""),
    (meta.audio("wamid.AUD"), "audio", "", ""),
    (meta.reaction("wamid.R"), "reaction", "👍", ""),
    (meta.unknown_type("wamid.X"), "hologram", "", ""),
]


@pytest.mark.parametrize(("item", "kind", "text", "reply_id"), MESSAGE_TYPES, ids=[t[1] for t in MESSAGE_TYPES])
def test_every_message_type_is_stored_with_its_text(salon, post_webhook, item, kind, text, reply_id):
    assert post_webhook(meta.messages(item)).status_code == 200
    message = Message.objects.get(wamid=item["id"])
    assert (message.direction, message.type, message.text, message.reply_id) == ("IN", kind, text, reply_id)
    assert message.status == MessageStatus.RECEIVED
    assert message.payload == item  # the raw item: media ids, coordinates, anything the bot may want
    assert message.salon_id == salon.pk
    assert message.sent_at == datetime.fromtimestamp(meta.TS, tz=UTC)


def test_a_reply_keeps_the_message_it_answers(salon, post_webhook):
    post_webhook(meta.messages(meta.button_reply("wamid.B", context="wamid.OUT-9")))
    assert Message.objects.get(wamid="wamid.B").context_wamid == "wamid.OUT-9"


def test_first_message_creates_customer_and_conversation(salon, post_webhook):
    post_webhook(meta.messages(meta.text("wamid.IN-1")))
    customer = Customer.objects.get(salon=salon)
    assert (customer.phone, customer.name, customer.wa_id) == ("+351912345678", meta.CUSTOMER_NAME, meta.CUSTOMER)
    conversation = Conversation.objects.get(salon=salon)
    assert conversation.customer == customer and conversation.wa_id == meta.CUSTOMER
    assert conversation.last_inbound_at == datetime.fromtimestamp(meta.TS, tz=UTC)
    assert conversation.last_message_at == conversation.last_inbound_at


def test_an_existing_customer_with_the_same_phone_is_reused(salon, post_webhook):
    existing = factories.CustomerFactory(salon=salon, phone="+351912345678", name="Marta (booked by phone)")
    post_webhook(meta.messages(meta.text("wamid.IN-1")))
    assert Customer.objects.filter(salon=salon).count() == 1
    existing.refresh_from_db()
    assert existing.wa_id == meta.CUSTOMER and existing.name == "Marta (booked by phone)"
    assert Conversation.objects.get().customer == existing


def test_a_sender_id_that_is_not_a_phone_number_still_gets_a_conversation(salon, post_webhook):
    post_webhook(meta.messages(meta.text("wamid.BS-1", sender="BR.0a1b2c3d4e5f")))
    conversation = Conversation.objects.get()
    assert conversation.customer is None and conversation.wa_id == "BR.0a1b2c3d4e5f"
    assert Message.objects.get().conversation == conversation


def test_each_message_is_stored_once_when_posted_three_times(salon, post_webhook, received):
    batch = meta.messages(meta.text("wamid.A"), meta.list_reply("wamid.B"), meta.image("wamid.C"))
    for _ in range(3):
        assert post_webhook(batch).status_code == 200
    assert sorted(Message.objects.values_list("wamid", flat=True)) == ["wamid.A", "wamid.B", "wamid.C"]
    assert WebhookEvent.objects.count() == 3  # every delivery is kept as received
    assert messages_used(salon) == 3
    # One batch: the bot is handed the conversation's newest message once (it answers the earlier
    # ones of it too), and the salon's caches hear of new messages once; re-deliveries add nothing.
    newest = Message.objects.get(wamid="wamid.C")
    assert [r["message_id"] for r in received["inbound"]] == [newest.pk]
    assert len(received["stored"]) == 1
    assert Customer.objects.count() == 1 and Conversation.objects.count() == 1


def test_two_messages_in_one_entry_are_both_stored_and_the_window_follows_the_latest(salon, post_webhook):
    later, earlier = meta.text("wamid.2", "second", ts=meta.TS + 30), meta.text("wamid.1", "first")
    post_webhook(meta.messages(later, earlier))
    conversation = Conversation.objects.get()
    assert [m.text for m in conversation.messages.order_by("created_at")] == ["first", "second"]
    assert conversation.last_inbound_at == datetime.fromtimestamp(meta.TS + 30, tz=UTC)


def test_two_changes_and_two_senders_in_one_body(salon, post_webhook):
    other = "491701234567"
    body = meta.body(
        meta.value(messages=[meta.text("wamid.P1")]),
        meta.value(messages=[meta.text("wamid.P2", sender=other)]),
    )
    post_webhook(body)
    assert Conversation.objects.count() == 2
    assert set(Conversation.objects.values_list("wa_id", flat=True)) == {meta.CUSTOMER, other}


def test_an_older_message_arriving_late_does_not_move_the_window_back(salon, post_webhook):
    post_webhook(meta.messages(meta.text("wamid.NEW", ts=meta.TS + 600)))
    post_webhook(meta.messages(meta.text("wamid.OLD", ts=meta.TS)))
    assert Conversation.objects.get().last_inbound_at == datetime.fromtimestamp(meta.TS + 600, tz=UTC)


def test_the_bot_hook_fires_once_per_new_message_with_its_ids(salon, post_webhook, received):
    post_webhook(meta.messages(meta.text("wamid.H")))
    message = Message.objects.get()
    assert received["inbound"] == [
        {
            "signal": inbound_message,
            "message_id": message.pk,
            "conversation_id": message.conversation_id,
            "salon_id": salon.pk,
        }
    ]
    assert received["stored"] == [{"signal": message_stored, "salon_id": salon.pk, "direction": "IN"}]


def test_a_paused_bot_is_not_handed_the_message_but_it_is_stored(salon, post_webhook, received):
    ConversationFactory(salon=salon, customer=None, wa_id=meta.CUSTOMER, bot_paused=True)
    post_webhook(meta.messages(meta.text("wamid.P")))
    assert Message.objects.filter(wamid="wamid.P").exists()
    assert received["inbound"] == []
    # Stored: the message, and the bot's one "a person will answer" acknowledgement.
    assert [r["direction"] for r in received["stored"]] == ["IN", "OUT"]


def test_a_closed_conversation_is_reopened_by_the_customer(salon, post_webhook):
    ConversationFactory(salon=salon, wa_id=meta.CUSTOMER, status="CLOSED")
    post_webhook(meta.messages(meta.text("wamid.RE")))
    assert Conversation.objects.get().status == "OPEN"


def test_a_failing_bot_receiver_does_not_lose_the_message(salon, post_webhook):
    def broken(sender, **kwargs):
        raise RuntimeError("bot bug")

    inbound_message.connect(broken, dispatch_uid="broken")
    try:
        assert post_webhook(meta.messages(meta.text("wamid.BR"))).status_code == 200
    finally:
        inbound_message.disconnect(dispatch_uid="broken")
    assert Message.objects.filter(wamid="wamid.BR").exists()
    assert WebhookEvent.objects.get().error == ""


# --- routing -------------------------------------------------------------------------------------


def test_an_unknown_phone_number_id_is_200_and_attaches_nothing_to_any_salon(salon, post_webhook):
    body = meta.body(
        meta.value(messages=[meta.text("wamid.U")], phone_number_id="999999999"),
        meta.value(statuses=[meta.status("wamid.S", "delivered")], phone_number_id="999999999"),
    )
    assert post_webhook(body).status_code == 200
    event = WebhookEvent.objects.get()
    assert event.salon is None
    assert event.problems == ["phone_number_id 999999999: no salon uses this number; 2 item(s) ignored"]
    assert Message.objects.count() == Customer.objects.count() == Conversation.objects.count() == 0
    assert PendingStatus.objects.count() == 0
    assert UsageCounter.objects.count() == 0


def test_a_batch_routes_each_change_to_its_own_salon(salon, post_webhook):
    second = factories.SalonFactory(whatsapp_phone_number_id="420000000000888")
    body = meta.body(
        meta.value(messages=[meta.text("wamid.S1")]),
        meta.value(messages=[meta.text("wamid.S2")], phone_number_id="420000000000888"),
    )
    post_webhook(body)
    assert Message.objects.get(wamid="wamid.S1").salon == salon
    assert Message.objects.get(wamid="wamid.S2").salon == second
    assert WebhookEvent.objects.get().salon is None  # a batch for two salons belongs to neither owner alone


def test_the_event_records_its_salon_when_it_concerns_one(salon, post_webhook):
    post_webhook(meta.messages(meta.text("wamid.E")))
    assert WebhookEvent.objects.get().salon == salon


def test_a_changed_number_routes_at_once_in_this_process(
    salon, owner, post_webhook, django_capture_on_commit_callbacks
):
    post_webhook(meta.messages(meta.text("wamid.BEFORE")))
    assert routing.salon_for_phone_number_id(PHONE_NUMBER_ID) == salon  # now memoised
    with django_capture_on_commit_callbacks(execute=True):  # salon_changed is sent on commit
        update_salon(actor=owner, salon=salon, whatsapp_phone_number_id="420000000000999")
    assert routing.salon_for_phone_number_id(PHONE_NUMBER_ID) is None
    post_webhook(meta.messages(meta.text("wamid.AFTER"), phone_number_id="420000000000999"))
    assert Message.objects.get(wamid="wamid.AFTER").salon == salon


# --- statuses ------------------------------------------------------------------------------------


@pytest.fixture
def sent_message(salon):
    conversation = ConversationFactory(salon=salon, wa_id=meta.CUSTOMER)
    return MessageFactory(
        conversation=conversation, direction="OUT", status=MessageStatus.SENT, wamid="wamid.OUT-1", text="Hi"
    )


ORDERS = list(itertools.permutations(["sent", "delivered", "read"]))


@pytest.mark.parametrize("order", ORDERS, ids=["-".join(o) for o in ORDERS])
def test_scrambled_statuses_end_at_the_furthest(sent_message, post_webhook, order):
    seconds = {"sent": 1, "delivered": 2, "read": 3}
    for state in order:
        post_webhook(meta.statuses(meta.status("wamid.OUT-1", state, ts=meta.TS + seconds[state])))
    sent_message.refresh_from_db()
    assert sent_message.status == MessageStatus.READ
    assert sent_message.delivered_at == datetime.fromtimestamp(meta.TS + 2, tz=UTC)
    assert sent_message.read_at == datetime.fromtimestamp(meta.TS + 3, tz=UTC)


def test_statuses_in_one_batch_in_reverse_order_end_at_read(sent_message, post_webhook):
    post_webhook(meta.statuses(*(meta.status("wamid.OUT-1", s) for s in ("read", "delivered", "sent"))))
    sent_message.refresh_from_db()
    assert sent_message.status == MessageStatus.READ


def test_delivered_may_be_skipped(sent_message, post_webhook):
    post_webhook(meta.statuses(meta.status("wamid.OUT-1", "read")))
    sent_message.refresh_from_db()
    assert sent_message.status == MessageStatus.READ and sent_message.delivered_at is None


def test_a_duplicate_status_changes_nothing(sent_message, post_webhook):
    post_webhook(meta.statuses(meta.status("wamid.OUT-1", "delivered", ts=meta.TS + 5)))
    post_webhook(meta.statuses(meta.status("wamid.OUT-1", "delivered", ts=meta.TS + 99)))
    sent_message.refresh_from_db()
    assert sent_message.delivered_at == datetime.fromtimestamp(meta.TS + 5, tz=UTC)


def test_failed_records_the_first_error_code_and_title(sent_message, post_webhook):
    post_webhook(meta.statuses(meta.status("wamid.OUT-1", "failed", code=131026, title="Message undeliverable")))
    sent_message.refresh_from_db()
    assert (sent_message.status, sent_message.error_code, sent_message.error_title) == (
        "FAILED",
        131026,
        "Message undeliverable",
    )


def test_a_late_sent_does_not_undo_failed(sent_message, post_webhook):
    post_webhook(meta.statuses(meta.status("wamid.OUT-1", "failed")))
    post_webhook(meta.statuses(meta.status("wamid.OUT-1", "sent")))
    sent_message.refresh_from_db()
    assert sent_message.status == MessageStatus.FAILED and sent_message.error_code == 131047


def test_failed_after_read_keeps_read_but_records_the_error(sent_message, post_webhook):
    post_webhook(meta.statuses(meta.status("wamid.OUT-1", "read")))
    post_webhook(meta.statuses(meta.status("wamid.OUT-1", "failed", code=131000, title="Something went wrong")))
    sent_message.refresh_from_db()
    assert sent_message.status == MessageStatus.READ
    assert (sent_message.error_code, sent_message.error_title) == (131000, "Something went wrong")


def test_a_status_for_another_salons_wamid_is_not_applied(sent_message, post_webhook):
    factories.SalonFactory(whatsapp_phone_number_id="420000000000888")
    post_webhook(meta.statuses(meta.status("wamid.OUT-1", "read"), phone_number_id="420000000000888"))
    sent_message.refresh_from_db()
    assert sent_message.status == MessageStatus.SENT


def test_a_status_before_its_wamid_exists_is_kept_and_applied_when_the_send_stores_it(salon, post_webhook):
    conversation = ConversationFactory(salon=salon, wa_id=meta.CUSTOMER)
    message = MessageFactory(conversation=conversation, direction="OUT", status="QUEUED", wamid=None, type="text")
    message.payload = {"messaging_product": "whatsapp", "to": meta.CUSTOMER, "type": "text", "text": {"body": "Hi"}}
    message.save()
    # Meta's "delivered" overtakes the send task (no callback data: an older message, say).
    post_webhook(meta.statuses(meta.status("wamid.memory-early", "delivered")))
    pending = PendingStatus.objects.get()
    assert (pending.wamid, pending.status, pending.salon) == ("wamid.memory-early", "DELIVERED", salon)
    message.refresh_from_db()
    assert message.status == "QUEUED"

    delivery._mark_sent(message, "wamid.memory-early")
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED and message.wamid == "wamid.memory-early"
    assert message.sent_at is not None and message.delivered_at is not None
    assert PendingStatus.objects.count() == 0


def test_a_status_with_our_callback_data_finds_its_message_before_the_wamid_is_stored(salon, post_webhook):
    conversation = ConversationFactory(salon=salon, wa_id=meta.CUSTOMER)
    message = MessageFactory(conversation=conversation, direction="OUT", status="QUEUED", wamid=None)
    post_webhook(meta.statuses(meta.status("wamid.CB", "sent", callback=callback_data(message.pk))))
    message.refresh_from_db()
    assert (message.wamid, message.status) == ("wamid.CB", MessageStatus.SENT)
    assert PendingStatus.objects.count() == 0
    # The send task, delivered late, finds the message no longer queued and sends nothing.
    assert delivery.deliver_message(message_id=message.pk, attempt=0).status == "skipped"


# --- idempotency ---------------------------------------------------------------------------------


def snapshot():
    return {
        "messages": sorted(Message.objects.values_list("wamid", "status", "text", "conversation_id", "read_at")),
        "conversations": sorted(Conversation.objects.values_list("wa_id", "last_inbound_at", "status")),
        "customers": Customer.objects.count(),
        "usage": list(UsageCounter.objects.values_list("messages", flat=True)),
        "pending": PendingStatus.objects.count(),
    }


def test_processing_the_same_event_twice_changes_nothing(salon, sent_message, post_webhook, received):
    body = meta.body(
        meta.value(messages=[meta.text("wamid.I1"), meta.location("wamid.I2")]),
        meta.value(statuses=[meta.status("wamid.OUT-1", "read"), meta.status("wamid.NOT-YET", "delivered")]),
    )
    post_webhook(body)
    event = WebhookEvent.objects.get()
    before, signals_before = snapshot(), (len(received["inbound"]), len(received["stored"]))
    ingest.process_webhook_event(event_id=event.pk)
    assert snapshot() == before
    assert (len(received["inbound"]), len(received["stored"])) == signals_before
    event.refresh_from_db()
    assert event.attempts == 2 and event.error == ""


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_wamid_store_one_row(owner):
    salon = factories.SalonFactory(owner=owner, whatsapp_phone_number_id=PHONE_NUMBER_ID)
    body = meta.messages(meta.text("wamid.RACE"))
    events = [WebhookEvent.objects.create(body=json.dumps(body)) for _ in range(6)]
    barrier = threading.Barrier(len(events))
    errors = []

    def work(event_id):
        try:
            barrier.wait()
            ingest.process_webhook_event(event_id=event_id)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(e.pk,)) for e in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Message.objects.filter(wamid="wamid.RACE").count() == 1
    assert Conversation.objects.count() == 1 and Customer.objects.count() == 1
    assert UsageCounter.objects.get(salon=salon).messages == 1
    assert all(e.error == "" for e in WebhookEvent.objects.all())
