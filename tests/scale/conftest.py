"""The two-instance stack of the scale tests (`make test-scale`), built once per module.

    nginx (TLS, deploy/nginx/salonbot/*) ─┬─> gunicorn A ─┐
                                          └─> gunicorn B ─┼─> PostgreSQL (own cluster, app role, RLS)
                   Celery worker 1, Celery worker 2 ──────┴─> Redis (own server: cache, limits, broker)

Everything runs as in docker-compose.yml: DEBUG=0 behind TLS, the app connecting as a role that owns
nothing and has no BYPASSRLS, psycopg's pool in gunicorn, JSON logs, multiprocess metrics.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.scale import stack

SECRET = "scale-test-app-secret"
METRICS_TOKEN = "scale-metrics-token"
PASSWORD = "Scale-Pass-2468"
POOL_MAX = 2  # per gunicorn worker
WEB_WORKERS = 2
WEB_THREADS = 6

pytestmark = pytest.mark.scale


def _requirements():
    if stack.pg_bin() is None:
        pytest.skip("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are not installed")
    if not stack.has_nginx():
        pytest.skip("nginx is not installed (.ci/run installs it with apt)")
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")


@pytest.fixture(scope="session")
def workdir():
    directory = Path(tempfile.mkdtemp(prefix="salonbot-scale-"))
    os.chmod(directory, 0o755)
    yield directory
    if not os.environ.get("SCALE_KEEP"):  # SCALE_KEEP=1 leaves logs and data to read after a failure
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def primary(workdir):
    _requirements()
    cluster = stack.Cluster(workdir / "primary").init()
    try:
        cluster.start()
        stack.make_database(cluster)
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def redis(workdir):
    _requirements()
    server = stack.Redis(workdir / "redis")
    yield server
    server.stop()


def app_env(primary, redis, workdir: Path, name: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "CELERY_", "DB_"))}
    env.update(
        {
            "DATABASE_URL": primary.url("salonbot_app", application_name=f"salonbot-{name}"),
            "REDIS_URL": redis.url,
            "DEBUG": "0",
            "SECRET_KEY": "scale-test-" + "s" * 50,
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            "CLIENT_IP_HEADER": "X-Real-IP",
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
            "METRICS_TOKEN": METRICS_TOKEN,
            "WHATSAPP_BACKEND": "console",
            "WHATSAPP_APP_SECRET": SECRET,
            "SALONBOT_VAR_DIR": str(workdir / "var" / name),
            "PROMETHEUS_MULTIPROC_DIR": str(workdir / "prometheus" / name),
            "FAST_PASSWORD_HASHER": "1",
            "PYTHONWARNINGS": "ignore",
        }
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


@pytest.fixture(scope="session")
def migrated(primary, redis, workdir):
    owner = app_env(primary, redis, workdir, "migrate")
    owner["DATABASE_URL"] = primary.url("salonbot_owner")
    owner["DATABASE_APP_ROLE"] = "salonbot_app"
    result = stack.manage(owner, "migrate", "--noinput")
    assert result.returncode == 0, result.stdout + result.stderr
    return owner


SETUP = """
import json
from decimal import Decimal
from accounts.models import User
from salons.models import Salon, Master, Service
from rest_framework_simplejwt.tokens import RefreshToken
week = {d: {"enabled": True, "start": "08:00", "end": "20:00"}
        for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}
out = {}
limited = User.objects.create_user("limit@scale.test", "%(password)s")
out["limit"] = {"user": str(limited.pk), "token": str(RefreshToken.for_user(limited).access_token)}
for key, number in (("a", "429100000000001"), ("b", "429100000000002")):
    owner = User.objects.create_user(f"owner-{key}@scale.test", "%(password)s")
    salon = Salon.objects.create(owner=owner, name=f"Scale {key}", timezone="Europe/Berlin",
        whatsapp_phone_number_id=number, max_bookings_per_month=10**6, max_messages_per_month=10**6)
    service = Service.objects.create(salon=salon, name="Cut", duration_minutes=30, price=Decimal("30"))
    master = Master.objects.create(salon=salon, name="Master " + key, working_hours=week)
    master.services.add(service)
    out[key] = {"owner": str(owner.pk), "email": owner.email, "salon": str(salon.pk), "number": number,
                "master": str(master.pk), "service": str(service.pk),
                "token": str(RefreshToken.for_user(owner).access_token)}
print("SETUP" + json.dumps(out))
"""


@pytest.fixture(scope="session")
def web_env(primary, redis, workdir, migrated):
    def make(name: str, **extra) -> dict:
        return app_env(primary, redis, workdir, name, **{"DB_POOL_MAX_SIZE": POOL_MAX, **extra})

    return make


@pytest.fixture(scope="session")
def two_instances(primary, redis, workdir, migrated, web_env):
    """Two gunicorns behind nginx, two Celery workers, a super admin and two salon owners."""
    logs = workdir / "logs"
    logs.mkdir(exist_ok=True)
    processes = []
    try:
        # The documented one-off for the first super admin, run as the app role like the services.
        admin_env = {**web_env("admin"), "DJANGO_SUPERUSER_PASSWORD": PASSWORD}
        made = stack.manage(admin_env, "createsuperuser", "--noinput", "--email", "admin@scale.test")
        assert made.returncode == 0, made.stdout + made.stderr
        setup = stack.manage(web_env("setup"), "shell", "-c", SETUP % {"password": PASSWORD})
        assert setup.returncode == 0, setup.stdout + setup.stderr
        data = json.loads(setup.stdout.split("SETUP", 1)[1])

        web_a, port_a = stack.gunicorn("web-a", web_env("web-a"), logs, workers=WEB_WORKERS, threads=WEB_THREADS)
        processes.append(web_a)
        web_b, port_b = stack.gunicorn("web-b", web_env("web-b"), logs, workers=WEB_WORKERS, threads=WEB_THREADS)
        processes.append(web_b)
        proxy = stack.Nginx(workdir / "nginx", [port_a, port_b])
        processes.append(proxy)
        worker_ports = [stack.free_port(), stack.free_port()]
        workers = []
        for number, metrics_port in enumerate(worker_ports, start=1):
            env = web_env(f"worker-{number}", DB_POOL_MAX_SIZE=0, CELERY_METRICS_PORT=metrics_port)
            workers.append(stack.celery_worker(f"worker-{number}", env, logs))
            processes.append(workers[-1])
        yield {
            "proxy": proxy,
            "web": {"a": (web_a, port_a), "b": (web_b, port_b)},
            "workers": workers,
            "worker_metrics_ports": worker_ports,
            "data": data,
            "primary": primary,
        }
    finally:
        for process in reversed(processes):
            process.stop()
