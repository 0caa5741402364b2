"""/healthz says the process is alive; /readyz checks database, cache and broker, 503 naming the failure."""

import json

import pytest

from tests.gateway.conftest import run_django

pytestmark = pytest.mark.django_db

CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens on port 1
PROBE = (
    "import json\n"
    "from django.test import Client\n"
    "r = Client().get('/readyz')\n"
    "print(json.dumps({'status': r.status_code, 'body': r.json()}))\n"
)


def probe_in_subprocess(**env) -> dict:
    result = run_django(PROBE, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_healthz_is_200(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_readyz_is_200_with_each_dependency_ok(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}


def test_probes_answer_any_host_and_plain_http(settings, client):
    # The orchestrator probes with the pod's address as Host; ALLOWED_HOSTS would answer 400.
    settings.ALLOWED_HOSTS = ["api.salonbot.example"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/readyz/", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/api/auth/me", HTTP_HOST="10.1.2.3:8000").status_code == 400


def test_readyz_is_503_naming_the_cache_when_redis_is_unreachable(settings, client):
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": CLOSED_PORT,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5, "IGNORE_EXCEPTIONS": True},
        },
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["cache"].startswith("error: ")
    assert body["database"] == "ok"


def test_readyz_is_503_when_the_database_url_points_nowhere():
    seen = probe_in_subprocess(DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere")
    assert seen["status"] == 503
    assert seen["body"]["status"] == "unavailable"
    assert seen["body"]["database"] == "error: OperationalError"


def test_readyz_is_503_naming_cache_and_broker_when_redis_points_at_a_closed_port():
    seen = probe_in_subprocess(REDIS_URL=CLOSED_PORT, CELERY_BROKER_URL=CLOSED_PORT)
    assert seen["status"] == 503
    assert seen["body"]["cache"].startswith("error: ")
    assert seen["body"]["broker"].startswith("error: ")
