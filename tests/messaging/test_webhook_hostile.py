"""Signed webhook bodies Meta would never send: refused with 400 before storing, or stored clean.

Real HTTP through the test client, every body signed with the app secret (a leaked secret, or a
bug upstream, is what makes them possible).
"""

import json

import pytest

from messaging.models import Message, WebhookEvent
from messaging.services.webhooks import MAX_DEPTH
from messaging.whatsapp.payloads import MAX_INBOUND_TEXT
from tests import factories
from tests.messaging import meta
from tests.messaging.conftest import PHONE_NUMBER_ID
from tests.messaging.test_admin_inbox import admin_client, page_url, visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def salon(owner):
    return factories.SalonFactory(owner=owner, whatsapp_phone_number_id=PHONE_NUMBER_ID)


def nested(depth: int) -> bytes:
    """A real message body whose `value` also carries a list nested `depth` levels inside it."""
    body = meta.messages(meta.text("wamid.DEEP"))
    body["entry"][0]["changes"][0]["value"]["extra"] = "@"
    text = json.dumps(body)
    return text.replace('"@"', "[" * depth + "]" * depth).encode()


@pytest.mark.parametrize("depth", [MAX_DEPTH, 1_000, 100_000])
def test_a_body_nested_past_the_limit_is_400_and_not_stored(salon, post_webhook, depth):
    response = post_webhook(nested(depth))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_body"
    assert "nested" in response.json()["detail"]
    assert not WebhookEvent.objects.exists() and not Message.objects.exists()


def test_a_body_nested_within_the_limit_is_stored_and_processed(salon, post_webhook):
    # The list sits 6 levels deep already (object, entry, entry[0], changes, change, value).
    assert post_webhook(nested(MAX_DEPTH - 8)).status_code == 200
    assert WebhookEvent.objects.get().error == ""
    assert Message.objects.filter(wamid="wamid.DEEP").exists()


@pytest.mark.parametrize("where", ["end", "inside a string"])
def test_a_body_with_a_nul_byte_is_400_and_not_stored(salon, post_webhook, where):
    data = json.dumps(meta.messages(meta.text("wamid.NUL"))).encode()
    data = data + b"\x00" if where == "end" else data.replace(b"para", b"pa\x00ra")
    response = post_webhook(data)
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The body contains a NUL byte; WhatsApp never sends one.",
        "code": "invalid_body",
    }
    assert not WebhookEvent.objects.exists()


def test_an_unsigned_hostile_body_is_still_403(salon, post_webhook):
    assert post_webhook(nested(1_000), signature=None).status_code == 403
    assert post_webhook(b"{}\x00", signature="sha256=00").status_code == 403
    assert not WebhookEvent.objects.exists()


def test_an_escaped_nul_in_a_text_is_stored_without_it(salon, post_webhook):
    item = meta.text("wamid.ESC", "Olá\u0000 amanhã\u0000?")
    body = meta.messages(item)
    body["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"] = "Marta\u0000 Reis"
    data = json.dumps(body).encode()
    assert b"\\u0000" in data  # JSON's escape, not a raw NUL byte
    assert post_webhook(data).status_code == 200
    message = Message.objects.get(wamid="wamid.ESC")
    assert message.text == "Olá amanhã?"
    assert message.payload["text"]["body"] == "Olá amanhã?"
    assert message.conversation.customer.name == "Marta Reis"
    assert WebhookEvent.objects.get().error == ""


def test_a_text_over_4096_characters_is_stored_cut_and_flagged(salon, owner, post_webhook, api):
    long_text = "ab" * 3000
    assert post_webhook(meta.messages(meta.text("wamid.LONG", long_text))).status_code == 200
    message = Message.objects.get(wamid="wamid.LONG")
    assert message.truncated is True
    assert message.text == long_text[:MAX_INBOUND_TEXT] and len(message.text) == 4096
    assert len(message.payload["text"]["body"]) == MAX_INBOUND_TEXT  # the stored copy is cut too
    event = WebhookEvent.objects.get()
    assert event.error == "" and any("cut to 4096" in p for p in event.problems)

    listed = api.get(f"/api/conversations/{message.conversation_id}/messages").json()["results"]
    assert [(m["truncated"], len(m["text"])) for m in listed] == [(True, 4096)]

    page = admin_client(owner).get(page_url(message.conversation))
    assert page.status_code == 200
    assert "cut at 4,096 characters" in visible_text(page)


def test_a_text_of_exactly_4096_characters_is_whole_and_not_flagged(salon, post_webhook, api):
    assert post_webhook(meta.messages(meta.text("wamid.FULL", "x" * MAX_INBOUND_TEXT))).status_code == 200
    message = Message.objects.get(wamid="wamid.FULL")
    assert message.truncated is False and len(message.text) == MAX_INBOUND_TEXT
    listed = api.get(f"/api/conversations/{message.conversation_id}/messages").json()["results"]
    assert listed[0]["truncated"] is False


def test_another_salons_owner_does_not_see_the_flagged_message(salon, post_webhook, other_api):
    post_webhook(meta.messages(meta.text("wamid.LONG2", "y" * 5000)))
    message = Message.objects.get(wamid="wamid.LONG2")
    assert other_api.get(f"/api/conversations/{message.conversation_id}/messages").status_code == 404
