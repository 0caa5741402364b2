"""The acknowledgement path: one statement before the 200, and how processing is published."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging.models import WebhookEvent
from messaging.services import webhooks
from messaging.whatsapp.signature import sign
from salonbot.celery import app as celery_app
from tests import factories
from tests.conftest import purge_broker
from tests.messaging import meta
from tests.messaging.conftest import APP_SECRET, PHONE_NUMBER_ID, WEBHOOK_URL


@pytest.fixture
def salon(owner):
    return factories.SalonFactory(owner=owner, whatsapp_phone_number_id=PHONE_NUMBER_ID)


def signed(body) -> dict:
    data = json.dumps(body).encode()
    return {"data": data, "content_type": "application/json", "HTTP_X_HUB_SIGNATURE_256": sign(data, APP_SECRET)}


@pytest.mark.django_db
def test_a_delivery_costs_one_insert_before_its_200(salon, client):
    with CaptureQueriesContext(connection) as queries:
        response = client.post(WEBHOOK_URL, **signed(meta.messages(meta.text("wamid.ONE"))))
    assert response.status_code == 200
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 1 and statements[0].startswith('INSERT INTO "messaging_webhookevent"'), statements


@pytest.mark.django_db
def test_without_the_receipt_middleware_the_view_answers_the_same(salon, client, settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "messaging.middleware.WebhookReceiptMiddleware"]
    assert client.post(WEBHOOK_URL, **signed(meta.messages(meta.text("wamid.VIEW")))).status_code == 200
    deep = client.post(WEBHOOK_URL, **signed({"a": json.loads("[" * 100 + "]" * 100)}))
    assert deep.status_code == 400 and deep.json()["code"] == "invalid_body"
    assert WebhookEvent.objects.count() == 1


def queued_tasks() -> list[dict]:
    """The processing tasks waiting in the broker: (event id, eta), taken off the queue."""
    found = []
    with celery_app.connection_for_write() as conn:
        queue = conn.SimpleQueue(celery_app.conf.task_default_queue)
        try:
            while True:
                try:
                    message = queue.get(block=False)
                except queue.Empty:
                    break
                found.append({"args": message.payload[0], "eta": message.headers.get("eta")})
                message.ack()
        finally:
            queue.close()
    return found


@pytest.mark.django_db(transaction=True)  # the publish happens on the real commit
def test_messages_are_published_at_once_and_statuses_share_one_delayed_task(salon, client, published):
    purge_broker()
    webhooks._status_schedule.runs_at = 0.0
    for k in range(3):
        assert client.post(WEBHOOK_URL, **signed(meta.statuses(meta.status(f"wamid.S{k}", "sent")))).status_code == 200
    assert client.post(WEBHOOK_URL, **signed(meta.messages(meta.text("wamid.NOW")))).status_code == 200
    tasks = queued_tasks()
    message_event = WebhookEvent.objects.get(body__contains="wamid.NOW")
    first_status = WebhookEvent.objects.filter(body__contains="wamid.S0").get()
    assert [(t["args"], t["eta"] is not None) for t in tasks] == [
        ([str(first_status.pk)], True),  # one task for the three statuses, run after the delay
        ([str(message_event.pk)], False),  # the customer's message: at once
    ]
