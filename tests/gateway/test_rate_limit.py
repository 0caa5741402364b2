"""Per-user API limits keyed on the JWT's user, per-IP login limits, 429 with Retry-After, fail-open."""

import logging

import pytest

from tests.conftest import clear_cache, client_for
from tests.factories import PASSWORD
from tests.gateway.conftest import fresh_window

pytestmark = pytest.mark.django_db

ME = "/api/auth/me"


def assert_throttled(response):
    assert response.status_code == 429, response.content
    assert response.json()["code"] == "throttled"
    assert response.json()["detail"]
    assert 1 <= int(response["Retry-After"]) <= 3600


def login(client, email, password=PASSWORD, **extra):
    return client.post("/api/auth/login", {"email": email, "password": password}, format="json", **extra)


def test_the_101st_request_of_a_user_in_a_minute_is_429_while_another_user_gets_200(
    settings, api, owner, other_api, other_owner
):
    settings.API_RATE_LIMIT = "100/m"  # the real default
    fresh_window(f"user:{owner.pk}")
    for _ in range(100):
        assert api.get(ME).status_code == 200
    assert_throttled(api.get(ME))
    assert other_api.get(ME).status_code == 200


def test_limit_keys_on_the_jwt_user_not_the_shared_address(settings, owner, other_owner):
    settings.API_RATE_LIMIT = "3/h"
    fresh_window(f"user:{owner.pk}", 3600)
    # Both clients come from 127.0.0.1: a limit keyed before authentication would lump them.
    a, b = client_for(owner), client_for(other_owner)
    for _ in range(3):
        assert a.get(ME).status_code == 200
    assert_throttled(a.get("/api/salons"))  # one budget for every endpoint of the API
    assert [b.get(ME).status_code for _ in range(3)] == [200, 200, 200]
    assert_throttled(b.get(ME))


def test_anonymous_requests_are_limited_per_address(settings, anon_api):
    settings.API_RATE_LIMIT = "2/h"
    settings.AUTH_RATE_LIMIT = "1000/h"
    fresh_window("ip:10.0.0.1", 3600)
    here = {"REMOTE_ADDR": "10.0.0.1"}
    assert anon_api.post("/api/auth/register", {}, format="json", **here).status_code == 400
    assert anon_api.post("/api/auth/register", {}, format="json", **here).status_code == 400
    assert_throttled(anon_api.post("/api/auth/register", {}, format="json", **here))
    elsewhere = {"REMOTE_ADDR": "10.0.0.2"}
    assert anon_api.post("/api/auth/register", {}, format="json", **elsewhere).status_code == 400


def test_login_is_limited_to_ten_a_minute_per_address(settings, anon_api, owner):
    settings.AUTH_RATE_LIMIT = "10/m"  # the real default
    fresh_window("ip:10.0.0.1")
    here = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(10):
        assert login(anon_api, owner.email, "wrong-password", **here).status_code == 401
    # The right password does not help once the address is out of attempts.
    assert_throttled(login(anon_api, owner.email, **here))
    assert login(anon_api, owner.email, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_register_is_limited_per_address(settings, anon_api):
    settings.AUTH_RATE_LIMIT = "2/h"
    fresh_window("ip:10.0.0.1", 3600)
    here = {"REMOTE_ADDR": "10.0.0.1"}
    assert anon_api.post("/api/auth/register", {}, format="json", **here).status_code == 400
    assert anon_api.post("/api/auth/register", {}, format="json", **here).status_code == 400
    assert_throttled(anon_api.post("/api/auth/register", {}, format="json", **here))


def test_refresh_has_its_own_auth_budget_so_failed_logins_do_not_block_it(settings, anon_api, owner):
    settings.AUTH_RATE_LIMIT = "2/h"
    fresh_window("ip:127.0.0.1", 3600)
    tokens = login(anon_api, owner.email).json()
    login(anon_api, owner.email, "wrong-password")
    assert_throttled(login(anon_api, owner.email))
    refreshed = anon_api.post("/api/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert refreshed.status_code == 200
    again = anon_api.post("/api/auth/refresh", {"refresh": refreshed.json()["refresh"]}, format="json")
    assert again.status_code == 200
    assert_throttled(anon_api.post("/api/auth/refresh", {"refresh": "x"}, format="json"))


def test_x_forwarded_for_is_not_trusted_by_default(settings, anon_api):
    settings.AUTH_RATE_LIMIT = "1/h"
    fresh_window("ip:127.0.0.1", 3600)
    assert login(anon_api, "a@example.com", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 401
    # A client that invents a new forwarded address each time is still the same peer.
    assert_throttled(login(anon_api, "a@example.com", HTTP_X_FORWARDED_FOR="203.0.113.2"))


def test_trusted_proxy_header_names_the_client(settings, anon_api):
    settings.AUTH_RATE_LIMIT = "1/h"
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    fresh_window("ip:203.0.113.1", 3600)
    proxy = {"REMOTE_ADDR": "10.0.0.9"}  # every request arrives from the proxy
    assert login(anon_api, "a@example.com", HTTP_X_REAL_IP="203.0.113.1", **proxy).status_code == 401
    assert_throttled(login(anon_api, "a@example.com", HTTP_X_REAL_IP="203.0.113.1", **proxy))
    assert login(anon_api, "a@example.com", HTTP_X_REAL_IP="203.0.113.2", **proxy).status_code == 401


def test_no_client_address_is_a_loud_configuration_error_not_one_shared_budget(anon_api):
    # Behind a proxy on a Unix socket REMOTE_ADDR is empty; CLIENT_IP_HEADER must be set then.
    anon_api.raise_request_exception = False
    response = login(anon_api, "a@example.com", REMOTE_ADDR="")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"


def test_ipv6_clients_are_counted_per_64_network(settings, anon_api):
    settings.AUTH_RATE_LIMIT = "1/h"
    fresh_window("ip:2001:db8:1:2::", 3600)
    assert login(anon_api, "a@example.com", REMOTE_ADDR="2001:db8:1:2::1").status_code == 401
    assert_throttled(login(anon_api, "a@example.com", REMOTE_ADDR="2001:db8:1:2:ffff::9"))


def test_counters_live_in_the_ratelimit_cache_alias(settings, api, owner):
    settings.API_RATE_LIMIT = "1/h"
    fresh_window(f"user:{owner.pk}", 3600)
    assert api.get(ME).status_code == 200
    assert api.get(ME).status_code == 429
    clear_cache("default")  # the data cache holds no counter...
    assert api.get(ME).status_code == 429
    clear_cache("ratelimit")  # ...the ratelimit alias does
    assert api.get(ME).status_code == 200


@pytest.mark.urls("tests.gateway.urls")
def test_a_view_with_no_throttle_classes_is_not_limited(settings, anon_api):
    settings.API_RATE_LIMIT = "1/h"
    fresh_window("ip:127.0.0.1", 3600)
    for _ in range(5):
        assert anon_api.post("/api/test/webhook", {"entry": []}, format="json").status_code == 200


def test_unreachable_counter_store_fails_open_and_logs(settings, api, owner, caplog):
    settings.API_RATE_LIMIT = "1/h"
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        },
    }
    with caplog.at_level(logging.WARNING, logger="salonbot.api.throttling"):
        statuses = [api.get(ME).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    failures = [r for r in caplog.records if "failing open" in r.getMessage()]
    # One line per outage interval, not one per request.
    assert len(failures) == 1
    assert "ConnectionError" in failures[0].getMessage()


def test_rate_limit_can_be_switched_off_for_measurement(settings, api, owner):
    settings.API_RATE_LIMIT = "1/h"
    settings.RATELIMIT_ENABLE = False
    assert [api.get(ME).status_code for _ in range(3)] == [200, 200, 200]


def test_fresh_tokens_of_the_same_user_share_one_budget(settings, owner):
    settings.API_RATE_LIMIT = "2/h"
    fresh_window(f"user:{owner.pk}", 3600)
    assert client_for(owner).get(ME).status_code == 200
    assert client_for(owner).get(ME).status_code == 200
    assert_throttled(client_for(owner).get(ME))
