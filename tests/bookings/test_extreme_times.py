"""Timestamps outside the years 2000–2100, over real HTTP: a 400 with a message on every input, never a 500.

Each endpoint and each datetime or date parameter gets the same extreme values; none of them may
book, count against the plan, or store anything.
"""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from bookings.models import Booking, BookingSource, Reminder
from salons.models import MasterTimeOff, UsageCounter
from tests import factories
from tests.bookings.conftest import booking_body, next_monday_at

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

EXTREME_DATETIMES = [
    "9999-12-31T23:50:00+00:00",  # the end (start + duration) overflowed
    "9999-12-31T23:00:00-05:00",  # overflows when read as UTC
    "0001-01-01T12:00:00Z",  # reminders were planned before it
    "0001-01-01T00:30:00+01:00",  # year 0 in UTC
    "1900-06-01T10:00:00Z",
    "1999-12-31T23:59:59Z",
    "2101-01-01T00:00:00Z",
    "2200-06-01T10:00:00+02:00",
]
EXTREME_DATES = ["0001-01-01", "1900-01-01", "1999-12-31", "2101-01-01", "9999-12-31"]
RANGE_MESSAGE = "Times must lie within the years 2000 to 2100."


@pytest.fixture
def setup(live_server):
    salon = factories.SalonFactory(timezone="Europe/Berlin", reminder_offsets_minutes=[60, 1440])
    service = factories.ServiceFactory(salon=salon, duration_minutes=60)
    master = factories.MasterFactory(salon=salon, services=[service])
    token = str(RefreshToken.for_user(salon.owner).access_token)
    client = httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    yield salon, service, master, client
    client.close()


def messages_of(response: httpx.Response) -> str:
    return str(response.json())


def assert_refused(response: httpx.Response, field: str) -> None:
    assert response.status_code == 400, (response.status_code, response.text[:500])
    body = response.json()
    assert field in body or body.get("field") == field, body
    assert "2000" in messages_of(response) or "out of range" in messages_of(response).lower(), body


def test_creating_a_booking_at_an_extreme_time_is_a_400_and_counts_nothing(setup):
    salon, service, master, client = setup
    for value in EXTREME_DATETIMES:
        response = client.post(
            "/api/bookings", json=booking_body(salon, master, service, next_monday_at(10)) | {"start_ts": value}
        )
        assert_refused(response, "start_ts")
        good_start = next_monday_at(10).isoformat()
        response = client.post(
            "/api/bookings",
            json=booking_body(salon, master, service, next_monday_at(10))
            | {
                "start_ts": good_start,
                "end_ts": value,
            },
        )
        assert_refused(response, "end_ts")
    assert Booking.objects.count() == 0
    assert Reminder.objects.count() == 0
    assert not UsageCounter.objects.filter(salon=salon, bookings__gt=0).exists()


def test_the_year_range_message_names_the_years(setup):
    salon, service, master, client = setup
    response = client.post(
        "/api/bookings",
        json=booking_body(salon, master, service, next_monday_at(10)) | {"start_ts": "2200-06-01T10:00:00Z"},
    )
    assert response.json() == {"start_ts": [RANGE_MESSAGE]}


def test_rescheduling_to_an_extreme_time_is_a_400_and_changes_nothing(setup):
    salon, service, master, client = setup
    created = client.post("/api/bookings", json=booking_body(salon, master, service, next_monday_at(10)))
    assert created.status_code == 201, created.text
    booking_id = created.json()["id"]
    before = created.json()
    for value in EXTREME_DATETIMES:
        assert_refused(client.patch(f"/api/bookings/{booking_id}", json={"start_ts": value}), "start_ts")
        assert_refused(client.patch(f"/api/bookings/{booking_id}", json={"end_ts": value}), "end_ts")
    after = client.get(f"/api/bookings/{booking_id}").json()
    assert (after["start_ts"], after["end_ts"]) == (before["start_ts"], before["end_ts"])
    assert UsageCounter.objects.get(salon=salon).bookings == 1


def test_time_off_at_an_extreme_time_is_a_400(setup):
    _salon, _service, master, client = setup
    ok_start = next_monday_at(10)
    for value in EXTREME_DATETIMES:
        start = client.post(
            f"/api/masters/{master.pk}/time-off", json={"start_ts": value, "end_ts": ok_start.isoformat()}
        )
        assert_refused(start, "start_ts")
        end = client.post(
            f"/api/masters/{master.pk}/time-off", json={"start_ts": ok_start.isoformat(), "end_ts": value}
        )
        assert_refused(end, "end_ts")
    assert MasterTimeOff.objects.count() == 0


@pytest.mark.parametrize(
    "path,params",
    [
        ("/api/bookings", ("date_from", "date_to")),
        ("/api/waitlist", ("day", "date_from", "date_to")),
    ],
)
def test_date_filters_outside_the_years_are_a_400(setup, path, params):
    salon, _service, _master, client = setup
    for param in params:
        for value in EXTREME_DATES:
            response = client.get(path, params={"salon_id": str(salon.pk), param: value})
            assert response.status_code == 400, (param, value, response.status_code, response.text[:300])
            assert response.json() == {param: [RANGE_MESSAGE]}
    # The bounds themselves are dates like any other.
    for value in ("2000-01-01", "2100-12-31"):
        assert client.get(path, params={"salon_id": str(salon.pk), params[0]: value}).status_code == 200


def test_a_stored_year_one_booking_still_renders_as_iso_8601(setup):
    """Rows stored before the bounds existed: strftime would write "1-01-02T12:00:00Z"."""
    salon, service, master, client = setup
    start = datetime(1, 1, 2, 12, 0, tzinfo=UTC)
    booking = Booking.objects.create(
        salon=salon,
        master=master,
        service=service,
        start_ts=start,
        end_ts=start + timedelta(hours=1),
        source=BookingSource.API,
        customer_name="Old",
        customer_phone="+491701234567",
    )
    body = client.get(f"/api/bookings/{booking.pk}").json()
    assert body["start_ts"] == "0001-01-02T12:00:00Z"
    assert body["end_ts"] == "0001-01-02T13:00:00Z"
