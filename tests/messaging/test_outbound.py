"""Queueing and sending outbound messages: window, usage, idempotency, claims, retries, Graph errors."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from messaging import tasks
from messaging.models import Message, MessageStatus
from messaging.services import delivery, outbound, recovery
from messaging.whatsapp import backends
from messaging.whatsapp.errors import PermanentSendError, TransientSendError
from messaging.whatsapp.messages import Button, Row, Section, buttons_body, list_body
from salonbot.errors import InvalidInput, OutsideCustomerServiceWindow, SalonInactive, UsageLimitExceeded
from salons.models import UsageCounter
from tests import factories
from tests.messaging.conftest import PHONE_NUMBER_ID, graph_error
from tests.messaging.factories import ConversationFactory, TemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def salon(owner):
    return factories.SalonFactory(owner=owner, whatsapp_phone_number_id=PHONE_NUMBER_ID)


@pytest.fixture
def conversation(salon):
    return ConversationFactory(salon=salon)


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run a service and then its on-commit work (the send task, eager in tests)."""

    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            result = service(**kwargs)
        if isinstance(result, Message):
            result.refresh_from_db()
        return result

    return run


def messages_used(salon) -> int:
    counter = UsageCounter.objects.filter(salon=salon).first()
    return counter.messages if counter else 0


# --- queueing ------------------------------------------------------------------------------------


def test_queue_text_stores_a_queued_message_with_the_graph_body(conversation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        message = outbound.queue_text(conversation=conversation, text="  See you tomorrow!  ")
    assert (message.direction, message.status, message.type, message.text) == (
        "OUT",
        "QUEUED",
        "text",
        "See you tomorrow!",
    )
    assert message.payload["to"] == conversation.wa_id
    assert message.payload["text"] == {"body": "See you tomorrow!", "preview_url": False}
    assert message.payload["biz_opaque_callback_data"] == f"sb:{message.pk}"
    assert messages_used(conversation.salon) == 1
    assert len(callbacks) == 2  # the send task and the message_stored signal, after commit
    assert backends.outbox == []  # nothing is sent before the transaction commits


def test_after_commit_the_message_is_sent_once_and_stores_the_wamid(conversation, commit):
    message = commit(outbound.queue_text, conversation=conversation, text="Hi!")
    assert message.status == MessageStatus.SENT and message.wamid.startswith("wamid.memory-")
    assert message.sent_at is not None and message.attempts == 1
    assert [(pnid, body["text"]["body"]) for pnid, body in backends.outbox] == [(PHONE_NUMBER_ID, "Hi!")]
    conversation.refresh_from_db()
    assert conversation.last_message_at >= message.created_at


def test_free_text_outside_the_window_is_refused_and_costs_nothing(salon):
    conversation = ConversationFactory(salon=salon, window_closed=True)
    with pytest.raises(OutsideCustomerServiceWindow):
        outbound.queue_text(conversation=conversation, text="Hello?")
    with pytest.raises(OutsideCustomerServiceWindow):
        outbound.queue_buttons(conversation=conversation, text="Confirm?", buttons=[Button("yes", "Yes")])
    assert Message.objects.count() == 0 and messages_used(salon) == 0


def test_a_conversation_the_customer_never_wrote_in_has_no_window(salon):
    conversation = ConversationFactory(salon=salon, last_inbound_at=None)
    with pytest.raises(OutsideCustomerServiceWindow):
        outbound.queue_text(conversation=conversation, text="Hello?")


def test_the_window_check_reads_the_latest_inbound_not_a_stale_object(salon):
    conversation = ConversationFactory(salon=salon, window_closed=True)
    stale = type(conversation).objects.get(pk=conversation.pk)
    conversation.last_inbound_at = timezone.now()
    conversation.save()
    assert outbound.queue_text(conversation=stale, text="Thanks for writing!").status == "QUEUED"


def test_a_template_goes_outside_the_window(salon, commit):
    conversation = ConversationFactory(salon=salon, window_closed=True)
    template = TemplateFactory(salon=salon, name="appointment_reminder", language="en_US")
    message = commit(
        outbound.queue_template,
        conversation=conversation,
        template=template,
        parameters=["Anna", "Cut\nand dry", "Mon 10:00"],
    )
    assert message.status == MessageStatus.SENT and message.template == template
    assert message.text == "Hi Anna, see you for Cut\nand dry on Mon 10:00."
    template_body = backends.outbox[0][1]["template"]
    assert template_body["name"] == "appointment_reminder" and template_body["language"] == {"code": "en_US"}
    assert [p["text"] for p in template_body["components"][0]["parameters"]] == ["Anna", "Cut and dry", "Mon 10:00"]


def test_a_template_needs_exactly_its_parameters(salon, conversation):
    template = TemplateFactory(salon=salon)
    with pytest.raises(InvalidInput) as caught:
        outbound.queue_template(conversation=conversation, template=template, parameters=["Anna"])
    assert caught.value.field == "parameters"
    with pytest.raises(InvalidInput):
        outbound.queue_template(conversation=conversation, template=template, parameters=["Anna", " ", "x"])
    assert Message.objects.count() == 0 and messages_used(salon) == 0


def test_another_salons_template_is_refused(conversation):
    with pytest.raises(InvalidInput):
        outbound.queue_template(conversation=conversation, template=TemplateFactory(), parameters=["a", "b", "c"])


def test_at_the_usage_limit_nothing_is_queued(salon, conversation):
    salon.max_messages_per_month = 1
    salon.save()
    outbound.queue_text(conversation=conversation, text="one")
    with pytest.raises(UsageLimitExceeded):
        outbound.queue_text(conversation=conversation, text="two")
    assert Message.objects.count() == 1 and messages_used(salon) == 1


def test_an_inactive_salon_sends_nothing(salon, conversation):
    salon.is_active = False
    salon.save()
    with pytest.raises(SalonInactive):
        outbound.queue_text(conversation=conversation, text="Hi")


def test_interactive_bodies_go_to_the_conversation_whatever_to_the_builder_got(conversation, commit):
    body = list_body("placeholder", "Pick a time", "Times", [Section("Morning", [Row("slot:1", "09:30")])])
    message = commit(outbound.queue_interactive, conversation=conversation, body=body)
    assert message.payload["to"] == conversation.wa_id and message.text == "Pick a time"
    assert backends.outbox[0][1]["to"] == conversation.wa_id
    buttons = commit(
        outbound.queue_buttons,
        conversation=conversation,
        text="Confirm?",
        buttons=[Button("yes", "Yes"), Button("no", "No")],
    )
    assert buttons.payload["interactive"]["type"] == "button" and buttons.status == "SENT"
    listed = commit(
        outbound.queue_list,
        conversation=conversation,
        text="Which?",
        button="Services",
        sections=[Section("", [Row("s:1", "Cut")])],
    )
    assert listed.payload["interactive"]["type"] == "list"


def test_an_interactive_body_breaking_the_limits_is_a_programming_error(conversation):
    body = buttons_body(conversation.wa_id, "Pick", [Button("a", "A")])
    body["interactive"]["action"]["buttons"] *= 4
    with pytest.raises(ValueError, match="limits"):
        outbound.queue_interactive(conversation=conversation, body=body)
    with pytest.raises(ValueError):
        outbound.queue_interactive(conversation=conversation, body={"type": "text"})


def test_an_idempotency_key_queues_once(conversation, commit):
    first = commit(outbound.queue_text, conversation=conversation, text="Booked!", idempotency_key="booking:1")
    second = commit(outbound.queue_text, conversation=conversation, text="Booked!", idempotency_key="booking:1")
    assert first.pk == second.pk
    assert Message.objects.count() == 1 and len(backends.outbox) == 1 and messages_used(conversation.salon) == 1


def test_the_actor_is_recorded(conversation, owner):
    assert outbound.queue_text(conversation=conversation, text="Hi", actor=owner).sent_by == owner


# --- delivery: claims ----------------------------------------------------------------------------


def queued(conversation, text="Hi") -> Message:
    return outbound.queue_text(conversation=conversation, text=text)  # on-commit work not run


def test_two_deliveries_of_the_same_task_send_once(conversation):
    message = queued(conversation)
    assert tasks.send_message(str(message.pk), 0) == "sent"
    assert tasks.send_message(str(message.pk), 0) == "skipped"
    assert len(backends.outbox) == 1


def test_a_message_held_by_a_live_claim_is_not_taken_over(conversation):
    message = queued(conversation)
    Message.objects.filter(pk=message.pk).update(attempts=1, send_claimed_at=timezone.now())
    assert delivery.deliver_message(message_id=message.pk, attempt=0).status == "skipped"
    assert backends.outbox == []


def test_a_claim_whose_worker_died_is_taken_over_after_the_lease(conversation):
    message = queued(conversation)
    dead = timezone.now() - delivery.CLAIM_LEASE - timedelta(seconds=1)
    Message.objects.filter(pk=message.pk).update(attempts=1, send_claimed_at=dead)
    assert [m[0] for m in recovery.stale_messages()] == [message.pk]
    assert delivery.deliver_message(message_id=message.pk, attempt=0).status == "sent"
    assert len(backends.outbox) == 1


def test_the_sweep_sends_a_message_whose_task_was_lost(conversation):
    message = queued(conversation)  # the on-commit enqueue never happened: a broker outage, say
    assert recovery.stale_messages() == []  # too young: its task may still be on the way
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    tasks.sweep()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and len(backends.outbox) == 1


def test_a_message_without_a_salon_number_fails_clearly(salon, conversation):
    message = queued(conversation)
    type(salon).objects.filter(pk=salon.pk).update(whatsapp_phone_number_id=None)
    assert tasks.send_message(str(message.pk)) == "failed"
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.error_title == "salon has no WhatsApp number"


# --- delivery: retry policy ----------------------------------------------------------------------


def test_retry_delay_grows_with_jitter_and_is_capped():
    assert delivery.retry_delay(1, rand=lambda: 0.0) == 1.0
    assert delivery.retry_delay(1, rand=lambda: 1.0) == 2.0
    assert delivery.retry_delay(3, rand=lambda: 0.5) == 6.0
    assert delivery.retry_delay(30, rand=lambda: 1.0) == delivery.BACKOFF_MAX_SECONDS


def test_retry_delay_honours_retry_after_within_reason():
    assert delivery.retry_delay(1, retry_after=7, rand=lambda: 0.0) == 7
    assert delivery.retry_delay(1, retry_after=10**9, rand=lambda: 0.0) == delivery.MAX_RETRY_AFTER_SECONDS


def test_a_transient_failure_is_retried_and_sent_once(conversation, commit, caplog):
    backends.fail_next(TransientSendError("pair rate", code=131056, http_status=400, retry_after=4))
    with caplog.at_level(logging.WARNING, logger="messaging.services.delivery"):
        message = commit(outbound.queue_text, conversation=conversation, text="Hi")
    assert message.status == MessageStatus.SENT and message.attempts == 2
    assert message.error_code is None and message.error_title == ""
    assert len(backends.outbox) == 1
    (record,) = [r for r in caplog.records if "retrying in" in r.getMessage()]
    assert float(record.args[3]) >= 4  # at least the Retry-After Meta asked for


def test_a_timeout_waits_for_the_status_before_retrying(conversation):
    message = queued(conversation)
    backends.fail_next(TransientSendError("timed out", title="timeout"))
    outcome = delivery.deliver_message(message_id=message.pk, attempt=0)
    assert outcome.status == "retry" and outcome.retry_in >= delivery.TIMEOUT_MIN_DELAY_SECONDS
    assert outcome.next_attempt == 1
    message.refresh_from_db()
    assert message.status == "QUEUED" and message.error_title == "timeout"
    assert recovery.stale_messages() == []  # the claim covers the wait; the sweep leaves it alone


def test_transient_failures_give_up_after_the_last_attempt(conversation, commit, caplog):
    backends.fail_next(
        *[TransientSendError("busy", code=131000, http_status=500) for _ in range(delivery.MAX_ATTEMPTS)]
    )
    with caplog.at_level(logging.ERROR, logger="messaging.services.delivery"):
        message = commit(outbound.queue_text, conversation=conversation, text="Hi")
    assert message.status == MessageStatus.FAILED and message.attempts == delivery.MAX_ATTEMPTS
    assert message.error_code == 131000 and message.error_title.startswith("gave up after 6 attempts")
    assert backends.outbox == []
    assert any("FAILED" in r.getMessage() for r in caplog.records)


def test_a_permanent_failure_is_not_retried(conversation, commit):
    backends.fail_next(PermanentSendError("not a WhatsApp user", code=131026, title="Message undeliverable"))
    message = commit(outbound.queue_text, conversation=conversation, text="Hi")
    assert (message.status, message.error_code, message.error_title) == ("FAILED", 131026, "Message undeliverable")
    assert message.attempts == 1 and backends.outbox == []


@pytest.mark.parametrize("code", [131048, 132001, 132015])
def test_quality_and_template_errors_are_logged_loudly(conversation, commit, caplog, code):
    backends.fail_next(PermanentSendError("refused", code=code, title="refused"))
    with caplog.at_level(logging.ERROR, logger="messaging.services.delivery"):
        commit(outbound.queue_text, conversation=conversation, text="Hi")
    assert any(r.levelno == logging.ERROR and "must act" in r.getMessage() for r in caplog.records)


# --- the cloud backend against a fake Graph API over HTTP ----------------------------------------


def test_cloud_429_then_success_sends_once_and_stores_the_wamid(conversation, fake_graph, commit):
    fake_graph.fail_next(graph_error(429, 130429, "(#130429) Rate limit hit", headers={"Retry-After": "1"}))
    message = commit(outbound.queue_text, conversation=conversation, text="Olá Marta! 💇")
    assert len(fake_graph.received) == 2  # the 429 and the retry
    assert len(fake_graph.accepted) == 1
    (phone_number_id, body, wamid) = fake_graph.accepted[0]
    assert phone_number_id == PHONE_NUMBER_ID and body == message.payload
    assert (message.status, message.wamid, message.attempts) == ("SENT", wamid, 2)


def test_cloud_permanent_error_fails_with_code_and_title_without_retrying(conversation, fake_graph, commit):
    fake_graph.fail_next(graph_error(400, 131026, "Message Undeliverable."))
    message = commit(outbound.queue_text, conversation=conversation, text="Hi")
    assert len(fake_graph.received) == 1 and fake_graph.accepted == []
    assert (message.status, message.error_code, message.error_title) == ("FAILED", 131026, "Message Undeliverable.")


def test_cloud_template_sent_outside_the_window(salon, fake_graph, commit):
    conversation = ConversationFactory(salon=salon, window_closed=True)
    template = TemplateFactory(salon=salon)
    message = commit(outbound.queue_template, conversation=conversation, template=template, parameters=["A", "B", "C"])
    assert message.status == "SENT" and len(fake_graph.accepted) == 1
