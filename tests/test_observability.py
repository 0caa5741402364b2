"""Prometheus metrics at /metrics and request ids in JSON logs (salonbot/metrics.py, salonbot/observability.py)."""

import json
import logging
import uuid

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from messaging.whatsapp.signature import sign
from salonbot.observability import JsonFormatter
from tests import factories
from tests.bookings.conftest import booking_body, next_monday_at
from tests.messaging import meta

TOKEN = "metrics-test-token"
SECRET = "observability-secret"


def scrape(client=None, **headers) -> dict[str, float]:
    """{'name{label="v"}': value} of every sample, from GET /metrics with the token."""
    client = client or Client()
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


@pytest.fixture
def metrics_settings(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []
    settings.WHATSAPP_BACKEND = "memory"
    settings.WHATSAPP_APP_SECRET = SECRET
    return settings


@pytest.mark.django_db
def test_metrics_count_a_booking_and_a_webhook(metrics_settings, api, salon, django_capture_on_commit_callbacks):
    master_service = factories.ServiceFactory(salon=salon, duration_minutes=60)
    master = factories.MasterFactory(salon=salon, services=[master_service])
    before = scrape()

    with django_capture_on_commit_callbacks(execute=True):  # bookings are counted once committed
        created = api.post(
            "/api/bookings", booking_body(salon, master, master_service, next_monday_at(10)), format="json"
        )
    assert created.status_code == 201, created.content
    body = json.dumps(
        meta.messages(meta.text("wamid.METRICS-1"), phone_number_id=salon.whatsapp_phone_number_id)
    ).encode()
    with django_capture_on_commit_callbacks(execute=True):  # the processing task runs (eagerly) on commit
        hook = Client().post(
            "/api/whatsapp/webhook",
            data=body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=sign(body, SECRET),
        )
    assert hook.status_code == 200

    after = scrape()

    def delta(key):
        return after.get(key, 0) - before.get(key, 0)

    assert delta("salonbot_bookings_created_total{}") == 1
    assert delta('salonbot_webhook_events_received_total{result="accepted"}') == 1
    assert delta('salonbot_webhook_events_processed_total{outcome="ok"}') == 1
    assert delta('salonbot_celery_tasks_total{outcome="success",task="messaging.process_webhook_event"}') == 1
    assert delta('salonbot_http_request_duration_seconds_count{method="POST",route="api/bookings",status="201"}') == 1
    assert any(key.startswith("salonbot_celery_queue_depth{") for key in after)


@pytest.mark.django_db
def test_metrics_need_the_token_or_an_allowed_address(metrics_settings):
    assert Client().get("/metrics").status_code == 404
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    metrics_settings.METRICS_TOKEN = ""
    assert Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 404
    import ipaddress

    metrics_settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    # A forwarded header is not the peer: it cannot talk its way in.
    assert Client(REMOTE_ADDR="203.0.113.9").get("/metrics", HTTP_X_REAL_IP="10.1.2.3").status_code == 404


def json_lines(caplog) -> list[dict]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(record)) for record in caplog.records]


@pytest.mark.django_db
def test_a_json_log_line_carries_the_request_id_given_in_x_request_id(settings, api, owner, salon, caplog):
    settings.LOG_REQUESTS = True
    request_id = f"req-{uuid.uuid4().hex}"
    with caplog.at_level(logging.INFO, logger="salonbot.request"):
        response = api.get("/api/salons", {"salon_id": str(salon.pk)}, HTTP_X_REQUEST_ID=request_id)
    assert response.status_code == 200
    assert response["X-Request-ID"] == request_id
    (line,) = [entry for entry in json_lines(caplog) if entry["logger"] == "salonbot.request"]
    assert line["request_id"] == request_id
    assert line["path"] == "/api/salons"
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert line["user"] == str(owner.pk)
    assert line["salon"] == str(salon.pk)
    assert line["duration_ms"] > 0
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")


@pytest.mark.django_db
def test_every_record_of_a_request_carries_its_id_and_a_bad_id_is_replaced(settings, caplog):
    settings.WHATSAPP_APP_SECRET = ""  # the webhook logs an error on each delivery then
    with caplog.at_level(logging.INFO):
        response = Client().post(
            "/api/whatsapp/webhook", data=b"{}", content_type="application/json", HTTP_X_REQUEST_ID='evil"\nid'
        )
    assert response.status_code == 403
    made = response["X-Request-ID"]
    assert made != 'evil"\nid' and len(made) == 32
    errors = [entry for entry in json_lines(caplog) if entry["level"] == "ERROR"]
    assert errors and all(entry["request_id"] == made for entry in errors)
