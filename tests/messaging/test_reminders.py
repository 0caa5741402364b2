"""Reminder rows: planned with the booking, dispatched once, sent once, never for a cancelled booking."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from bookings import services as booking_services
from bookings.models import ActorKind, BookingSource, Reminder, ReminderStatus
from messaging import tasks
from messaging.models import Direction, Message
from messaging.services import reminders
from messaging.whatsapp import backends
from tests import factories
from tests.messaging.factories import ConversationFactory, TemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(salon):
    """A booking three hours ahead whose customer wrote a minute ago (window open)."""
    salon.reminder_offsets_minutes = [1440, 120]
    salon.save()
    service = factories.ServiceFactory(salon=salon)
    master = factories.MasterFactory(salon=salon, services=[service], name="Anna")
    conversation = ConversationFactory(salon=salon)
    start = (timezone.now() + timedelta(hours=3)).replace(microsecond=0)
    booking = booking_services.create_booking(
        actor=None,
        actor_kind=ActorKind.SYSTEM,
        salon=salon,
        master=master,
        service=service,
        start_ts=start,
        customer=conversation.customer,
        source=BookingSource.API,
    )
    return booking, conversation


def reminder_messages(conversation):
    return Message.objects.filter(
        conversation=conversation, direction=Direction.OUT, idempotency_key__startswith="reminder:"
    )


def test_rows_are_planned_only_for_offsets_still_ahead(booked):
    booking, _ = booked
    rows = list(Reminder.objects.filter(booking=booking))
    assert [(r.offset_minutes, r.status) for r in rows] == [(120, "PENDING")]  # 1440 min before is already past
    assert rows[0].scheduled_at == booking.start_ts - timedelta(minutes=120)


def test_due_reminder_is_sent_once_as_free_text_inside_the_window(booked):
    booking, conversation = booked
    reminder = Reminder.objects.get(booking=booking)
    assert reminders.dispatch_due_reminders(now=reminder.scheduled_at - timedelta(seconds=1)) == []
    ids = reminders.dispatch_due_reminders(now=reminder.scheduled_at)
    assert ids == [str(reminder.pk)]
    assert reminders.dispatch_due_reminders(now=reminder.scheduled_at) == []  # claimed: not again
    assert reminders.send_reminder(reminder_id=ids[0]) == "sent"
    assert reminders.send_reminder(reminder_id=ids[0]) == "skipped"  # the task delivered twice
    reminder.refresh_from_db()
    message = reminder_messages(conversation).get()
    assert reminder.status == ReminderStatus.SENT and reminders.message_of(reminder) == message
    assert message.type == "text" and "Anna" in message.text and booking.code in message.text


def test_outside_the_window_the_reminder_template_is_used(booked):
    booking, conversation = booked
    conversation.last_inbound_at = timezone.now() - timedelta(days=2)
    conversation.save()
    TemplateFactory(salon=booking.salon, body="Hi {{1}}, see you on {{2}} for {{3}} with {{4}}.")
    reminder = Reminder.objects.get(booking=booking)
    reminders.dispatch_due_reminders(now=reminder.scheduled_at)
    assert reminders.send_reminder(reminder_id=reminder.pk) == "sent"
    message = reminder_messages(conversation).get()
    assert message.type == "template"
    params = [p["text"] for p in message.payload["template"]["components"][0]["parameters"]]
    assert params[0] == booking.customer_name and params[3] == "Anna"


def test_outside_the_window_without_a_template_the_reminder_fails_visibly(booked):
    booking, conversation = booked
    conversation.last_inbound_at = timezone.now() - timedelta(days=2)
    conversation.save()
    reminder = Reminder.objects.get(booking=booking)
    reminders.dispatch_due_reminders(now=reminder.scheduled_at)
    assert reminders.send_reminder(reminder_id=reminder.pk) == "failed"
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.FAILED and "REMINDER template" in reminder.last_error
    assert not reminder_messages(conversation).exists()


def test_cancelled_booking_reminder_is_never_sent(booked):
    booking, conversation = booked
    reminder = Reminder.objects.get(booking=booking)
    reminders.dispatch_due_reminders(now=reminder.scheduled_at)  # already QUEUED when cancelled
    booking_services.transition_booking(actor=None, actor_kind=ActorKind.SYSTEM, booking=booking, action="cancel")
    assert reminders.send_reminder(reminder_id=reminder.pk) == "skipped"
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.CANCELLED
    assert not reminder_messages(conversation).exists()


def test_rescheduled_booking_moves_its_reminder_and_an_inflight_send_is_void(booked):
    booking, _conversation = booked
    reminder = Reminder.objects.get(booking=booking)
    reminders.dispatch_due_reminders(now=reminder.scheduled_at)
    booking_services.reschedule_booking(
        actor=None, actor_kind=ActorKind.SYSTEM, booking=booking, start_ts=booking.start_ts + timedelta(days=1)
    )
    assert reminders.send_reminder(reminder_id=reminder.pk) == "skipped"
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING
    assert reminder.scheduled_at == booking.start_ts + timedelta(days=1) - timedelta(minutes=120)


def test_a_worker_killed_after_claiming_is_covered_by_the_lease(booked):
    booking, conversation = booked
    reminder = Reminder.objects.get(booking=booking)
    claimed_at = reminder.scheduled_at
    assert reminders.dispatch_due_reminders(now=claimed_at) == [str(reminder.pk)]
    # ... and the send task is lost with its worker. Within the lease nobody touches it:
    assert reminders.dispatch_due_reminders(now=claimed_at + reminders.QUEUED_LEASE - timedelta(seconds=1)) == []
    again = reminders.dispatch_due_reminders(now=claimed_at + reminders.QUEUED_LEASE + timedelta(seconds=1))
    assert again == [str(reminder.pk)]
    assert reminders.send_reminder(reminder_id=reminder.pk) == "sent"
    assert reminder_messages(conversation).count() == 1


def test_a_permanent_send_failure_marks_the_reminder_failed(booked, django_capture_on_commit_callbacks):
    booking, conversation = booked
    from messaging.whatsapp.errors import PermanentSendError

    backends.MemoryBackend.fail_next(PermanentSendError("re-engagement", code=131047, title="Re-engagement message"))
    reminder = Reminder.objects.get(booking=booking)
    reminders.dispatch_due_reminders(now=reminder.scheduled_at)
    tasks.send_reminder(str(reminder.pk))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_message(str(reminder_messages(conversation).get().pk))
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.FAILED and "131047" in reminder.last_error


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_and_duplicate_sends_still_send_each_reminder_once():
    salon = factories.SalonFactory(reminder_offsets_minutes=[60])
    service = factories.ServiceFactory(salon=salon)
    now = timezone.now()
    bookings = []
    for i in range(12):
        master = factories.MasterFactory(salon=salon, services=[service])
        conversation = ConversationFactory(salon=salon)
        bookings.append(
            booking_services.create_booking(
                actor=None,
                actor_kind=ActorKind.SYSTEM,
                salon=salon,
                master=master,
                service=service,
                start_ts=now + timedelta(hours=2, minutes=i),
                customer=conversation.customer,
                source=BookingSource.API,
            )
        )
    due_at = now + timedelta(hours=2)
    claimed: list[list[str]] = []
    barrier = threading.Barrier(2)

    def dispatcher():
        barrier.wait()
        try:
            claimed.append(reminders.dispatch_due_reminders(now=due_at + timedelta(minutes=30), batch_size=12))
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    all_ids = claimed[0] + claimed[1]
    assert len(all_ids) == len(set(all_ids)) == 12  # disjoint, and every due row claimed

    outcomes: list[str] = []

    def sender(reminder_id):
        try:
            outcomes.append(reminders.send_reminder(reminder_id=reminder_id))
        finally:
            connection.close()

    senders = [threading.Thread(target=sender, args=(rid,)) for rid in all_ids for _ in range(2)]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    assert outcomes.count("sent") == 12 and outcomes.count("skipped") == 12
    assert Message.objects.filter(idempotency_key__startswith="reminder:").count() == 12


def test_a_failed_status_arriving_later_marks_the_reminder_failed(salon, post_webhook):
    """Meta accepted the send, then reported 131047 in a status webhook: the reminder did not reach anyone."""
    from tests.messaging import meta
    from tests.messaging.conftest import PHONE_NUMBER_ID

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
    tasks.send_reminder(str(reminder.pk))
    message = reminder_messages(conversation).get()
    tasks.send_message(str(message.pk))
    message.refresh_from_db()
    assert message.status == "SENT" and message.wamid
    post_webhook(meta.statuses(meta.status(message.wamid, "failed", recipient=conversation.wa_id)))
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.FAILED and "131047" in reminder.last_error
