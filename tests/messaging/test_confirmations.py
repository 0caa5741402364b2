"""The WhatsApp confirmation queued when a booking is created (bookings.signals.booking_changed)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings import services as bookings
from bookings.models import ActorKind, BookingSource
from messaging.models import Message, TemplatePurpose
from messaging.services import confirmations
from messaging.whatsapp import backends
from tests import factories
from tests.bookings.conftest import next_monday_at
from tests.messaging.conftest import PHONE_NUMBER_ID
from tests.messaging.factories import ConversationFactory, TemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def salon(owner):
    return factories.SalonFactory(owner=owner, whatsapp_phone_number_id=PHONE_NUMBER_ID, timezone="Europe/Berlin")


@pytest.fixture
def customer(salon):
    return factories.CustomerFactory(salon=salon, name="Anna", phone="+491701234567")


@pytest.fixture
def book(salon, customer, django_capture_on_commit_callbacks):
    service = factories.ServiceFactory(salon=salon, name="Haircut")
    master = factories.MasterFactory(salon=salon, services=[service], name="Bea")

    def create(**extra):
        with django_capture_on_commit_callbacks(execute=True):
            return bookings.create_booking(
                actor=None,
                actor_kind=ActorKind.SYSTEM,
                salon=salon,
                service=service,
                master=master,
                customer=customer,
                source=BookingSource.API,
                **{"start_ts": next_monday_at(10), **extra},
            )

    return create


def test_inside_the_window_a_text_with_the_code_and_local_time_is_sent(salon, customer, book):
    ConversationFactory(salon=salon, customer=customer)
    booking = book()
    message = Message.objects.get()
    assert message.type == "text" and message.status == "SENT"
    assert booking.code in message.text and "Haircut" in message.text and "Bea" in message.text
    assert "10:00" in message.text  # salon-local time, not UTC (09:00)
    assert message.idempotency_key == f"booking-confirmation:{booking.pk}"
    assert backends.outbox[0][1]["to"] == customer.phone.lstrip("+")


def test_outside_the_window_the_confirmation_template_is_used(salon, customer, book):
    ConversationFactory(salon=salon, customer=customer, window_closed=True)
    TemplateFactory(salon=salon, purpose=TemplatePurpose.REMINDER)
    template = TemplateFactory(
        salon=salon,
        purpose=TemplatePurpose.CONFIRMATION,
        body="Hi {{1}}, {{3}} on {{2}} is booked. Code {{5}}, with {{4}}.",
    )
    booking = book()
    message = Message.objects.get()
    assert message.template == template and message.status == "SENT"
    assert message.text.startswith("Hi Anna, Haircut on ") and message.text.endswith(f"Code {booking.code}, with Bea.")


def test_outside_the_window_without_a_template_nothing_is_sent(salon, customer, book, caplog):
    ConversationFactory(salon=salon, customer=customer, window_closed=True)
    with caplog.at_level("INFO", logger="messaging.services.confirmations"):
        book()
    assert Message.objects.count() == 0
    assert any("no CONFIRMATION template" in r.getMessage() for r in caplog.records)


def test_a_customer_without_a_conversation_gets_nothing(book):
    book()
    assert Message.objects.count() == 0 and backends.outbox == []


def test_the_confirmation_is_queued_once_however_often_asked(salon, customer, book):
    ConversationFactory(salon=salon, customer=customer)
    booking = book()
    confirmations.queue_booking_confirmation(booking_id=booking.pk)
    assert Message.objects.count() == 1


def test_a_full_message_quota_does_not_break_the_booking(salon, customer, book):
    ConversationFactory(salon=salon, customer=customer)
    salon.max_messages_per_month = 0
    salon.save()
    booking = book()
    assert booking.pk and Message.objects.count() == 0


def test_the_text_follows_the_salon_language(salon, customer):
    salon.language = "ru"
    salon.save()
    service = factories.ServiceFactory(salon=salon)
    master = factories.MasterFactory(salon=salon, services=[service])
    booking = bookings.create_booking(
        actor=None,
        salon=salon,
        service=service,
        master=master,
        customer=customer,
        start_ts=next_monday_at(10),
        source="api",
    )
    # No Russian catalogue yet: the English text, with the date formatted for the salon.
    assert booking.code in confirmations.confirmation_text(booking)


def test_a_booking_that_has_already_started_is_not_confirmed(salon, customer, book):
    ConversationFactory(salon=salon, customer=customer)
    book(start_ts=timezone.now().replace(microsecond=0) - timedelta(minutes=10))  # a walk-in in the chair
    assert not Message.objects.exists() and not backends.outbox


def test_a_booking_recorded_after_the_fact_is_not_confirmed_now(salon, customer, book):
    ConversationFactory(salon=salon, customer=customer)
    book(at=timezone.now() - timedelta(days=3))  # an import, the demo salon: it was confirmed back then
    assert not Message.objects.exists() and not backends.outbox
