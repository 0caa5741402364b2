"""The production shape: docker-compose.yml runs the commands this suite starts for real.

No Docker engine runs here, so the compose file is checked for its shape, and gunicorn is
started with the compose file's own command line against the test database.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import database_url

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]


def test_compose_has_the_production_services_with_health_checks():
    assert {"postgres", "redis", "migrate", "web", "worker", "beat", "proxy"} <= set(SERVICES)
    for name in ("postgres", "redis", "web", "worker", "proxy"):
        assert "healthcheck" in SERVICES[name], name
    assert SERVICES["migrate"]["command"][-2:] == ["migrate", "--noinput"]
    for name in ("web", "worker", "beat"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert SERVICES[name]["env_file"] == ".env"


def test_web_and_worker_can_scale_behind_the_proxy():
    # A fixed container name or a host port would stop `--scale web=2` / `--scale worker=3`.
    for name in ("web", "worker"):
        assert "container_name" not in SERVICES[name]
        assert "ports" not in SERVICES[name], name
    assert SERVICES["web"]["expose"] == ["8000"]
    assert SERVICES["proxy"]["ports"] == ["80:80", "443:443"]
    assert SERVICES["proxy"]["depends_on"]["web"]["condition"] == "service_healthy"
    assert SERVICES["worker"]["command"][:4] == ["celery", "-A", "salonbot", "worker"]
    assert SERVICES["beat"]["command"][:4] == ["celery", "-A", "salonbot", "beat"]
    assert "--scale web=2" in COMPOSE_TEXT


def test_the_proxy_ends_tls_with_the_shared_configuration_and_the_app_trusts_only_its_header():
    template = (ROOT / "deploy/nginx/templates/default.conf.template").read_text()
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in SERVICES["proxy"]["volumes"]}
    assert mounts["/etc/nginx/templates"] == "./deploy/nginx/templates"
    assert mounts["/etc/nginx/salonbot"] == "./deploy/nginx/salonbot"
    assert mounts["/etc/nginx/certs"] == "./deploy/certs"
    for line in (
        "include /etc/nginx/salonbot/http.conf;",
        "include /etc/nginx/salonbot/server.conf;",
        "listen 443 ssl;",
        "server web:8000 resolve;",
        "return 301 https://$host$request_uri;",
    ):
        assert line in template, line
    server = (ROOT / "deploy/nginx/salonbot/server.conf").read_text()
    assert "proxy_set_header X-Real-IP $remote_addr;" in server
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in server
    environment = SERVICES["web"]["environment"]
    assert environment["CLIENT_IP_HEADER"] == "X-Real-IP"
    assert environment["DEBUG"] == "0"  # and so HTTPS redirects, secure cookies: TLS is at the proxy


def test_liveness_is_healthz_and_beat_keeps_its_schedule_on_a_volume():
    assert "/healthz" in " ".join(SERVICES["web"]["healthcheck"]["test"])
    assert "/readyz" not in " ".join(SERVICES["web"]["healthcheck"]["test"])
    schedule = next(arg for arg in SERVICES["beat"]["command"] if arg.startswith("--schedule="))
    volume, mounted_at = SERVICES["beat"]["volumes"][0].split(":")
    assert volume in COMPOSE["volumes"]
    assert schedule.removeprefix("--schedule=").startswith(mounted_at + "/")
    assert "mkdir -p /app/var/beat" in (ROOT / "Dockerfile").read_text()  # the volume starts owned by the app user


def test_the_app_connects_as_the_app_role_and_only_migrate_as_the_owner():
    app_url = SERVICES["web"]["environment"]["DATABASE_URL"]
    assert app_url.startswith("postgres://salonbot_app:")
    for name in ("worker", "beat"):
        assert SERVICES[name]["environment"]["DATABASE_URL"] == app_url
    migrate = SERVICES["migrate"]["environment"]
    assert migrate["DATABASE_URL"].startswith("postgres://salonbot:")
    assert migrate["DATABASE_APP_ROLE"] == "salonbot_app"
    roles = (ROOT / "deploy/postgres/initdb/10-roles.sh").read_text()
    assert "CREATE ROLE salonbot_app LOGIN" in roles and "NOBYPASSRLS" in roles
    assert "./deploy/postgres/initdb:/docker-entrypoint-initdb.d:ro" in SERVICES["postgres"]["volumes"]


@pytest.mark.parametrize("script", ["deploy/postgres/initdb/10-roles.sh", "deploy/postgres/replica-entrypoint.sh"])
def test_the_postgres_scripts_parse(script):
    assert subprocess.run(["sh", "-n", str(ROOT / script)]).returncode == 0


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name] = value
    return pairs


def test_every_placeholder_of_env_example_is_refused_at_start():
    from django.conf import settings

    example = env_example()
    marked = {name for name, value in example.items() if settings.PLACEHOLDER in value}
    assert {"SECRET_KEY", "POSTGRES_PASSWORD", "POSTGRES_APP_PASSWORD", "METRICS_TOKEN"} <= marked
    assert marked <= set(settings.SECRET_VARIABLES)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**os.environ, **example, "DJANGO_SETTINGS_MODULE": "salonbot.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    for name in ("SECRET_KEY", "POSTGRES_APP_PASSWORD", "METRICS_TOKEN"):
        assert name in result.stderr


def has_docker_compose() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


@pytest.mark.skipif(not has_docker_compose(), reason="no `docker compose` here: the shape tests above stand in for it")
def test_docker_compose_accepts_the_file(tmp_path):
    env = {name: value.replace("change-me", "ci") for name, value in env_example().items()}
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    result = subprocess.run(
        ["docker", "compose", "--env-file", str(env_file), "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_with_the_compose_command_line(tmp_path):
    command = list(SERVICES["web"]["command"])
    port = free_port()
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    command[command.index("--workers") + 1] = "1"
    assert command[command.index("-c") + 1] == "python:salonbot.gunicorn_conf"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEBUG": "0",
        "SECRET_KEY": "deployment-test-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SALONBOT_VAR_DIR": str(tmp_path),
        "CELERY_BROKER_URL": os.environ.get("REDIS_URL") or "filesystem://",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *command[1:]],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not answer within 30 s")
        assert response.status_code == 200 and response.json() == {"status": "ok"}
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text
        unauthenticated = httpx.get(f"http://127.0.0.1:{port}/api/salons", timeout=5)
        assert unauthenticated.status_code == 401
    finally:
        server.terminate()
        server.wait(10)
