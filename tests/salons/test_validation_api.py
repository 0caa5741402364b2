import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def test_invalid_timezone_is_rejected(api):
    response = api.post("/api/salons", {"name": "S", "timezone": "Mars/Olympus"}, format="json")
    assert response.status_code == 400
    assert "timezone" in response.json()


@pytest.mark.parametrize(
    ("hours", "needle"),
    [
        ({"monday": {"enabled": True, "start": "9am", "end": "18:00"}}, "monday.start"),
        ({"tuesday": {"enabled": True, "start": "18:00", "end": "09:00"}}, "tuesday.start"),
        ({"funday": {"enabled": True, "start": "09:00", "end": "18:00"}}, "funday"),
        ({"friday": {"enabled": True, "start": "09:00"}}, "friday.end"),
        (
            {
                "monday": {
                    "enabled": True,
                    "start": "09:00",
                    "end": "18:00",
                    "breaks": [{"start": "08:00", "end": "10:00"}],
                }
            },
            "monday.breaks[0]",
        ),
        (
            {
                "monday": {
                    "enabled": True,
                    "start": "09:00",
                    "end": "18:00",
                    "breaks": [{"start": "12:00", "end": "13:00"}, {"start": "12:30", "end": "14:00"}],
                }
            },
            "monday.breaks[1]",
        ),
        ({"sunday": {"enabled": "yes"}}, "sunday.enabled"),
        (["monday"], "working_hours"),
    ],
)
def test_malformed_working_hours_are_400_naming_day_and_field(api, salon, hours, needle):
    response = api.post("/api/masters", {"salon_id": str(salon.pk), "name": "M", "working_hours": hours}, format="json")
    assert response.status_code == 400
    messages = " ".join(response.json()["working_hours"])
    assert needle in messages


def test_valid_working_hours_round_trip(api, salon):
    hours = factories.STANDARD_WEEK
    response = api.post("/api/masters", {"salon_id": str(salon.pk), "name": "M", "working_hours": hours}, format="json")
    assert response.status_code == 201
    assert response.json()["working_hours"] == hours


@pytest.mark.parametrize(("duration", "price"), [(4, "10.00"), (721, "10.00"), (30, "-1.00"), ("abc", "1")])
def test_service_duration_and_price_bounds(api, salon, duration, price):
    response = api.post(
        "/api/services",
        {"salon_id": str(salon.pk), "name": "S", "duration_minutes": duration, "price": price},
        format="json",
    )
    assert response.status_code == 400
    assert {"duration_minutes", "price"} & set(response.json())


def test_service_bounds_accept_the_edges(api, salon):
    for duration in (5, 720):
        response = api.post(
            "/api/services",
            {"salon_id": str(salon.pk), "name": "S", "duration_minutes": duration, "price": "0"},
            format="json",
        )
        assert response.status_code == 201
        assert response.json()["price"] == "0.00"


def test_phone_numbers_are_normalised_to_e164_or_rejected(api, salon):
    ok = api.post("/api/masters", {"salon_id": str(salon.pk), "name": "M", "phone": "+49 170 1234567"}, format="json")
    assert ok.status_code == 201
    assert ok.json()["phone"] == "+491701234567"
    bad = api.post("/api/masters", {"salon_id": str(salon.pk), "name": "M", "phone": "12"}, format="json")
    assert bad.status_code == 400
    assert "phone" in bad.json()
    customer = factories.CustomerFactory(salon=salon)
    patched = api.patch(f"/api/customers/{customer.pk}", {"phone": "not a phone"}, format="json")
    assert patched.status_code == 400 and "phone" in patched.json()


def test_time_off_needs_offsets_and_order(api, salon):
    master = factories.MasterFactory(salon=salon)
    url = f"/api/masters/{master.pk}/time-off"
    naive = api.post(url, {"start_ts": "2030-01-01T09:00:00", "end_ts": "2030-01-01T10:00:00Z"}, format="json")
    assert naive.status_code == 400 and "start_ts" in naive.json()
    backwards = api.post(url, {"start_ts": "2030-01-01T10:00:00Z", "end_ts": "2030-01-01T09:00:00Z"}, format="json")
    assert backwards.status_code == 400 and "end_ts" in backwards.json()
    ok = api.post(url, {"start_ts": "2030-01-01T10:00:00+01:00", "end_ts": "2030-01-01T12:00:00+01:00"}, format="json")
    assert ok.status_code == 201
    assert ok.json()["start_ts"] == "2030-01-01T09:00:00Z"
    assert api.delete(f"{url}/{ok.json()['id']}").status_code == 204


def test_malformed_json_and_bad_ids_are_4xx(api, salon):
    response = api.generic("POST", "/api/salons", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert api.get("/api/salons/not-a-uuid").status_code == 404
    assert api.get("/api/masters", {"salon_id": "nope"}).status_code == 400


def test_owner_updates_and_deletes_own_rows(api, salon):
    service = factories.ServiceFactory(salon=salon)
    assert api.patch(f"/api/services/{service.pk}", {"price": "40.50"}, format="json").json()["price"] == "40.50"
    master = factories.MasterFactory(salon=salon)
    patched = api.patch(f"/api/masters/{master.pk}", {"service_ids": [str(service.pk)]}, format="json")
    assert patched.json()["service_ids"] == [str(service.pk)]
    assert api.delete(f"/api/masters/{master.pk}").status_code == 204
    assert api.delete(f"/api/services/{service.pk}").status_code == 204


def test_customers_have_no_create_or_delete(api, salon):
    customer = factories.CustomerFactory(salon=salon)
    assert api.post("/api/customers", {"phone": "+491701234567"}, format="json").status_code == 405
    assert api.delete(f"/api/customers/{customer.pk}").status_code == 405
    found = api.get("/api/customers", {"search": customer.phone[-5:]}).json()
    assert found["count"] == 1
    assert found["results"][0]["bookings_count"] == 0


def test_usage_endpoint_reports_counters(api, salon):
    body = api.get(f"/api/salons/{salon.pk}/usage").json()
    assert body["bookings"] == {"used": 0, "limit": salon.max_bookings_per_month}
    assert body["messages"]["limit"] == salon.max_messages_per_month
    assert len(body["period"]) == 7


@pytest.mark.parametrize("path", ["/api/masters", "/api/services"])
def test_unreadable_boolean_filters_are_400_not_ignored(api, salon, path):
    assert api.get(path, {"is_active": "maybe"}).status_code == 400
    assert api.get(path, {"is_active": "false"}).status_code == 200


@pytest.mark.parametrize(("value", "status"), [(10, 200), (0, 400), (61, 400), ("five", 400)])
def test_hold_minutes_is_an_owner_setting_from_1_to_60(api, salon, value, status):
    assert api.get(f"/api/salons/{salon.pk}").json()["hold_minutes"] == 5
    response = api.patch(f"/api/salons/{salon.pk}", {"hold_minutes": value}, format="json")
    assert response.status_code == status, response.content
    if status == 400:
        assert "hold_minutes" in response.json()
    else:
        assert response.json()["hold_minutes"] == value
