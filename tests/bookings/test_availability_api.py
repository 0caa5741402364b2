from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings import slots
from tests import factories
from tests.bookings.conftest import next_monday_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def monday():
    return next_monday_at(9)  # 09:00 Berlin, as UTC


def iso(dt):
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_master_availability_matches_the_working_day(api, salon, master, service, monday):
    day = monday.date().isoformat()
    body = api.get(f"/api/masters/{master.pk}/availability", {"date": day, "duration_minutes": 60}).json()
    assert body["timezone"] == "Europe/Berlin" and body["slot_interval_minutes"] == 15
    assert body["available_slots"][0] == iso(monday)
    assert body["available_slots"][-1] == iso(monday + timedelta(hours=8))  # 17:00 local, ends at 18:00
    assert iso(monday + timedelta(hours=4)) not in body["available_slots"]  # 13:00: lunch
    by_service = api.get(f"/api/masters/{master.pk}/availability", {"date": day, "service_id": str(service.pk)})
    assert by_service.json()["available_slots"] == body["available_slots"]


def test_bookings_and_time_off_block_slots(api, salon, master, service, monday):
    factories.BookingFactory(
        service=None,
        salon=salon,
        master=master,
        start_ts=monday + timedelta(hours=1),
        end_ts=monday + timedelta(hours=2),
    )
    factories.TimeOffFactory(master=master, start_ts=monday + timedelta(hours=5), end_ts=monday + timedelta(hours=9))
    got = api.get(f"/api/masters/{master.pk}/availability", {"date": monday.date(), "duration_minutes": 60}).json()
    starts = got["available_slots"]
    assert iso(monday) in starts and iso(monday + timedelta(hours=2)) in starts
    assert iso(monday + timedelta(minutes=15)) not in starts
    assert not any(s >= iso(monday + timedelta(hours=5)) for s in starts)


def test_master_availability_bad_input_is_400(api, master):
    url = f"/api/masters/{master.pk}/availability"
    assert api.get(url, {"date": "2030-01-07"}).status_code == 400
    assert api.get(url, {"duration_minutes": 60}).status_code == 400
    assert api.get(url, {"date": "07.01.2030", "duration_minutes": 60}).status_code == 400
    assert api.get(url, {"date": "2030-01-07", "duration_minutes": 0}).status_code == 400
    assert api.get(url, {"date": "2030-01-07", "service_id": "nope"}).status_code == 400
    other = factories.ServiceFactory()
    assert api.get(url, {"date": "2030-01-07", "service_id": str(other.pk)}).status_code == 400


def test_other_tenant_gets_404(other_api, master, salon, service):
    assert (
        other_api.get(
            f"/api/masters/{master.pk}/availability", {"date": "2030-01-07", "duration_minutes": 60}
        ).status_code
        == 404
    )
    assert (
        other_api.get(
            f"/api/salons/{salon.pk}/availability", {"date": "2030-01-07", "service_id": str(service.pk)}
        ).status_code
        == 404
    )


def test_salon_availability_lists_free_masters_per_start(api, salon, master, service, monday):
    second = factories.MasterFactory(salon=salon, services=[service], name="Bea")
    factories.MasterFactory(salon=salon, services=[service], name="Inactive", is_active=False)
    factories.MasterFactory(salon=salon, name="Does not perform")
    factories.BookingFactory(
        service=None, salon=salon, master=master, start_ts=monday, end_ts=monday + timedelta(hours=1)
    )
    body = api.get(
        f"/api/salons/{salon.pk}/availability", {"date": monday.date(), "service_id": str(service.pk)}
    ).json()
    assert body["duration_minutes"] == 60 and body["service_id"] == str(service.pk)
    first = body["slots"][0]
    assert first["start"] == iso(monday) and first["master_ids"] == [str(second.pk)]
    later = next(s for s in body["slots"] if s["start"] == iso(monday + timedelta(hours=1)))
    assert set(later["master_ids"]) == {str(master.pk), str(second.pk)}
    assert api.get(f"/api/salons/{salon.pk}/availability", {"date": monday.date()}).status_code == 400


def test_one_master_day_costs_a_constant_small_number_of_queries(api, salon, master, monday):
    for i in range(6):
        factories.BookingFactory(
            service=None,
            salon=salon,
            master=master,
            start_ts=monday + timedelta(hours=i),
            end_ts=monday + timedelta(hours=i, minutes=30),
        )
    with CaptureQueriesContext(connection) as ctx:
        slots.master_slots(master=master, day=monday.date(), duration_minutes=60)
    assert len(ctx.captured_queries) <= 2


def test_salon_thirty_days_ten_masters_costs_a_constant_small_number_of_queries(salon, service, monday):
    masters = [factories.MasterFactory(salon=salon, services=[service]) for _ in range(10)]
    for m in masters:
        for d in range(0, 30, 3):
            start = monday + timedelta(days=d)
            factories.BookingFactory(
                service=None, salon=salon, master=m, start_ts=start, end_ts=start + timedelta(hours=1)
            )
    days = [monday.date() + timedelta(days=d) for d in range(30)]
    now = monday - timedelta(days=1)
    with CaptureQueriesContext(connection) as ctx:
        result = slots.salon_slots(salon=salon, service=service, days=days, now=now)
    assert len(ctx.captured_queries) <= 3
    assert len(result) == 30 and result[days[0]]
    with CaptureQueriesContext(connection) as ctx:
        found = slots.days_with_slots(salon=salon, service=service, start=days[0], limit=5, now=now)
    assert len(ctx.captured_queries) <= 3
    assert found == [d for d in days if d.weekday() != 6][:5]


def test_days_with_slots_skips_full_days(salon, service, master, monday):
    now = monday - timedelta(days=1)
    factories.BookingFactory(
        service=None, salon=salon, master=master, start_ts=monday, end_ts=monday + timedelta(hours=9)
    )
    assert slots.days_with_slots(salon=salon, service=service, start=monday.date(), limit=1, now=now) == [
        monday.date() + timedelta(days=1)
    ]


def test_availability_is_empty_beyond_the_horizon(api, master, salon):
    far = datetime.now(UTC).date() + timedelta(days=salon.max_advance_days + 2)
    body = api.get(f"/api/masters/{master.pk}/availability", {"date": far.isoformat(), "duration_minutes": 30}).json()
    assert body["available_slots"] == []
