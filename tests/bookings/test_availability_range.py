"""The range form of the salon availability endpoint (API.md, Salons): a month in one request.

It must answer, day by day, exactly what the one-day form answers (breaks, time off, holds, a DST
change), list every date, and cost a constant handful of queries however many days or masters.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bookings import slots
from bookings.availability_serializers import (
    SalonAvailabilityRangeSerializer,
    SalonAvailabilitySerializer,
    salon_availability_data,
    salon_availability_range_data,
)
from bookings.models import Booking, SlotHold
from tests import factories

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
EVERY_DAY = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def week(start="09:00", end="18:00", breaks=()):
    return {
        name: {"enabled": True, "start": start, "end": end, "breaks": [{"start": b, "end": e} for b, e in breaks]}
        for name in EVERY_DAY
    }


def url_of(salon):
    return f"/api/salons/{salon.pk}/availability"


def get_range(api, salon, service, first, last, **extra):
    params = {"date_from": first.isoformat(), "date_to": last.isoformat(), "service_id": str(service.pk), **extra}
    return api.get(url_of(salon), params)


def get_day(api, salon, service, day, **extra):
    return api.get(url_of(salon), {"date": day.isoformat(), "service_id": str(service.pk), **extra})


def local_today(salon) -> date:
    return timezone.now().astimezone(ZoneInfo(salon.timezone)).date()


def next_dst_change(after: date) -> date:
    """The first local day after `after` whose UTC offset differs from the day before's (Berlin)."""
    day = after
    while True:
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=BERLIN)
        if (noon + timedelta(days=1)).utcoffset() != noon.utcoffset():
            return day + timedelta(days=1)
        day += timedelta(days=1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def dst_month(salon):
    """31 days around the next DST change, three masters, bookings, time off and a live hold in them."""
    change = next_dst_change(local_today(salon) + timedelta(days=12))
    first, last = change - timedelta(days=10), change + timedelta(days=20)
    salon.max_advance_days = min((last - local_today(salon)).days + 5, 366)
    salon.save(update_fields=["max_advance_days"])
    service = factories.ServiceFactory(salon=salon, duration_minutes=45)
    regular = factories.MasterFactory(salon=salon, services=[service], name="Anna")
    # All day and night, with a break over the hour the clock skips or repeats.
    night = factories.MasterFactory(
        salon=salon, services=[service], name="Boris", working_hours=week("00:00", "24:00", [("02:15", "03:15")])
    )
    early = factories.MasterFactory(
        salon=salon,
        services=[service],
        name="Vera",
        working_hours=week("01:00", "23:00", [("02:00", "02:30"), ("12:00", "13:00")]),
    )
    factories.MasterFactory(salon=salon, name="Does not perform it")
    for offset in range(0, 31, 2):
        day = first + timedelta(days=offset)
        Booking.objects.create(salon=salon, master=regular, start_ts=at(day, 10), end_ts=at(day, 11, 30))
        Booking.objects.create(salon=salon, master=night, start_ts=at(day, 1, 30), end_ts=at(day, 4))
        Booking.objects.create(salon=salon, master=early, start_ts=at(day, 15, 10), end_ts=at(day, 15, 40))
    Booking.objects.create(salon=salon, master=night, start_ts=at(change, 4), end_ts=at(change, 5))
    factories.TimeOffFactory(master=regular, start_ts=at(change, 0), end_ts=at(change + timedelta(days=2), 0))
    factories.TimeOffFactory(master=early, start_ts=at(first, 16), end_ts=at(first, 19))
    SlotHold.objects.create(
        salon=salon,
        master=night,
        service=service,
        holder="chat-1",
        start_ts=at(first + timedelta(days=3), 9),
        end_ts=at(first + timedelta(days=3), 10),
        expires_at=timezone.now() + timedelta(hours=1),
    )
    return {"service": service, "first": first, "last": last, "change": change, "masters": [regular, night, early]}


def test_range_lists_every_day_with_the_salons_timezone(api, salon, master, service):
    first = local_today(salon) + timedelta(days=1)
    last = first + timedelta(days=13)
    response = get_range(api, salon, service, first, last)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"salon_id", "service_id", "duration_minutes", "timezone", "days"}
    assert body["salon_id"] == str(salon.pk) and body["service_id"] == str(service.pk)
    assert body["duration_minutes"] == 60 and body["timezone"] == "Europe/Berlin"
    assert [d["date"] for d in body["days"]] == [(first + timedelta(days=i)).isoformat() for i in range(14)]
    for day in body["days"]:
        closed = date.fromisoformat(day["date"]).weekday() == 6  # the standard week has Sundays off
        assert (day["slots"] == []) == closed
        assert all(slot["master_ids"] == [str(master.pk)] for slot in day["slots"])


def test_range_equals_the_one_day_form_for_every_day_across_a_dst_change(api, salon, dst_month):
    service, first, last = dst_month["service"], dst_month["first"], dst_month["last"]
    response = get_range(api, salon, service, first, last)
    assert response.status_code == 200, response.content
    ranged = {d["date"]: d["slots"] for d in response.json()["days"]}
    assert len(ranged) == 31
    for offset in range(31):
        day = first + timedelta(days=offset)
        single = get_day(api, salon, service, day)
        assert single.status_code == 200
        assert ranged[day.isoformat()] == single.json()["slots"], day
    # The case is really exercised: the change day has a different number of starts for the night master.
    night = str(dst_month["masters"][1].pk)
    change, usual = dst_month["change"], dst_month["change"] + timedelta(days=1)
    on_change = [s for s in ranged[change.isoformat()] if night in s["master_ids"]]
    on_usual = [s for s in ranged[usual.isoformat()] if night in s["master_ids"]]
    assert on_change and on_usual and len(on_change) != len(on_usual)
    held = first + timedelta(days=3)
    held_start = at(held, 9).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    starts = {s["start"]: s["master_ids"] for s in ranged[held.isoformat()]}
    assert night not in starts[held_start]  # someone else's live hold
    assert night in starts[at(held, 10).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")]


def test_master_id_narrows_the_range_to_what_the_master_endpoint_offers(api, salon, dst_month):
    service, first, last = dst_month["service"], dst_month["first"], dst_month["last"]
    for master in dst_month["masters"]:
        response = get_range(api, salon, service, first, last, master_id=str(master.pk))
        assert response.status_code == 200, response.content
        for day in response.json()["days"]:
            assert all(slot["master_ids"] == [str(master.pk)] for slot in day["slots"])
            alone = api.get(
                f"/api/masters/{master.pk}/availability", {"date": day["date"], "service_id": str(service.pk)}
            ).json()["available_slots"]
            assert [slot["start"] for slot in day["slots"]] == alone, (master.name, day["date"])


def test_the_bots_free_days_are_the_ranges_non_empty_days(api, salon, dst_month):
    service, first, last = dst_month["service"], dst_month["first"], dst_month["last"]
    for master in (None, *dst_month["masters"]):
        extra = {"master_id": str(master.pk)} if master else {}
        days = get_range(api, salon, service, first, last, **extra).json()["days"]
        free = [date.fromisoformat(d["date"]) for d in days if d["slots"]]
        found = slots.days_with_slots(salon=salon, service=service, start=first, limit=40, master=master)
        assert [d for d in found if d <= last] == free


def test_a_master_who_does_not_perform_the_service_gets_empty_days(api, salon, service, master):
    other = factories.MasterFactory(salon=salon, name="Other")
    first = local_today(salon) + timedelta(days=1)
    body = get_range(api, salon, service, first, first + timedelta(days=6), master_id=str(other.pk)).json()
    assert len(body["days"]) == 7 and all(d["slots"] == [] for d in body["days"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "2030-01-10", "date_to": "2030-01-09"}, "date_to"),
        ({"date_from": "2030-01-01", "date_to": "2030-02-01"}, "date_to"),  # 32 days
        ({"date_from": "2030-01-01", "date_to": "2031-01-01"}, "date_to"),
        ({"date_from": "2030-02-30", "date_to": "2030-03-01"}, "date_from"),
        ({"date_from": "2030-01-01", "date_to": "01.02.2030"}, "date_to"),
        ({"date_from": "2030-01-01", "date_to": "10000-01-01"}, "date_to"),
        ({"date_from": "2030-01-01"}, "date_to"),
        ({"date_to": "2030-01-01"}, "date_from"),
        ({"date": "2030-01-01", "date_from": "2030-01-01", "date_to": "2030-01-02"}, "date"),
        ({"date": "2030-01-01", "date_to": "2030-01-02"}, "date"),
        ({}, "date"),
    ],
)
def test_bad_ranges_are_400_naming_the_field(api, salon, service, params, field):
    response = api.get(url_of(salon), {"service_id": str(service.pk), **params})
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()


def test_thirty_one_days_are_allowed(api, salon, service, master):
    first = local_today(salon)
    response = get_range(api, salon, service, first, first + timedelta(days=30))
    assert response.status_code == 200
    assert len(response.json()["days"]) == 31


def test_another_salons_service_or_master_is_400(api, salon, service, master, other_salon):
    first = local_today(salon) + timedelta(days=1)
    last = first + timedelta(days=6)
    foreign_service = factories.ServiceFactory(salon=other_salon)
    foreign_master = factories.MasterFactory(salon=other_salon, services=[foreign_service])
    response = get_range(api, salon, foreign_service, first, last)
    assert response.status_code == 400 and "service_id" in response.json()
    for master_id in (str(foreign_master.pk), "00000000-0000-4000-8000-000000000000"):
        response = get_range(api, salon, service, first, last, master_id=master_id)
        assert response.status_code == 400 and "master_id" in response.json(), response.content
    assert get_range(api, salon, service, first, last, master_id="nope").status_code == 400
    params = {"date_from": first.isoformat(), "date_to": last.isoformat(), "service_id": "nope"}
    assert api.get(url_of(salon), params).status_code == 400


def test_another_owners_salon_is_404(other_api, api, salon, service, master):
    first = local_today(salon) + timedelta(days=1)
    assert get_range(other_api, salon, service, first, first + timedelta(days=6)).status_code == 404
    assert get_range(api, salon, service, first, first + timedelta(days=6)).status_code == 200


def test_rendering_matches_the_documented_serializer(salon, dst_month):
    service = dst_month["service"]
    days = slots.date_range(dst_month["first"], dst_month["last"])
    by_day = slots.salon_slots(salon=salon, service=service, days=days)
    assert any(len(ids) > 1 for found in by_day.values() for _, ids in found)
    body = {
        "salon_id": salon.pk,
        "service_id": service.pk,
        "duration_minutes": service.duration_minutes,
        "timezone": salon.timezone,
        "days": [
            {"date": day, "slots": [{"start": s, "master_ids": ids} for s, ids in found]}
            for day, found in by_day.items()
        ],
    }
    fast = salon_availability_range_data(salon=salon, service=service, by_day=by_day)
    assert fast == SalonAvailabilityRangeSerializer(body).data
    for day, found in by_day.items():
        one = {key: body[key] for key in ("salon_id", "service_id", "duration_minutes")}
        one |= {"date": day, "slots": [{"start": s, "master_ids": ids} for s, ids in found]}
        fast = salon_availability_data(salon=salon, service=service, day=day, found=found)
        assert fast == SalonAvailabilitySerializer(one).data


def test_busy_time_keeps_every_microsecond(salon, master):
    """PostgreSQL reads busy time as epoch seconds; the datetimes must come back exactly."""
    start = at(local_today(salon) + timedelta(days=3), 10).astimezone(UTC) + timedelta(microseconds=123457)
    end = start + timedelta(minutes=44, seconds=59, microseconds=999999)
    Booking.objects.create(salon=salon, master=master, start_ts=start, end_ts=end)
    factories.TimeOffFactory(master=master, start_ts=end, end_ts=end + timedelta(microseconds=1))
    busy = slots.busy_by_master([master.pk], start - timedelta(days=1), end + timedelta(days=1))
    assert sorted(busy[master.pk]) == [(start, end), (end, end + timedelta(microseconds=1))]
    assert all(s.utcoffset() == timedelta(0) for pair in busy[master.pk] for s in pair)


def range_queries(api, salon, service, first, last) -> list[dict]:
    with CaptureQueriesContext(connection) as ctx:
        response = get_range(api, salon, service, first, last)
    assert response.status_code == 200, response.content
    return list(ctx.captured_queries)


def show(queries: list[dict]) -> str:
    return "\n".join(f"{i}. {q['sql']}" for i, q in enumerate(queries, 1))


def test_range_costs_at_most_five_queries_whatever_the_days_and_masters(api, salon):
    """Authentication, salon, service, masters, busy time: not one more per day, master or booking."""
    first = local_today(salon) + timedelta(days=1)
    small_service = factories.ServiceFactory(salon=salon, duration_minutes=30)
    factories.MasterFactory(salon=salon, services=[small_service])
    small = range_queries(api, salon, small_service, first, first + timedelta(days=1))

    service = factories.ServiceFactory(salon=salon, duration_minutes=45)
    masters = [factories.MasterFactory(salon=salon, services=[service], working_hours=week()) for _ in range(10)]
    for i, master in enumerate(masters):
        for d in range(30):
            day = first + timedelta(days=d)
            Booking.objects.create(salon=salon, master=master, start_ts=at(day, 9 + i % 3), end_ts=at(day, 10 + i % 3))
        factories.TimeOffFactory(master=master, start_ts=at(first, 15), end_ts=at(first, 16))
        SlotHold.objects.create(
            salon=salon,
            master=master,
            holder=f"chat-{i}",
            start_ts=at(first, 17),
            end_ts=at(first, 18),
            expires_at=timezone.now() + timedelta(hours=1),
        )
    large = range_queries(api, salon, service, first, first + timedelta(days=30))
    assert len(large) <= 5, f"{len(large)} queries for 10 masters x 31 days:\n{show(large)}"
    assert len(large) == len(small), f"small:\n{show(small)}\nlarge:\n{show(large)}"


def test_the_schema_documents_both_forms():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/salons/{id}/availability"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert {"date", "date_from", "date_to", "service_id", "master_id"} <= set(params)
    assert params["service_id"]["required"] and not params["date"].get("required")
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    shapes = schema["components"]["schemas"][answer["$ref"].rsplit("/", 1)[1]]["oneOf"]
    assert {s["$ref"].rsplit("/", 1)[1] for s in shapes} == {"SalonAvailability", "SalonAvailabilityRange"}
    days = schema["components"]["schemas"]["SalonAvailabilityRange"]["properties"]["days"]
    assert days["type"] == "array"
