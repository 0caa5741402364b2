"""The production shape: docker-compose.yml runs the commands this suite starts for real.

No Docker engine runs here, so the compose file is checked for its shape, and gunicorn is
started with the compose file's own command line against the test database.
"""

import os
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
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_compose_has_the_production_services_with_health_checks():
    assert {"postgres", "redis", "migrate", "web", "worker", "beat"} <= set(SERVICES)
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in SERVICES[name], name
    assert SERVICES["migrate"]["command"][-2:] == ["migrate", "--noinput"]
    for name in ("web", "worker", "beat"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert SERVICES[name]["env_file"] == ".env"


def test_web_and_worker_can_scale():
    # A fixed container name or a host port on the worker would stop `--scale worker=3`.
    for name in ("web", "worker"):
        assert "container_name" not in SERVICES[name]
    assert "ports" not in SERVICES["worker"]
    assert SERVICES["worker"]["command"][:4] == ["celery", "-A", "salonbot", "worker"]
    assert SERVICES["beat"]["command"][:4] == ["celery", "-A", "salonbot", "beat"]


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
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEBUG": "0",
        "SECRET_KEY": "deployment-test-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SALONBOT_VAR_DIR": str(tmp_path),
        "CELERY_BROKER_URL": os.environ.get("REDIS_URL") or "filesystem://",
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
