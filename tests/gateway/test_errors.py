"""Bad input is a 4xx JSON answer under /api/: never a 500, never an HTML page."""

import json

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def assert_json_error(response, status, code=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    if code is not None:
        assert body == {"detail": body["detail"], "code": code}
        assert body["detail"]
    return body


def test_malformed_json_is_400_parse_error(api):
    response = api.post("/api/salons", data="{not json", content_type="application/json")
    assert_json_error(response, 400, "parse_error")


def test_deeply_nested_json_is_400_not_a_recursion_crash(api):
    body = "[" * 100_000 + "]" * 100_000
    response = api.post("/api/salons", data=body, content_type="application/json")
    assert_json_error(response, 400, "parse_error")


def test_wrong_types_are_400_with_field_errors(api, salon):
    response = api.post(
        "/api/services",
        {"salon_id": 42, "name": ["x"], "duration_minutes": "long", "price": {"a": 1}},
        format="json",
    )
    assert response.status_code == 400
    assert {"salon_id", "name", "duration_minutes", "price"} <= set(response.json())


def test_a_json_body_that_is_not_an_object_is_400(api):
    response = api.post("/api/salons", data="[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_oversized_json_body_is_413_before_it_is_parsed(settings, api):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.post("/api/salons", {"name": "x" * 2000, "timezone": "UTC"}, format="json")
    assert_json_error(response, 413, "request_too_large")


@pytest.mark.urls("tests.gateway.urls")
def test_oversized_body_read_raw_by_a_view_is_413_json(settings, anon_api):
    # Django's own limit (RequestDataTooBig) fires when a view reads request.body, as a webhook does.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = anon_api.post("/api/test/webhook", {"x": "y" * 2000}, format="json")
    assert_json_error(response, 413, "request_too_large")
    small = anon_api.post("/api/test/webhook", {"x": "y"}, format="json")
    assert small.status_code == 200


def test_form_encoded_body_is_415_json(api):
    response = api.post("/api/salons", data="name=x", content_type="application/x-www-form-urlencoded")
    assert_json_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    "path",
    [
        "/api/salons?is_active=maybe",
        "/api/salons?language=klingon",
        "/api/masters?salon_id=not-a-uuid",
        "/api/masters?service_id=1",
        "/api/masters?salon_id=%00",
        "/api/masters?search=%00",
    ],
)
def test_unknown_filter_values_are_400(api, salon, path):
    response = api.get(path)
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/json")


def test_boolean_filters_read_true_and_false(api, salon):
    assert api.get("/api/salons?is_active=true").json()["count"] == 1
    assert api.get("/api/salons?is_active=0").json()["count"] == 0
    assert api.get("/api/salons?is_active=").json()["count"] == 1


def test_unknown_ordering_and_page_size_fall_back_and_a_bad_page_is_404_json(api, salon):
    factories.MasterFactory(salon=salon)
    assert api.get("/api/masters?ordering=password&page_size=abc").status_code == 200
    assert_json_error(api.get("/api/masters?page=abc"), 404, "not_found")
    assert_json_error(api.get("/api/masters?page=99"), 404, "not_found")


def test_non_uuid_path_parameter_is_404(api):
    assert_json_error(api.get("/api/salons/not-a-uuid"), 404, "not_found")


def test_unknown_api_path_is_404_json(api, anon_api):
    assert_json_error(api.get("/api/no-such-thing"), 404, "not_found")
    assert_json_error(anon_api.post("/api/no/such/thing", {}, format="json"), 404, "not_found")


def test_unknown_api_path_is_json_even_in_debug(settings, api):
    settings.DEBUG = True  # Django answers its technical HTML 404 page in DEBUG
    assert_json_error(api.get("/api/no-such-thing"), 404, "not_found")


def test_paths_outside_the_api_keep_django_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_wrong_method_is_405_json_with_allow(api):
    response = api.put("/api/auth/me", {}, format="json")
    body = assert_json_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]
    assert "PUT" in body["detail"]


@pytest.mark.urls("tests.gateway.urls")
def test_a_crash_is_500_json_without_details(anon_api):
    anon_api.raise_request_exception = False
    response = anon_api.get("/api/test/crash")
    body = assert_json_error(response, 500, "server_error")
    assert "bug" not in json.dumps(body)


def test_bad_host_header_is_400_json(settings, api):
    settings.ALLOWED_HOSTS = ["api.example.com"]
    response = api.get("/api/auth/me", HTTP_HOST="evil.example.net")
    assert_json_error(response, 400, "bad_request")
