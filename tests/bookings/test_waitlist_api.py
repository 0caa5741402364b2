"""GET /api/waitlist: the waiting list per salon, tenant-scoped, filterable, documented."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from bookings import waitlist
from tests import factories

pytestmark = pytest.mark.django_db


def today(salon):
    return timezone.now().astimezone(ZoneInfo(salon.timezone)).date()


@pytest.fixture
def entries(salon, other_salon):
    rows = []
    for tenant in (salon, other_salon):
        service = factories.ServiceFactory(salon=tenant, name=f"Cut {tenant.name}")
        master = factories.MasterFactory(salon=tenant, services=[service], name=f"Anna {tenant.name}")
        for n, part in enumerate(("", "evening")):
            customer = factories.CustomerFactory(salon=tenant, name=f"Waiting {tenant.name} {n}")
            rows.append(
                waitlist.join_waitlist(
                    salon=tenant,
                    customer=customer,
                    service=service,
                    day=today(tenant) + timedelta(days=n + 1),
                    part=part,
                    master=master if part else None,
                )
            )
    return rows


def test_an_owner_lists_only_their_salons_entries_in_day_order(api, salon, entries):
    body = api.get("/api/waitlist").json()
    assert body["count"] == 2
    first, second = body["results"]
    assert first["id"] == str(entries[0].pk) and second["id"] == str(entries[1].pk)
    assert first["salon_id"] == str(salon.pk) and first["status"] == "WAITING"
    assert first["customer"]["name"] == f"Waiting {salon.name} 0" and first["master"] is None
    assert first["part"] is None  # the whole day
    assert second["part"] == "evening" and second["master"]["name"] == f"Anna {salon.name}"
    assert set(first) == {
        "id",
        "salon_id",
        "customer",
        "service",
        "master",
        "day",
        "part",
        "status",
        "booking_id",
        "offers_sent",
        "last_offered_at",
        "created_at",
        "updated_at",
    }


def test_filters_by_salon_status_part_and_days(api, admin_api, salon, other_salon, entries):
    assert admin_api.get("/api/waitlist").json()["count"] == 4
    assert admin_api.get("/api/waitlist", {"salon_id": other_salon.pk}).json()["count"] == 2
    assert api.get("/api/waitlist", {"salon_id": other_salon.pk}).json()["count"] == 0
    assert api.get("/api/waitlist", {"part": "evening"}).json()["count"] == 1
    assert api.get("/api/waitlist", {"status": ["BOOKED", "EXPIRED"]}).json()["count"] == 0
    tomorrow = (today(salon) + timedelta(days=1)).isoformat()
    assert api.get("/api/waitlist", {"day": tomorrow}).json()["count"] == 1
    assert api.get("/api/waitlist", {"date_from": tomorrow, "date_to": tomorrow}).json()["count"] == 1
    assert api.get("/api/waitlist", {"ordering": "-day"}).json()["results"][0]["id"] == str(entries[1].pk)


def test_another_tenants_entry_is_404_and_bad_filters_are_400(api, anon_api, entries):
    assert api.get(f"/api/waitlist/{entries[2].pk}").status_code == 404
    assert api.get(f"/api/waitlist/{entries[0].pk}").status_code == 200
    for params in ({"status": "BOGUS"}, {"salon_id": "nope"}, {"day": "friday"}, {"part": "night"}):
        assert api.get("/api/waitlist", params).status_code == 400, params
    assert anon_api.get("/api/waitlist").status_code == 401
    assert api.post("/api/waitlist", {}).status_code == 405


def test_the_schema_documents_the_waiting_list(anon_api):
    schema = anon_api.get("/api/schema", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/waitlist"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"salon_id", "status", "day", "date_from", "date_to", "page", "page_size"} <= names
