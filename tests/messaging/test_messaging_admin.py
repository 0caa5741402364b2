"""Messaging in the admin: scoped transcripts, the bot switch, templates, webhook events and replay."""

import json

import pytest
from django.test import Client

from messaging.models import Conversation, Message, MessageTemplate, WebhookEvent
from tests import factories
from tests.factories import PASSWORD
from tests.messaging import meta
from tests.messaging.conftest import PHONE_NUMBER_ID
from tests.messaging.factories import ConversationFactory, MessageFactory, TemplateFactory

pytestmark = pytest.mark.django_db


def admin_client(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


@pytest.fixture
def salon(owner):
    return factories.SalonFactory(owner=owner, whatsapp_phone_number_id=PHONE_NUMBER_ID)


def test_a_conversation_shows_its_transcript_in_and_out(owner, salon):
    conversation = ConversationFactory(salon=salon)
    MessageFactory(conversation=conversation, text="Can I book a cut?")
    MessageFactory(conversation=conversation, direction="OUT", status="READ", text="Of course! When?")
    page = admin_client(owner).get(f"/admin/messaging/conversation/{conversation.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Can I book a cut?" in html and "Of course! When?" in html
    assert "inbox-bubble-in" in html and "inbox-bubble-out" in html and "Read" in html


def test_owners_see_only_their_conversations_messages_and_templates(owner, other_owner, salon):
    mine = ConversationFactory(salon=salon, customer__name="Alice Mine")
    theirs = ConversationFactory(salon=factories.SalonFactory(owner=other_owner), customer__name="Bob Theirs")
    TemplateFactory(salon=theirs.salon, name="their_template")
    client = admin_client(owner)
    listing = client.get("/admin/messaging/conversation/").content.decode()
    assert "Alice Mine" in listing and "Bob Theirs" not in listing
    assert client.get(f"/admin/messaging/conversation/{theirs.pk}/change/").status_code in (302, 404)
    assert "their_template" not in client.get("/admin/messaging/messagetemplate/").content.decode()
    assert mine.pk


def test_the_bot_paused_filter_and_actions(owner, salon):
    conversation = ConversationFactory(salon=salon)
    client = admin_client(owner)
    assert client.get("/admin/messaging/conversation/", {"handled_by": "person"}).status_code == 200
    response = client.post(
        "/admin/messaging/conversation/",
        {"action": "pause_bot", "_selected_action": [str(conversation.pk)]},
    )
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.bot_paused
    client.post("/admin/messaging/conversation/", {"action": "resume_bot", "_selected_action": [str(conversation.pk)]})
    conversation.refresh_from_db()
    assert not conversation.bot_paused


def test_the_conversation_page_saves_nothing_itself(owner, salon):
    # Every write goes through a service: the bot switch and the reply box post to their own views.
    conversation = ConversationFactory(salon=salon)
    response = admin_client(owner).post(
        f"/admin/messaging/conversation/{conversation.pk}/change/", {"status": "CLOSED", "bot_paused": "on"}
    )
    assert response.status_code == 405
    conversation.refresh_from_db()
    assert not conversation.bot_paused and conversation.status == "OPEN"


def test_template_admin_validates_like_the_api(owner, salon):
    client = admin_client(owner)
    data = {"salon": salon.pk, "name": "Bad Name", "language": "en", "category": "UTILITY", "purpose": "OTHER"}
    response = client.post("/admin/messaging/messagetemplate/add/", {**data, "body": "Hi {{1}}"})
    assert response.status_code == 200 and MessageTemplate.objects.count() == 0
    response = client.post("/admin/messaging/messagetemplate/add/", {**data, "name": "good_name", "body": "Hi {{1}}"})
    assert response.status_code == 302 and MessageTemplate.objects.get().name == "good_name"


def test_webhook_events_are_read_only_and_scoped(owner, other_owner, super_admin, salon):
    mine = WebhookEvent.objects.create(body='{"mine": true}', salon=salon)
    unrouted = WebhookEvent.objects.create(body='{"unrouted": true}')
    client = admin_client(owner)
    listing = client.get("/admin/messaging/webhookevent/")
    assert listing.status_code == 200
    assert client.get(f"/admin/messaging/webhookevent/{mine.pk}/change/").status_code == 200
    assert client.get(f"/admin/messaging/webhookevent/{unrouted.pk}/change/").status_code in (302, 404)
    assert admin_client(other_owner).get(f"/admin/messaging/webhookevent/{mine.pk}/change/").status_code in (302, 404)
    assert admin_client(super_admin).get(f"/admin/messaging/webhookevent/{unrouted.pk}/change/").status_code == 200
    assert client.get("/admin/messaging/webhookevent/add/").status_code == 403
    page = client.get(f"/admin/messaging/webhookevent/{mine.pk}/change/").content.decode()
    assert "&quot;mine&quot;: true" in page  # pretty-printed, escaped


def test_replay_processes_an_event_again_without_duplicates(super_admin, salon):
    body = meta.messages(meta.text("wamid.REPLAY-1"), meta.text("wamid.REPLAY-2"))
    event = WebhookEvent.objects.create(body=json.dumps(body))  # stored, but its task was lost
    client = admin_client(super_admin)
    for _ in range(2):
        response = client.post(
            "/admin/messaging/webhookevent/", {"action": "replay", "_selected_action": [str(event.pk)]}
        )
        assert response.status_code == 302
    assert sorted(Message.objects.values_list("wamid", flat=True)) == ["wamid.REPLAY-1", "wamid.REPLAY-2"]
    assert Conversation.objects.count() == 1
    event.refresh_from_db()
    assert event.processed_at is not None and event.salon == salon and event.attempts == 2


def test_message_admin_is_a_read_only_search_by_wamid(owner, salon):
    MessageFactory(conversation=ConversationFactory(salon=salon), wamid="wamid.FIND-ME", text="found by wamid")
    MessageFactory(conversation=ConversationFactory(salon=salon), text="not this one")
    client = admin_client(owner)
    page = client.get("/admin/messaging/message/", {"q": "FIND-ME"}).content.decode()
    assert "found by wamid" in page and "not this one" not in page
    assert client.get("/admin/messaging/message/add/").status_code == 403
