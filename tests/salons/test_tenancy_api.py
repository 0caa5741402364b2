"""Owner B never sees or touches owner A's rows; super admins see everything."""

import pytest

from salons.models import Master, Salon
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_rows(salon):
    service = factories.ServiceFactory(salon=salon)
    master = factories.MasterFactory(salon=salon, services=[service])
    customer = factories.CustomerFactory(salon=salon)
    time_off = factories.TimeOffFactory(master=master, start_ts="2030-01-01T00:00:00Z", end_ts="2030-01-02T00:00:00Z")
    return {"salons": salon, "masters": master, "services": service, "customers": customer, "time_off": time_off}


@pytest.mark.parametrize("resource", ["salons", "masters", "services", "customers"])
def test_other_owner_gets_404_on_get_patch_delete(other_api, a_rows, resource):
    url = f"/api/{resource}/{a_rows[resource].pk}"
    assert other_api.get(url).status_code == 404
    assert other_api.patch(url, {"name": "hijacked"}, format="json").status_code == 404
    assert other_api.delete(url).status_code in (404, 405)
    assert other_api.get(url + "/").status_code == 404


@pytest.mark.parametrize("resource", ["salons", "masters", "services", "customers"])
def test_other_owner_lists_are_empty_and_owner_sees_own(api, other_api, a_rows, resource):
    theirs = other_api.get(f"/api/{resource}")
    assert theirs.status_code == 200
    assert theirs.json()["count"] == 0
    mine = api.get(f"/api/{resource}")
    assert mine.json()["count"] == 1
    assert mine.json()["results"][0]["id"] == str(a_rows[resource].pk)


def test_other_owner_cannot_see_or_delete_time_off(other_api, api, a_rows):
    master, time_off = a_rows["masters"], a_rows["time_off"]
    assert other_api.get(f"/api/masters/{master.pk}/time-off").status_code == 404
    assert other_api.delete(f"/api/masters/{master.pk}/time-off/{time_off.pk}").status_code == 404
    assert (
        other_api.post(
            f"/api/masters/{master.pk}/time-off",
            {"start_ts": "2030-02-01T00:00:00Z", "end_ts": "2030-02-02T00:00:00Z"},
            format="json",
        ).status_code
        == 404
    )
    listed = api.get(f"/api/masters/{master.pk}/time-off").json()
    assert [row["id"] for row in listed["results"]] == [str(time_off.pk)]


def test_references_to_another_tenants_salon_or_service_are_rejected(other_api, other_salon, a_rows):
    service = other_api.post(
        "/api/services",
        {"salon_id": str(a_rows["salons"].pk), "name": "X", "duration_minutes": 30, "price": "10.00"},
        format="json",
    )
    assert service.status_code == 400
    assert "salon_id" in service.json()
    master = other_api.post(
        "/api/masters",
        {"salon_id": str(other_salon.pk), "name": "Y", "service_ids": [str(a_rows["services"].pk)]},
        format="json",
    )
    assert master.status_code == 400
    assert "service_ids" in master.json()


def test_list_filter_by_another_tenants_salon_id_returns_nothing(other_api, a_rows):
    response = other_api.get("/api/masters", {"salon_id": str(a_rows["salons"].pk)})
    assert response.json()["count"] == 0


def test_super_admin_sees_all_salons(admin_api, salon, other_salon):
    response = admin_api.get("/api/salons")
    assert {row["id"] for row in response.json()["results"]} == {str(salon.pk), str(other_salon.pk)}
    assert admin_api.get(f"/api/salons/{salon.pk}").status_code == 200


def test_owner_cannot_raise_own_limits_or_change_owner(api, salon, other_owner):
    response = api.patch(
        f"/api/salons/{salon.pk}",
        {
            "max_masters": 999,
            "max_bookings_per_month": 10**6,
            "is_active": False,
            "owner_id": str(other_owner.pk),
            "name": "Renamed",
        },
        format="json",
    )
    assert response.status_code == 200
    salon.refresh_from_db()
    assert salon.name == "Renamed"
    assert salon.max_masters == 20 and salon.max_bookings_per_month == 1000
    assert salon.is_active and salon.owner_id != other_owner.pk


def test_super_admin_can_set_limits_and_owner(admin_api, salon, other_owner):
    response = admin_api.patch(
        f"/api/salons/{salon.pk}", {"max_masters": 2, "owner_id": str(other_owner.pk)}, format="json"
    )
    assert response.status_code == 200
    salon.refresh_from_db()
    assert salon.max_masters == 2 and salon.owner_id == other_owner.pk


def test_owner_creates_salon_for_themself(api, owner, other_owner):
    response = api.post(
        "/api/salons",
        {"name": "Mine", "timezone": "Europe/Berlin", "owner_id": str(other_owner.pk), "max_masters": 500},
        format="json",
    )
    assert response.status_code == 201, response.content
    salon = Salon.objects.get(pk=response.json()["id"])
    assert salon.owner_id == owner.pk
    assert salon.max_masters == 20


def test_max_masters_enforced_on_create(api, salon):
    salon.max_masters = 1
    salon.save()
    first = api.post("/api/masters", {"salon_id": str(salon.pk), "name": "One"}, format="json")
    assert first.status_code == 201
    second = api.post("/api/masters", {"salon_id": str(salon.pk), "name": "Two"}, format="json")
    assert second.status_code == 403
    assert second.json()["code"] == "usage_limit_exceeded"
    assert Master.objects.filter(salon=salon).count() == 1


def test_unauthenticated_requests_get_401(anon_api, salon):
    for path in ("/api/salons", f"/api/salons/{salon.pk}", "/api/masters", "/api/customers"):
        assert anon_api.get(path).status_code == 401
