"""Dates outside the salon's booking horizon are empty and never computed (issue 13: years 1 and
9999 overflowed the busy window into a 500), on the one-day forms and the range form alike."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db

EVERY_DAY = {
    name: {"enabled": True, "start": "09:00", "end": "18:00", "breaks": []}
    for name in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}
FAR = [
    ("0001-01-01", "0001-01-31"),
    ("1900-01-01", "1900-01-31"),
    ("1900-02-28", "1900-03-01"),  # 1900 is no leap year
    ("9999-12-01", "9999-12-31"),
]


@pytest.fixture
def open_master(salon, service):
    return factories.MasterFactory(salon=salon, services=[service], working_hours=EVERY_DAY)


def today(salon):
    return timezone.now().astimezone(ZoneInfo(salon.timezone)).date()


def uncomputed(api, url, params):
    """The answer, asserting that no busy time was read for it."""
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(url, params)
    assert response.status_code == 200, response.content
    read = [q["sql"] for q in ctx.captured_queries if "bookings_booking" in q["sql"]]
    assert not read, read
    return response.json()


@pytest.mark.parametrize("day", ["0001-01-01", "0001-12-31", "1900-01-01", "9999-12-31", "9999-01-01"])
def test_one_day_forms_are_empty_far_outside_the_horizon(api, salon, service, open_master, day):
    body = uncomputed(api, f"/api/masters/{open_master.pk}/availability", {"date": day, "duration_minutes": 30})
    assert body["available_slots"] == [] and body["date"] == day
    body = uncomputed(api, f"/api/masters/{open_master.pk}/availability", {"date": day, "service_id": service.pk})
    assert body["available_slots"] == []
    body = uncomputed(api, f"/api/salons/{salon.pk}/availability", {"date": day, "service_id": service.pk})
    assert body["slots"] == [] and body["date"] == day


@pytest.mark.parametrize(("first", "last"), FAR)
def test_range_far_outside_the_horizon_lists_every_day_empty(api, salon, service, open_master, first, last):
    params = {"date_from": first, "date_to": last, "service_id": service.pk}
    body = uncomputed(api, f"/api/salons/{salon.pk}/availability", params)
    assert body["days"][0]["date"] == first and body["days"][-1]["date"] == last
    assert all(day["slots"] == [] for day in body["days"])


def test_the_horizons_edges(api, salon, service, open_master):
    """Yesterday and the day after today + max_advance_days are empty; the days inside are not."""
    first, last = today(salon), today(salon) + timedelta(days=salon.max_advance_days)
    url = f"/api/salons/{salon.pk}/availability"

    def days(a, b):
        body = api.get(url, {"date_from": a.isoformat(), "date_to": b.isoformat(), "service_id": service.pk}).json()
        return [bool(day["slots"]) for day in body["days"]]

    assert days(first - timedelta(days=1), first + timedelta(days=1))[::2] == [False, True]
    assert days(last - timedelta(days=1), last + timedelta(days=1)) == [True, True, False]
    # A range that crosses the horizon is computed up to it, empty after it.
    assert days(last - timedelta(days=5), last + timedelta(days=25)) == [True] * 6 + [False] * 25

    master_url = f"/api/masters/{open_master.pk}/availability"

    def master_day(day):
        return api.get(master_url, {"date": day.isoformat(), "duration_minutes": 30}).json()["available_slots"]

    assert master_day(first - timedelta(days=1)) == []
    assert master_day(last) and master_day(last + timedelta(days=1)) == []
    assert api.get(url, {"date": last.isoformat(), "service_id": service.pk}).json()["slots"]
    assert (
        api.get(url, {"date": (last + timedelta(days=1)).isoformat(), "service_id": service.pk}).json()["slots"] == []
    )
    # Today's starts, if any are left, all lie after now plus the notice.
    earliest = timezone.now() + timedelta(minutes=salon.min_notice_minutes)
    today_starts = master_day(first)
    assert all(start >= earliest.strftime("%Y-%m-%dT%H:%M:%SZ") for start in today_starts)
