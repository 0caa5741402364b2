"""Conversations, messages and templates over REST: API.md shapes, tenancy, errors, query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.models import Message, MessageTemplate
from tests import factories
from tests.conftest import client_for
from tests.messaging.factories import ConversationFactory, MessageFactory, TemplateFactory
from tests.test_query_counts import LIST_BUDGET, statements

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(salon):
    return ConversationFactory(salon=salon)


def url(conversation, suffix=""):
    return f"/api/conversations/{conversation.pk}{suffix}"


# --- conversations -------------------------------------------------------------------------------


def test_conversation_detail_has_the_api_md_shape(api, conversation):
    body = api.get(url(conversation)).json()
    assert set(body) == {
        "id",
        "salon_id",
        "customer",
        "wa_id",
        "status",
        "bot_paused",
        "last_inbound_at",
        "last_message_at",
        "window_open",
    }
    assert body["customer"] == {
        "id": str(conversation.customer.pk),
        "name": conversation.customer.name,
        "phone": conversation.customer.phone,
    }
    assert body["window_open"] is True
    assert body["last_inbound_at"].endswith("Z")


def test_window_open_is_false_after_24_hours(api, salon):
    closed = ConversationFactory(salon=salon, window_closed=True)
    assert api.get(url(closed)).json()["window_open"] is False


def test_conversation_without_a_customer_renders_null(api, salon):
    conversation = ConversationFactory(salon=salon, customer=None, wa_id="BR.abc")
    assert api.get(url(conversation)).json()["customer"] is None


def test_conversations_are_listed_most_recent_first_with_silent_ones_last(api, salon):
    now = timezone.now()
    old = ConversationFactory(salon=salon, last_message_at=now - timedelta(days=2))
    silent = ConversationFactory(salon=salon, last_inbound_at=None, last_message_at=None)
    new = ConversationFactory(salon=salon, last_message_at=now)
    ids = [c["id"] for c in api.get("/api/conversations").json()["results"]]
    assert ids == [str(new.pk), str(old.pk), str(silent.pk)]


def test_conversations_filter_by_salon_status_and_search(api, owner, salon):
    second = factories.SalonFactory(owner=owner)
    anna = ConversationFactory(salon=salon, customer=factories.CustomerFactory(salon=salon, name="Anna Schmidt"))
    closed = ConversationFactory(salon=salon, status="CLOSED")
    elsewhere = ConversationFactory(salon=second)

    def ids(**params):
        return {c["id"] for c in api.get("/api/conversations", params).json()["results"]}

    assert ids(salon_id=second.pk) == {str(elsewhere.pk)}
    assert ids(status="CLOSED") == {str(closed.pk)}
    assert ids(search="schmidt") == {str(anna.pk)}
    assert ids(search=anna.customer.phone[-6:]) == {str(anna.pk)}
    assert api.get("/api/conversations", {"status": "LOST"}).status_code == 400
    assert api.get("/api/conversations", {"salon_id": "not-a-uuid"}).status_code == 400


def test_pause_and_resume_the_bot(api, conversation):
    paused = api.post(url(conversation, "/pause-bot"))
    assert paused.status_code == 200 and paused.json()["bot_paused"] is True
    conversation.refresh_from_db()
    assert conversation.bot_paused
    resumed = api.post(url(conversation, "/resume-bot/"))
    assert resumed.status_code == 200 and resumed.json()["bot_paused"] is False


# --- messages ------------------------------------------------------------------------------------


def test_messages_are_listed_oldest_first_and_paginated(api, conversation):
    for n in range(3):
        MessageFactory(conversation=conversation, text=f"m{n}")
    MessageFactory(text="another conversation")
    page = api.get(url(conversation, "/messages"), {"page_size": 2}).json()
    assert page["count"] == 3 and page["next"]
    assert [m["text"] for m in page["results"]] == ["m0", "m1"]
    assert set(page["results"][0]) == {
        "id",
        "direction",
        "type",
        "text",
        "truncated",
        "status",
        "wamid",
        "error_code",
        "error_title",
        "created_at",
    }


def test_posting_text_queues_a_message(api, conversation):
    response = api.post(url(conversation, "/messages"), {"text": "See you at 10!"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["direction"], body["type"], body["text"], body["status"]) == (
        "OUT",
        "text",
        "See you at 10!",
        "QUEUED",
    )
    assert Message.objects.get(pk=body["id"]).sent_by.email.startswith("owner")


def test_posting_text_is_sent_after_commit(api, conversation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(url(conversation, "/messages"), {"text": "Hi"}, format="json")
    assert Message.objects.get(pk=response.json()["id"]).status == "SENT"


def test_posting_a_template_queues_it_even_outside_the_window(api, salon):
    conversation = ConversationFactory(salon=salon, window_closed=True)
    template = TemplateFactory(salon=salon)
    response = api.post(
        url(conversation, "/messages"),
        {"template_id": str(template.pk), "parameters": ["Anna", "Haircut", "Mon 10:00"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["text"] == "Hi Anna, see you for Haircut on Mon 10:00."
    assert response.json()["type"] == "template"


def test_free_text_outside_the_window_is_409(api, salon):
    conversation = ConversationFactory(salon=salon, window_closed=True)
    response = api.post(url(conversation, "/messages"), {"text": "Hello?"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "outside_customer_service_window"
    assert Message.objects.count() == 0


def test_over_the_message_limit_is_403(api, salon, conversation):
    salon.max_messages_per_month = 0
    salon.save()
    response = api.post(url(conversation, "/messages"), {"text": "Hi"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "usage_limit_exceeded"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "non_field_errors"),
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 4097}, "text"),
        ({"text": "hi", "parameters": ["a"]}, "parameters"),
        ({"template_id": "not-a-uuid"}, "template_id"),
        ({"template_id": "00000000-0000-0000-0000-000000000000"}, "template_id"),
        ({"parameters": "Anna"}, "parameters"),
    ],
)
def test_bad_message_input_is_400(api, conversation, body, field):
    response = api.post(url(conversation, "/messages"), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Message.objects.count() == 0


def test_text_and_template_together_is_400(api, salon, conversation):
    template = TemplateFactory(salon=salon)
    body = {"text": "hi", "template_id": str(template.pk), "parameters": ["a", "b", "c"]}
    assert api.post(url(conversation, "/messages"), body, format="json").status_code == 400


def test_wrong_number_of_template_parameters_is_400(api, salon, conversation):
    template = TemplateFactory(salon=salon)
    body = {"template_id": str(template.pk), "parameters": ["only one"]}
    response = api.post(url(conversation, "/messages"), body, format="json")
    assert response.status_code == 400 and "parameters" in response.json()


def test_a_template_of_the_owners_other_salon_is_400(api, owner, conversation):
    template = TemplateFactory(salon=factories.SalonFactory(owner=owner))
    body = {"template_id": str(template.pk), "parameters": ["a", "b", "c"]}
    response = api.post(url(conversation, "/messages"), body, format="json")
    assert response.status_code == 400 and "template_id" in response.json()


def test_malformed_json_is_400(api, conversation):
    response = api.post(url(conversation, "/messages"), "{not json", content_type="application/json")
    assert response.status_code == 400


# --- templates -----------------------------------------------------------------------------------

TEMPLATE = {
    "name": "booking_confirmed",
    "language": "en_US",
    "category": "UTILITY",
    "body": "Hi {{1}}, your {{2}} is booked.",
    "purpose": "CONFIRMATION",
}


def test_template_crud(api, salon):
    created = api.post("/api/templates", {**TEMPLATE, "salon_id": str(salon.pk)}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) == {"id", "salon_id", "name", "language", "category", "body", "purpose", "created_at"}
    template_url = f"/api/templates/{body['id']}"
    patched = api.patch(template_url, {"body": "Hello {{1}}!"}, format="json")
    assert patched.status_code == 200 and patched.json()["body"] == "Hello {{1}}!"
    assert api.get("/api/templates", {"salon_id": salon.pk}).json()["count"] == 1
    assert api.delete(template_url).status_code == 204
    assert MessageTemplate.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "Booking Confirmed"}, "name"),
        ({"name": ""}, "name"),
        ({"language": "english"}, "language"),
        ({"body": "Hi {{1}} and {{3}}"}, "body"),
        ({"category": "SPAM"}, "category"),
        ({"purpose": "BIRTHDAY"}, "purpose"),
        ({"salon_id": "00000000-0000-0000-0000-000000000000"}, "salon_id"),
    ],
)
def test_bad_template_input_is_400(api, salon, change, field):
    response = api.post("/api/templates", {**TEMPLATE, "salon_id": str(salon.pk), **change}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_a_duplicate_template_name_and_language_is_400(api, salon):
    TemplateFactory(salon=salon, name="booking_confirmed", language="en_US")
    response = api.post("/api/templates", {**TEMPLATE, "salon_id": str(salon.pk)}, format="json")
    assert response.status_code == 400
    assert "unique" in str(response.json())
    assert MessageTemplate.objects.count() == 1


def test_a_template_cannot_move_to_another_salon(api, owner, salon):
    template = TemplateFactory(salon=salon)
    other = factories.SalonFactory(owner=owner)
    response = api.patch(f"/api/templates/{template.pk}", {"salon_id": str(other.pk)}, format="json")
    assert response.status_code == 400


# --- tenancy -------------------------------------------------------------------------------------


def test_another_owner_sees_none_of_it(other_api, salon, conversation):
    template = TemplateFactory(salon=salon)
    MessageFactory(conversation=conversation)
    for path in (url(conversation), url(conversation, "/messages"), f"/api/templates/{template.pk}"):
        assert other_api.get(path).status_code == 404, path
    assert other_api.post(url(conversation, "/messages"), {"text": "hi"}, format="json").status_code == 404
    assert other_api.post(url(conversation, "/pause-bot")).status_code == 404
    assert other_api.patch(f"/api/templates/{template.pk}", {"body": "x"}, format="json").status_code == 404
    assert other_api.delete(f"/api/templates/{template.pk}").status_code == 404
    assert other_api.get("/api/conversations").json()["count"] == 0
    assert other_api.get("/api/templates").json()["count"] == 0
    assert other_api.get("/api/conversations", {"salon_id": salon.pk}).json()["count"] == 0
    conversation.refresh_from_db()
    assert not conversation.bot_paused and Message.objects.filter(direction="OUT").count() == 0


def test_another_owners_template_in_a_body_is_rejected(other_api, other_owner, salon):
    foreign = TemplateFactory(salon=salon)
    theirs = ConversationFactory(salon=factories.SalonFactory(owner=other_owner))
    body = {"template_id": str(foreign.pk), "parameters": ["a", "b", "c"]}
    response = other_api.post(url(theirs, "/messages"), body, format="json")
    assert response.status_code == 400 and "template_id" in response.json()
    response = other_api.post("/api/templates", {**TEMPLATE, "salon_id": str(salon.pk)}, format="json")
    assert response.status_code == 400 and "salon_id" in response.json()


def test_a_super_admin_sees_every_salon(admin_api, conversation, other_salon):
    ConversationFactory(salon=other_salon)
    assert admin_api.get("/api/conversations").json()["count"] == 2
    assert admin_api.get(url(conversation, "/messages")).status_code == 200


def test_anonymous_requests_are_401(anon_api, conversation):
    assert anon_api.get("/api/conversations").status_code == 401
    assert anon_api.get("/api/templates").status_code == 401
    assert anon_api.post(url(conversation, "/messages"), {"text": "x"}, format="json").status_code == 401


# --- query counts --------------------------------------------------------------------------------


@pytest.fixture
def many(owner):
    salons = factories.SalonFactory.create_batch(2, owner=owner)
    conversations = [ConversationFactory(salon=s) for s in salons for _ in range(30)]
    for conversation in conversations[:2]:
        for _ in range(60):
            MessageFactory(conversation=conversation)
    for salon in salons:
        TemplateFactory.create_batch(30, salon=salon)
    return conversations


@pytest.mark.parametrize("path", ["/api/conversations", "/api/templates", "messages"])
def test_list_queries_do_not_grow_with_page_size(owner, many, path):
    api = client_for(owner)
    if path == "messages":
        path = url(many[0], "/messages")
    small = statements(api, path, page_size=1)
    large = statements(api, path, page_size=50)
    assert len(small) == len(large), f"page size 1: {small}\npage size 50: {large}"
    assert len(large) <= LIST_BUDGET, large


def test_messaging_endpoints_are_in_the_schema(admin_api):
    paths = admin_api.get("/api/schema", {"format": "json"}).json()["paths"]
    for path in (
        "/api/conversations",
        "/api/conversations/{id}",
        "/api/conversations/{id}/messages",
        "/api/conversations/{id}/pause-bot",
        "/api/conversations/{id}/resume-bot",
        "/api/templates",
        "/api/templates/{id}",
    ):
        assert path in paths, path
    assert {"get", "post"} <= set(paths["/api/conversations/{id}/messages"])
