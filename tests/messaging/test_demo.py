"""`manage.py seed_demo`: a live demo salon, made through the services, the same after a second run."""

from datetime import timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from bookings.models import Booking, BookingEvent, BookingSource, BookingStatus, Reminder, ReminderStatus
from messaging import demo
from messaging.models import Conversation, Message
from salons.models import Customer, Master, Salon, Service, UsageCounter

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    return {
        model.__name__: sorted(str(pk) for pk in model.objects.values_list("pk", flat=True))
        for model in (Salon, Master, Service, Customer, Booking, BookingEvent, Reminder, Conversation, Message)
    }


def test_the_demo_salon_has_a_live_day_made_through_the_booking_service():
    output = StringIO()
    call_command("seed_demo", "--url", "http://example.test:8000", stdout=output)
    salon = Salon.objects.get(name=demo.SALON_NAME)
    assert salon.phone == "+493012345678" and salon.address and salon.whatsapp_phone_number_id
    assert Master.objects.filter(salon=salon).count() == 3 and Service.objects.filter(salon=salon).count() == 5
    hours = {m.name: m.working_hours for m in Master.objects.filter(salon=salon)}
    assert len({str(h) for h in hours.values()}) == 3 and any(d.get("breaks") for d in hours["Anna"].values())

    bookings = Booking.objects.filter(salon=salon)
    assert 25 <= bookings.count() <= 32
    statuses = set(bookings.values_list("status", flat=True))
    assert statuses == set(BookingStatus.values), statuses
    assert bookings.filter(source=BookingSource.WHATSAPP).count() >= 5
    zone = ZoneInfo(salon.timezone)
    today = timezone.now().astimezone(zone).date()
    days = {b.start_ts.astimezone(zone).date() for b in bookings}
    assert min(days) <= today - timedelta(days=12) and max(days) >= today + timedelta(days=5) and today in days
    assert bookings.filter(outside_working_hours=True).count() <= 1  # at most the walk-in, at night
    # Only create_booking writes the "created" audit row and counts the plan's usage.
    created = (
        BookingEvent.objects.filter(booking__salon=salon, event="created").values("booking").annotate(n=Count("pk"))
    )
    assert {row["n"] for row in created} == {1} and len(created) == bookings.count()
    assert sum(UsageCounter.objects.filter(salon=salon).values_list("bookings", flat=True)) == bookings.count()
    assert Reminder.objects.filter(salon=salon, status=ReminderStatus.SENT).exists()
    assert not Reminder.objects.filter(salon=salon, status=ReminderStatus.PENDING, scheduled_at__lte=timezone.now())

    assert Customer.objects.filter(salon=salon).count() >= 6
    conversations = Conversation.objects.filter(salon=salon)
    assert conversations.count() == 2
    waiting = conversations.get(bot_paused=True)
    assert waiting.waiting_since is not None and waiting.is_window_open()
    assert Message.objects.filter(conversation=waiting).count() >= 4

    banner = output.getvalue()
    for line in ("http://example.test:8000/admin/", demo.OWNER_EMAIL, demo.ADMIN_EMAIL, "/api/docs"):
        assert line in banner
    assert f"manage.py chat --salon {salon.pk} --phone +" in banner


def test_running_it_twice_changes_nothing():
    call_command("seed_demo", stdout=StringIO())
    first = snapshot()
    call_command("seed_demo", stdout=StringIO())
    assert snapshot() == first


def test_empty_keeps_the_bare_salon():
    call_command("seed_demo", "--empty", stdout=StringIO())
    salon = Salon.objects.get(name=demo.SALON_NAME)
    assert Master.objects.filter(salon=salon).count() == 3
    assert not Booking.objects.exists() and not Conversation.objects.exists()
