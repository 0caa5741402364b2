"""Admin pages given years outside 2000–2100: the admin's usual "?e=1" or a note, never a 500."""

import pytest
from django.test import Client

from salons.models import MasterTimeOff
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

# Every changelist with a date hierarchy, and the field it walks.
HIERARCHIES = {
    "/admin/bookings/booking/": "start_ts",
    "/admin/bookings/waitlistentry/": "day",
    "/admin/salons/mastertimeoff/": "start_ts",
    "/admin/messaging/message/": "created_at",
    "/admin/messaging/webhookevent/": "received_at",
}
EXTREME = [
    "{f}__year=9999",  # Django computed year 10000: ValueError, a 500
    "{f}__year=9999&{f}__month=12",
    "{f}__year=9999&{f}__month=12&{f}__day=31",  # the next day overflowed
    "{f}__year=99999999999999999999",  # not even a datetime: OverflowError
    "{f}__year=1&{f}__month=1&{f}__day=1",
    "{f}__year=0",
]


@pytest.fixture
def client(owner):
    factories.SalonFactory(owner=owner)
    client = Client(raise_request_exception=False)
    assert client.login(email=owner.email, password=PASSWORD)
    return client


@pytest.mark.parametrize("url", HIERARCHIES)
def test_a_date_hierarchy_outside_the_years_redirects_with_the_error_flag(client, url):
    for query in EXTREME:
        response = client.get(f"{url}?{query.format(f=HIERARCHIES[url])}")
        assert response.status_code == 302, (url, query, response.status_code)
        assert response["Location"].endswith("?e=1")
    assert client.get(f"{url}?{HIERARCHIES[url]}__year=2026").status_code == 200


def test_the_admin_s_time_off_form_refuses_years_outside_the_range(client, owner):
    master = factories.MasterFactory(salon=owner.salons.get())
    url = "/admin/salons/mastertimeoff/add/"
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(
        url,
        {
            "master": master.pk,
            "start_ts_0": "1900-01-01",
            "start_ts_1": "10:00",
            "end_ts_0": "2026-01-01",
            "end_ts_1": "12:00",
            "reason": "x",
        },
    )
    assert response.status_code == 200, response.status_code
    assert "Times must lie within the years 2000 to 2100." in response.content.decode()
    assert MasterTimeOff.objects.count() == 0
