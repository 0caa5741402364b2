"""CORS: the allow-list from CORS_ALLOWED_ORIGINS, applied to /api/ only."""

import pytest

pytestmark = pytest.mark.django_db

APP = "https://app.salonbot.example"


@pytest.fixture(autouse=True)
def _allow_list(settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]


def preflight(client, path, origin):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )


def test_preflight_from_an_allowed_origin_is_granted(client):
    response = preflight(client, "/api/salons", APP)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    assert "authorization" in response["Access-Control-Allow-Headers"]
    assert "POST" in response["Access-Control-Allow-Methods"]


def test_preflight_from_another_origin_gets_no_grant(client):
    response = preflight(client, "/api/salons", "https://evil.example")
    assert "Access-Control-Allow-Origin" not in response


def test_actual_request_exposes_retry_after_to_the_allowed_origin(api):
    response = api.get("/api/auth/me", HTTP_ORIGIN=APP)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    assert "Retry-After" in response["Access-Control-Expose-Headers"]


def test_errors_carry_cors_headers_so_the_browser_can_read_them(client):
    response = client.get("/api/no-such-thing", HTTP_ORIGIN=APP)
    assert response.status_code == 404
    assert response["Access-Control-Allow-Origin"] == APP


def test_admin_gets_no_cors_headers(client):
    assert "Access-Control-Allow-Origin" not in preflight(client, "/admin/login/", APP)
    assert "Access-Control-Allow-Origin" not in client.get("/admin/login/", HTTP_ORIGIN=APP)
