"""The embedded default as `make run` starts it: real processes, no Redis, one cache they share.

gunicorn answers the API and the webhook; a Celery worker on the filesystem broker processes the
webhook, and the bot books. The dashboard the web server serves (from its cache) must show the
worker's booking within two seconds: the invalidation crosses processes through the database cache.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection
from rest_framework_simplejwt.tokens import RefreshToken

from bookings.models import Booking
from messaging.models import Direction, Message
from messaging.whatsapp.signature import sign
from tests import factories
from tests.conftest import database_url
from tests.messaging import meta
from tests.test_deployment import free_port

pytestmark = [
    pytest.mark.live,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "sqlite" or bool(settings.REDIS_URL),
        reason="the embedded default is SQLite without Redis (the suite's second run in CI)",
    ),
]
ROOT = Path(__file__).resolve().parents[1]
SECRET = "embedded-test-secret"
EVERY_DAY = {
    day: {"enabled": True, "start": "08:00", "end": "21:00"}
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}


def start(command: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


_outputs: dict[int, str] = {}


def stop(processes) -> str:
    """Stop them (once) and return what they printed."""
    running = [p for p in processes if p.pid not in _outputs]
    for process in running:
        process.send_signal(signal.SIGTERM)
    for process in running:
        try:
            _outputs[process.pid] = process.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            process.kill()
            _outputs[process.pid] = process.communicate()[0]
    return "\n".join(_outputs[p.pid] for p in processes)


def wait_for(check, deadline_s: float, what: str, log=lambda: ""):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"{what} did not happen within {deadline_s} s\n{log()[-4000:]}")


def test_a_bot_booking_in_the_worker_reaches_the_web_servers_dashboard_within_two_seconds(tmp_path):
    owner = factories.UserFactory()
    salon = factories.SalonFactory(owner=owner, timezone="Europe/Berlin", whatsapp_phone_number_id=meta.PHONE_NUMBER_ID)
    haircut = factories.ServiceFactory(salon=salon, name="Haircut", duration_minutes=45)
    factories.MasterFactory(salon=salon, name="Anna", services=[haircut], working_hours=EVERY_DAY)
    # A returning customer: the bot knows her name and goes straight to the confirmation.
    factories.CustomerFactory(salon=salon, phone=f"+{meta.CUSTOMER}", name=meta.CUSTOMER_NAME, name_confirmed=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": database_url(), "SALONBOT_VAR_DIR": str(tmp_path)}
    env.update(WHATSAPP_BACKEND="console", WHATSAPP_APP_SECRET=SECRET, CELERY_BROKER_URL="filesystem://")
    for name in ("REDIS_URL", "CELERY_TASK_ALWAYS_EAGER"):
        env.pop(name, None)
    web = start([sys.executable, "-m", "gunicorn", "salonbot.wsgi", "--bind", f"127.0.0.1:{port}", "-w", "1"], env)
    celery = [sys.executable, "-m", "celery", "-A", "salonbot", "worker", "--concurrency=1", "--loglevel=INFO"]
    worker = start([*celery, "--without-gossip", "--without-mingle"], env)
    processes = [web, worker]
    log = lambda: stop(processes)  # noqa: E731 (only read after a failure)
    try:
        client = httpx.Client(base_url=base, timeout=10)
        wait_for(lambda: _answers(client), 30, "gunicorn answering", log)
        token = str(RefreshToken.for_user(owner).access_token)
        dashboard = f"/api/analytics/dashboard?salon_id={salon.pk}"
        auth = {"Authorization": f"Bearer {token}"}
        before = client.get(dashboard, headers=auth).json()
        assert before["total_bookings"] == 0
        assert client.get(dashboard, headers=auth).json()["generated_at"] == before["generated_at"]  # cached

        def webhook(item) -> None:
            body = json.dumps(meta.messages(item)).encode()
            headers = {"X-Hub-Signature-256": sign(body, SECRET), "Content-Type": "application/json"}
            assert client.post("/api/whatsapp/webhook", content=body, headers=headers).status_code == 200

        now = int(time.time())
        webhook(meta.text("wamid.EMB-1", "Haircut tomorrow at 3pm with Anna please", ts=now))
        confirm = wait_for(lambda: _confirm_button(salon), 60, "the bot's confirmation question", log)
        webhook(meta.button_reply("wamid.EMB-2", confirm, "Confirm", ts=now + 1))
        wait_for(lambda: Booking.objects.filter(salon=salon).exists(), 60, "the bot's booking", log)
        seen_at = time.monotonic()
        wait_for(lambda: client.get(dashboard, headers=auth).json()["total_bookings"] == 1, 2, "the dashboard", log)
        assert time.monotonic() - seen_at <= 2
    finally:
        output = stop(processes)
    assert "Traceback" not in output, output[-4000:]


def _answers(client) -> bool:
    try:
        return client.get("/healthz").status_code == 200
    except httpx.HTTPError:
        return False


def _confirm_button(salon) -> str | None:
    for message in Message.objects.filter(salon=salon, direction=Direction.OUT).order_by("-created_at"):
        for button in message.payload.get("interactive", {}).get("action", {}).get("buttons", []):
            if button["reply"]["title"] == "Confirm":
                return button["reply"]["id"]
    return None
