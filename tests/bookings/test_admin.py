from datetime import timedelta

import pytest
from django.test import Client

from bookings.models import Booking, BookingEvent
from tests import factories
from tests.bookings.conftest import next_monday_at
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(owner):
    client = Client()
    assert client.login(email=owner.email, password=PASSWORD)
    return client


def form_data(salon, master, service, start):
    local = start.astimezone()  # the admin shows and reads times in TIME_ZONE (UTC)
    return {
        "salon": salon.pk,
        "master": master.pk,
        "service": service.pk,
        "customer_name": "Walk-in",
        "customer_phone": "+491701234567",
        "start_ts_0": local.strftime("%Y-%m-%d"),
        "start_ts_1": local.strftime("%H:%M:%S"),
        "end_ts_0": "",
        "end_ts_1": "",
        "notes": "",
        "reminders-TOTAL_FORMS": "0",
        "reminders-INITIAL_FORMS": "0",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }


def test_admin_create_goes_through_the_service_and_shows_conflicts(admin_client, owner, salon, master, service):
    start = next_monday_at(10)
    response = admin_client.post("/admin/bookings/booking/add/", form_data(salon, master, service, start))
    assert response.status_code == 302, response.content.decode()[:2000]
    booking = Booking.objects.get()
    assert booking.source == "admin" and booking.created_by == owner
    event = BookingEvent.objects.get(booking=booking)
    assert event.actor == owner and event.event == "created"
    clash = admin_client.post(
        "/admin/bookings/booking/add/", form_data(salon, master, service, start + timedelta(minutes=30))
    )
    assert clash.status_code == 200
    assert "already has a booking" in clash.content.decode()
    assert Booking.objects.count() == 1


def test_admin_transition_buttons_use_the_service(admin_client, owner, salon, master, service):
    start = next_monday_at(10)
    admin_client.post("/admin/bookings/booking/add/", form_data(salon, master, service, start))
    booking = Booking.objects.get()
    page = admin_client.get(f"/admin/bookings/booking/{booking.pk}/change/").content.decode()
    assert "_fsm_transition_to" in page and 'value="start"' in page and 'value="complete"' not in page
    response = admin_client.post(
        f"/admin/bookings/booking/{booking.pk}/change/",
        {**form_data(salon, master, service, start), "_fsm_transition_to": "cancel"},
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "CANCELLED"
    events = list(BookingEvent.objects.filter(booking=booking).values_list("event", "actor"))
    assert events == [("created", owner.pk), ("cancelled", owner.pk)]
    history = admin_client.get(f"/admin/bookings/booking/{booking.pk}/change/").content.decode()
    assert "cancelled" in history.lower()


def test_admin_booking_list_is_tenant_scoped(admin_client, other_salon):
    theirs_service = factories.ServiceFactory(salon=other_salon)
    theirs_master = factories.MasterFactory(salon=other_salon, services=[theirs_service])
    Booking.objects.create(
        salon=other_salon,
        master=theirs_master,
        start_ts=next_monday_at(10),
        end_ts=next_monday_at(11),
        customer_name="Secret Customer",
    )
    page = admin_client.get("/admin/bookings/booking/").content.decode()
    assert "Secret Customer" not in page
