"""The waiting list in the admin: listed in join order, added and removed through the waitlist
service, never edited or deleted in place."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from bookings import waitlist
from bookings.models import WaitlistEntry, WaitlistStatus
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
URL = "/admin/bookings/waitlistentry/"


@pytest.fixture
def admin_client(owner):
    client = Client()
    assert client.login(email=owner.email, password=PASSWORD)
    return client


@pytest.fixture
def setup(salon):
    service = factories.ServiceFactory(salon=salon, name="Haircut")
    master = factories.MasterFactory(salon=salon, services=[service], name="Anna")
    customer = factories.CustomerFactory(salon=salon, name="Marta Waiting")
    return service, master, customer


def today(salon):
    return timezone.now().astimezone(ZoneInfo(salon.timezone)).date()


def test_the_list_shows_who_waits_for_what_in_join_order(admin_client, salon, setup):
    service, master, customer = setup
    other = factories.CustomerFactory(salon=salon, name="Rita Later")
    day = today(salon) + timedelta(days=2)
    waitlist.join_waitlist(salon=salon, customer=customer, service=service, day=day, part="evening")
    waitlist.join_waitlist(salon=salon, customer=other, service=service, day=day, master=master)
    page = admin_client.get(URL).content.decode()
    assert page.index("Marta Waiting") < page.index("Rita Later")
    assert "Evening" in page and "Anna" in page and "Waiting" in page


def test_adding_goes_through_the_service_and_a_refusal_is_shown_on_the_form(admin_client, salon, setup):
    service, _master, customer = setup
    data = {
        "salon": salon.pk,
        "customer": customer.pk,
        "service": service.pk,
        "master": "",
        "day": (today(salon) + timedelta(days=1)).isoformat(),
        "part": "morning",
    }
    response = admin_client.post(URL + "add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = WaitlistEntry.objects.get()
    assert (entry.customer, entry.part, entry.status) == (customer, "morning", WaitlistStatus.WAITING)

    past = {**data, "day": (today(salon) - timedelta(days=1)).isoformat()}
    response = admin_client.post(URL + "add/", past)
    assert response.status_code == 200
    assert "Pick a day from today" in response.content.decode()
    assert WaitlistEntry.objects.count() == 1


def test_remove_takes_entries_off_and_nothing_is_edited_or_deleted_in_place(admin_client, salon, setup):
    service, _master, customer = setup
    entry = waitlist.join_waitlist(salon=salon, customer=customer, service=service, day=today(salon))
    response = admin_client.post(URL, {"action": "remove", "_selected_action": [entry.pk]})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.REMOVED
    change = admin_client.get(f"{URL}{entry.pk}/change/").content.decode()
    assert 'name="day"' not in change  # read-only
    assert admin_client.get(f"{URL}{entry.pk}/delete/").status_code == 403
