"""A reminder's send cut off mid-request is never repeated: its status settles it, or it ends UNKNOWN.

The worker's death itself is exercised for real in tests/faults/test_reminder_kill.py; here the
row a dead worker leaves behind (claimed, request started, no answer recorded) and a real POST
that times out against the fake Graph server.
"""

import re
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from bookings import services as booking_services
from bookings.models import ActorKind, BookingSource, Reminder, ReminderStatus
from messaging import tasks
from messaging.models import MessageStatus
from messaging.services import delivery, recovery, reminders
from messaging.services.statuses import callback_data
from messaging.whatsapp import backends
from tests import factories
from tests.conftest import client_for
from tests.factories import PASSWORD
from tests.messaging import meta
from tests.messaging.conftest import PHONE_NUMBER_ID
from tests.messaging.factories import ConversationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(salon, django_capture_on_commit_callbacks):
    """A due reminder whose message is queued, its send task not yet run."""
    salon.whatsapp_phone_number_id = PHONE_NUMBER_ID
    salon.reminder_offsets_minutes = [120]
    salon.save()
    service = factories.ServiceFactory(salon=salon)
    master = factories.MasterFactory(salon=salon, services=[service])
    conversation = ConversationFactory(salon=salon)
    booking = booking_services.create_booking(
        actor=None,
        actor_kind=ActorKind.SYSTEM,
        salon=salon,
        master=master,
        service=service,
        start_ts=(timezone.now() + timedelta(hours=3)).replace(microsecond=0),
        customer=conversation.customer,
        source=BookingSource.API,
    )
    reminder = Reminder.objects.get(booking=booking)
    reminders.dispatch_due_reminders(now=reminder.scheduled_at)
    with django_capture_on_commit_callbacks(execute=False):  # the send task is not run
        assert reminders.send_reminder(reminder_id=reminder.pk) == "sent"
    backends.reset()
    return reminder, reminders.message_of(reminder), conversation


def die_mid_request(message, at):
    """What a worker killed during the Graph POST leaves: claimed, request started, no answer."""
    type(message).objects.filter(pk=message.pk).update(attempts=1, send_claimed_at=at, send_started_at=at)


def test_an_interrupted_reminder_send_is_never_repeated_and_ends_unknown_after_the_window(
    queued, settings, django_capture_on_commit_callbacks
):
    settings.REMINDER_OUTCOME_WINDOW_SECONDS = 300
    reminder, message, _conversation = queued
    started = timezone.now() - timedelta(minutes=30)  # long past the claim lease too
    die_mid_request(message, started)

    assert message.pk not in [pk for pk, _ in recovery.stale_messages()]
    assert delivery.deliver_message(message_id=message.pk, attempt=0).status == "skipped"
    assert delivery.deliver_message(message_id=message.pk, attempt=1).status == "skipped"
    assert backends.outbox == []

    assert delivery.settle_interrupted_sends(now=started + timedelta(seconds=299)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.settle_interrupted_sends(now=started + timedelta(seconds=301)) == 1
    message.refresh_from_db()
    reminder.refresh_from_db()
    assert message.status == MessageStatus.UNKNOWN
    assert reminder.status == ReminderStatus.UNKNOWN and "not sent again" in reminder.last_error
    tasks.sweep()  # the periodic sweep leaves it alone as well
    assert backends.outbox == []


def test_a_status_that_echoes_the_callback_data_settles_an_interrupted_send(queued, post_webhook):
    reminder, message, conversation = queued
    die_mid_request(message, timezone.now() - timedelta(seconds=10))
    status = meta.status("wamid.LATE-1", "delivered", ts=int(time.time()), recipient=conversation.wa_id)
    status["biz_opaque_callback_data"] = callback_data(message.pk)
    post_webhook(meta.statuses(status))
    message.refresh_from_db()
    reminder.refresh_from_db()
    assert (message.status, message.wamid) == (MessageStatus.DELIVERED, "wamid.LATE-1")
    assert reminder.status == ReminderStatus.DELIVERED
    assert delivery.settle_interrupted_sends(now=timezone.now() + timedelta(hours=1)) == 0


def test_a_late_status_moves_an_unknown_reminder_on(queued, post_webhook, django_capture_on_commit_callbacks):
    reminder, message, conversation = queued
    started = timezone.now() - timedelta(hours=1)
    die_mid_request(message, started)
    with django_capture_on_commit_callbacks(execute=True):
        delivery.settle_interrupted_sends()
    status = meta.status("wamid.LATE-2", "read", ts=int(time.time()), recipient=conversation.wa_id)
    status["biz_opaque_callback_data"] = callback_data(message.pk)
    post_webhook(meta.statuses(status))
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.READ and reminder.last_error == ""


def test_a_reminder_send_that_times_out_is_not_retried(queued, fake_graph, graph, settings):
    """Meta may have taken it before we stopped waiting: a second POST could be a second reminder."""
    _reminder, message, _conversation = queued
    settings.WHATSAPP_HTTP_TIMEOUT = 0.5
    graph.clear()
    requests = []

    def slow(request):
        requests.append(request)
        time.sleep(1.5)
        return fake_graph(request)

    graph.expect_request(re.compile(r"^/\d+/messages$"), method="POST").respond_with_handler(slow)
    assert tasks.send_message(str(message.pk)) == "unknown"
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and message.send_started_at is not None
    assert len(requests) == 1
    assert delivery.deliver_message(message_id=message.pk, attempt=message.attempts).status == "skipped"
    assert len(requests) == 1


def test_the_booking_page_and_the_dashboard_show_an_unknown_reminder(
    queued, owner, other_owner, django_capture_on_commit_callbacks
):
    reminder, message, _conversation = queued
    die_mid_request(message, timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        delivery.settle_interrupted_sends()

    client = Client()
    assert client.login(email=owner.email, password=PASSWORD)
    page = client.get(f"/admin/bookings/booking/{reminder.booking_id}/change/").content.decode()
    assert 'class="rem-unknown"' in page and "Outcome unknown" in page

    dashboard = client_for(owner).get("/api/analytics/dashboard", {"salon_id": str(reminder.salon_id)})
    assert dashboard.status_code == 200 and dashboard.json()["reminders_unknown"] == 1
    assert "Reminders of unknown outcome" in client.get("/admin/").content.decode()
    other = factories.SalonFactory(owner=other_owner)
    assert (
        client_for(other_owner).get("/api/analytics/dashboard", {"salon_id": str(other.pk)}).json()["reminders_unknown"]
        == 0
    )
    assert client_for(other_owner).get("/api/reminders", {"status": "UNKNOWN"}).json()["count"] == 0
    listed = client_for(owner).get("/api/reminders", {"status": "UNKNOWN"}).json()
    assert [r["id"] for r in listed["results"]] == [str(reminder.pk)]


@pytest.fixture
def hang_up_server():
    """Reads one request, then closes the connection without answering (the request went out)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    received = []

    def serve():
        connection, _ = server.accept()
        with connection:
            received.append(connection.recv(65536))
        server.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", received
    thread.join(timeout=5)


def _cloud(settings, base_url):
    settings.WHATSAPP_BACKEND = "cloud"
    settings.WHATSAPP_API_BASE_URL = base_url
    settings.WHATSAPP_ACCESS_TOKEN = "EAAG-test-token"
    settings.WHATSAPP_HTTP_TIMEOUT = 5.0


def test_a_reminder_whose_connection_broke_after_the_request_is_not_retried(queued, settings, hang_up_server):
    _reminder, message, _conversation = queued
    base_url, received = hang_up_server
    _cloud(settings, base_url)
    assert delivery.deliver_message(message_id=message.pk, attempt=0).status == "unknown"
    assert len(received) == 1 and b"POST" in received[0]
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and message.send_started_at is not None
    assert message.pk not in [pk for pk, _ in recovery.stale_messages(now=timezone.now() + timedelta(hours=1))]


def test_a_reminder_that_could_not_connect_is_retried(queued, settings):
    """No connection, nothing reached Meta: a retry cannot make a second reminder."""
    _reminder, message, _conversation = queued
    _cloud(settings, "http://127.0.0.1:9")  # nothing listens
    outcome = delivery.deliver_message(message_id=message.pk, attempt=0)
    assert outcome.status == "retry"
    message.refresh_from_db()
    assert message.send_started_at is None and message.error_title == "network error"


def test_a_status_of_a_message_that_is_no_reminder_is_settled_without_reading_it_again(
    django_assert_num_queries,
):
    # A batch of statuses announces each message; the sender passes its key so the reminder
    # receiver needs no query per message to learn it is not its own.
    with django_assert_num_queries(0):
        assert reminders.follow_message(message_id="00000000-0000-0000-0000-000000000000", idempotency_key="") is False
        assert (
            reminders.follow_message(message_id="00000000-0000-0000-0000-000000000000", idempotency_key="bot:x")
            is False
        )
