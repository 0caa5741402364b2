"""A real Celery worker and beat, in their own process, send a due reminder exactly once.

No eager mode here: beat enqueues `dispatch_due_reminders` on a real broker (Redis, or the
filesystem transport of the embedded default), the worker claims and sends, and the message
reaches the fake Graph API over HTTP.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from bookings import services as booking_services
from bookings.models import ActorKind, BookingSource, Reminder, ReminderStatus
from messaging.services import reminders
from tests import factories
from tests.conftest import database_url, purge_broker
from tests.messaging.conftest import TOKEN
from tests.messaging.factories import ConversationFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]
ROOT = Path(__file__).resolve().parents[2]


def start_processes(broker: str, graph_url: str, var_dir: Path, *, separate_beat: bool) -> list[subprocess.Popen]:
    """The worker and beat; as separate processes (the compose shape) or the worker embedding beat."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker,
        "SALONBOT_VAR_DIR": str(var_dir),
        "WHATSAPP_BACKEND": "cloud",
        "WHATSAPP_API_BASE_URL": graph_url,
        "WHATSAPP_ACCESS_TOKEN": TOKEN,
        "REMINDER_DISPATCH_SECONDS": "1",
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    if not broker.startswith("filesystem://"):  # a filesystem broker here lives in a fresh tmp_path
        purge_broker(broker)
    celery = [sys.executable, "-m", "celery", "-A", "salonbot"]
    schedule = f"--schedule={var_dir / 'beat-schedule'}"
    worker = [*celery, "worker", "--loglevel=INFO", "--concurrency=2", "--without-gossip", "--without-mingle"]
    commands = (
        [worker, [*celery, "beat", "--loglevel=INFO", schedule]] if separate_beat else [[*worker, "--beat", schedule]]
    )
    return [
        subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for cmd in commands
    ]


def stop(processes: list[subprocess.Popen]) -> str:
    outputs = []
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        outputs.append(output)
    return "\n".join(outputs)


BROKERS = [
    pytest.param("redis", marks=pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs REDIS_URL")),
    pytest.param("filesystem", id="embedded-filesystem-broker"),
]


@pytest.mark.parametrize("broker_kind", BROKERS)
def test_worker_and_beat_send_a_due_reminder_exactly_once(broker_kind, fake_graph, graph, tmp_path):
    broker = django_settings.REDIS_URL if broker_kind == "redis" else "filesystem://"
    salon = factories.SalonFactory(reminder_offsets_minutes=[61])
    service = factories.ServiceFactory(salon=salon)
    master = factories.MasterFactory(salon=salon, services=[service])
    now = timezone.now()
    start = now + timedelta(minutes=61, seconds=4)  # its reminder falls due in ~4 s
    due = ConversationFactory(salon=salon)
    booking = booking_services.create_booking(
        actor=None,
        actor_kind=ActorKind.SYSTEM,
        salon=salon,
        master=master,
        service=service,
        start_ts=start,
        customer=due.customer,
        source=BookingSource.API,
    )
    cancelled_conversation = ConversationFactory(salon=salon)
    other_master = factories.MasterFactory(salon=salon, services=[service])
    cancelled = booking_services.create_booking(
        actor=None,
        actor_kind=ActorKind.SYSTEM,
        salon=salon,
        master=other_master,
        service=service,
        start_ts=start,
        customer=cancelled_conversation.customer,
        source=BookingSource.API,
    )
    booking_services.transition_booking(actor=None, actor_kind=ActorKind.SYSTEM, booking=cancelled, action="cancel")
    fake_graph.accepted.clear()

    processes = start_processes(broker, graph.url_for(""), tmp_path, separate_beat=broker_kind == "redis")
    try:
        deadline = time.monotonic() + 60
        reminder = Reminder.objects.get(booking=booking)
        while time.monotonic() < deadline:
            reminder.refresh_from_db()
            message = reminders.message_of(reminder)
            if reminder.status == ReminderStatus.SENT and message and message.wamid:
                break
            time.sleep(0.5)
        time.sleep(3)  # a few more beats: nothing may be sent again
    finally:
        log = stop(processes)
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT, log[-3000:]
    recipients = [body["to"] for _, body, _ in fake_graph.accepted]
    assert recipients == [due.wa_id], (recipients, log[-3000:])
    assert Reminder.objects.get(booking=cancelled).status == ReminderStatus.CANCELLED
