"""The webhook endpoint: Meta's handshake, signatures over the raw body, storing before answering."""

import json

import pytest

from messaging.models import Message, WebhookEvent
from messaging.whatsapp.signature import sign
from tests import factories
from tests.messaging import meta
from tests.messaging.conftest import APP_SECRET, PHONE_NUMBER_ID, VERIFY_TOKEN, WEBHOOK_URL

pytestmark = pytest.mark.django_db


@pytest.fixture
def salon(owner):
    return factories.SalonFactory(owner=owner, whatsapp_phone_number_id=PHONE_NUMBER_ID)


# --- verification handshake ----------------------------------------------------------------------


def test_handshake_with_the_verify_token_echoes_the_challenge_as_plain_text(client):
    response = client.get(
        WEBHOOK_URL, {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"1158201444"


def test_handshake_works_with_a_trailing_slash_too(client):
    response = client.get(
        WEBHOOK_URL + "/", {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"}
    )
    assert response.status_code == 200 and response.content == b"42"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "echo-me"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "echo-me"},
        {"hub.verify_token": VERIFY_TOKEN, "hub.challenge": "echo-me"},
        {"hub.mode": "subscribe", "hub.challenge": "echo-me"},
        {},
    ],
)
def test_handshake_with_a_wrong_token_or_mode_is_403(client, params):
    response = client.get(WEBHOOK_URL, params)
    assert response.status_code == 403
    assert b"echo-me" not in response.content
    assert response.json()["code"] == "permission_denied"


def test_handshake_is_refused_when_no_verify_token_is_configured(client, settings):
    settings.WHATSAPP_VERIFY_TOKEN = ""
    response = client.get(WEBHOOK_URL, {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "echo-me"})
    assert response.status_code == 403


# --- signature -----------------------------------------------------------------------------------


def test_a_signed_post_is_stored_and_answered_200(salon, post_webhook):
    response = post_webhook(meta.messages(meta.text("wamid.IN-1")))
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.processed_at is not None and event.error == ""
    assert Message.objects.filter(wamid="wamid.IN-1").exists()


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "sha256=" + "0" * 64,
        "sha1=abcdef",
        sign(b"some other body", APP_SECRET),
        "sha256=not-hex",
    ],
    ids=["missing", "empty", "wrong-digest", "wrong-scheme", "other-body", "garbage"],
)
def test_a_missing_or_wrong_signature_is_403_and_nothing_is_stored(salon, post_webhook, signature):
    response = post_webhook(meta.messages(meta.text("wamid.IN-1")), signature=signature)
    assert response.status_code == 403
    assert response.json()["code"] == "invalid_signature"
    assert WebhookEvent.objects.count() == 0
    assert Message.objects.count() == 0


def test_a_signature_made_with_another_secret_is_403(salon, post_webhook):
    data = json.dumps(meta.messages(meta.text("wamid.IN-1"))).encode()
    response = post_webhook(data, signature=sign(data, "someone-elses-secret"))
    assert response.status_code == 403
    assert WebhookEvent.objects.count() == 0


def test_without_an_app_secret_nothing_verifies(salon, post_webhook, settings):
    settings.WHATSAPP_APP_SECRET = ""
    data = json.dumps(meta.messages(meta.text("wamid.IN-1"))).encode()
    assert post_webhook(data, signature=sign(data, "")).status_code == 403
    assert WebhookEvent.objects.count() == 0


def test_the_signature_is_checked_over_the_raw_bytes_with_unicode_escapes(salon, post_webhook):
    # Meta sends \u-escaped JSON; re-serialising it would change the bytes and break the hash.
    data = b'{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{'
    data += b'"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"'
    data += PHONE_NUMBER_ID.encode()
    data += b'"},"contacts":[{"profile":{"name":"In\\u00eas"},"wa_id":"351912345678"}],"messages":[{"from":'
    data += b'"351912345678","id":"wamid.U1","timestamp":"1767600000","type":"text",'
    data += b'"text":{"body":"Ol\\u00e1 \\ud83d\\udc87"}}]}}]}]}'
    assert post_webhook(data).status_code == 200
    message = Message.objects.get(wamid="wamid.U1")
    assert message.text == "Olá 💇"
    assert message.conversation.customer.name == "Inês"


def test_the_webhook_needs_no_token_and_is_not_rate_limited(salon, post_webhook, settings):
    settings.API_RATE_LIMIT = "2/m"
    for n in range(5):
        assert post_webhook(meta.messages(meta.text(f"wamid.RL-{n}"))).status_code == 200
    assert Message.objects.count() == 5


# --- bodies we cannot use ------------------------------------------------------------------------


def test_signed_invalid_json_is_stored_with_its_error_and_answered_200(salon, post_webhook):
    response = post_webhook(b'{"object": "whatsapp_business_account", "entry": [')
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.error.startswith("invalid JSON")
    assert event.body == '{"object": "whatsapp_business_account", "entry": ['
    assert event.processed_at is not None
    assert Message.objects.count() == 0


def test_signed_json_that_is_not_an_object_is_recorded_not_dropped(salon, post_webhook):
    assert post_webhook(b"[1, 2, 3]").status_code == 200
    event = WebhookEvent.objects.get()
    assert "unreadable body" in event.error


def test_fields_we_do_not_use_are_answered_200(salon, post_webhook):
    template_update = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "310000000000001",
                "changes": [
                    {
                        "field": "message_template_status_update",
                        "value": {
                            "event": "APPROVED",
                            "message_template_id": 1,
                            "message_template_name": "appointment_reminder",
                            "message_template_language": "en",
                            "reason": "NONE",
                        },
                    }
                ],
            }
        ],
    }
    assert post_webhook(template_update).status_code == 200
    event = WebhookEvent.objects.get()
    assert event.error == "" and event.processed_at is not None


def test_a_body_over_the_size_limit_is_413(salon, post_webhook, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post_webhook(meta.messages(meta.text("wamid.BIG", "x" * 5000)))
    assert response.status_code == 413
    assert WebhookEvent.objects.count() == 0


def test_the_webhook_is_in_the_openapi_schema(client, admin_api):
    schema = admin_api.get("/api/schema", {"format": "json"}).json()
    assert {"get", "post"} <= set(schema["paths"]["/api/whatsapp/webhook"])


# --- a broker that is down -----------------------------------------------------------------------


def test_with_the_broker_down_the_event_is_kept_and_the_sweep_processes_it(salon, post_webhook, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone
    from kombu.exceptions import OperationalError

    from messaging import tasks

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as patch:
        patch.setattr(tasks.process_webhook_event, "apply_async", broker_down)
        assert post_webhook(meta.messages(meta.text("wamid.LATE"))).status_code == 200
    event = WebhookEvent.objects.get()
    assert event.processed_at is None and not Message.objects.exists()

    tasks.sweep()  # too early: its task may still be on the way
    assert not Message.objects.exists()
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(minutes=5))
    tasks.sweep()
    event.refresh_from_db()
    assert event.processed_at is not None and event.attempts == 2  # one re-enqueue, one finished run
    assert Message.objects.filter(wamid="wamid.LATE").exists()


def test_the_sweep_gives_up_on_an_event_that_never_finishes(salon):
    from datetime import timedelta

    from django.utils import timezone

    from messaging.services import recovery

    old = timezone.now() - timedelta(minutes=5)
    event = WebhookEvent.objects.create(body="{}", received_at=old, attempts=recovery.MAX_EVENT_ATTEMPTS - 1)
    assert recovery.claim_stale_event_ids() == [event.pk]
    assert recovery.claim_stale_event_ids() == []
