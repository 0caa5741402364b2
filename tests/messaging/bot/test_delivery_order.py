"""Each inbound message is answered once, in the order the customer sent them."""

import pytest

from messaging.bot.engine import handle_inbound
from messaging.models import Direction, Message
from messaging.services.ingest import store_inbound
from messaging.signals import inbound_message
from messaging.whatsapp.payloads import parse_webhook
from tests.messaging import meta
from tests.messaging.bot.conftest import text_of

pytestmark = pytest.mark.django_db


def test_the_same_inbound_message_delivered_twice_gets_one_reply(chat, post_webhook):
    body = meta.messages(meta.text("wamid.TWICE", "hi", ts=chat.ts))
    post_webhook(body, times=2)
    post_webhook(body)
    assert len(chat.sent) == 1
    assert Message.objects.filter(direction=Direction.IN).count() == 1


def test_the_handler_run_twice_for_one_message_answers_once(chat, django_capture_on_commit_callbacks):
    chat.say("hi")
    inbound = Message.objects.get(direction=Direction.IN)
    with django_capture_on_commit_callbacks(execute=True):
        assert handle_inbound(message_id=inbound.pk) == []
    assert len(chat.sent) == 1
    assert Message.objects.filter(direction=Direction.OUT).count() == 1


def test_an_earlier_unanswered_message_is_answered_first(chat, salon, django_capture_on_commit_callbacks):
    chat.say("hi")
    # Two messages stored while nothing answered them (another worker is slow to hand them in).
    inbound_message.disconnect(dispatch_uid="messaging.bot.answer")
    try:
        stored = []
        for wamid, text, ts in (("wamid.A", "book", chat.ts + 1), ("wamid.B", "2", chat.ts + 2)):
            batch = parse_webhook(meta.messages(meta.text(wamid, text, ts=ts)))
            with django_capture_on_commit_callbacks(execute=True):
                stored.append(store_inbound(salon=salon, item=batch.messages[0]))
    finally:
        from messaging.bot import receivers

        inbound_message.connect(receivers.answer_inbound_message, dispatch_uid="messaging.bot.answer")
    first, second = stored
    with django_capture_on_commit_callbacks(execute=True):
        answered = handle_inbound(message_id=second.pk)
    assert [m.idempotency_key for m in answered] == [f"bot:{first.pk}", f"bot:{second.pk}"]
    assert text_of(chat.sent[-2]) == "Which service would you like?"
    assert text_of(chat.sent[-1]) == "Who would you like for Manicure?"  # "2" read after "book"
    with django_capture_on_commit_callbacks(execute=True):
        assert handle_inbound(message_id=first.pk) == []
