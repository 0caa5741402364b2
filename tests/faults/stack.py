"""The production shape with servers we may break: our own PostgreSQL cluster and Redis, gunicorn
(2 workers, DEBUG=0, psycopg's pool), a Celery worker and beat, and a recording fake Graph API.

Built on tests/scale/stack.py (clusters, processes, ports). `root` is the checkout whose code the
processes run: this one, or an older one (`python -m tests.faults.report --root DIR`) to measure
what the faults cost before.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg

from tests.scale import stack
from tests.scale.stack import Cluster, Process, free_port, wait_until

ROOT = stack.ROOT
PYTHON = sys.executable
APP_SECRET = "faults-app-secret"
GRAPH_TOKEN = "EAAG-test-token"  # what tests/messaging's FakeGraph accepts
PHONE_NUMBER_ID = "429300000000001"
WEB_WORKERS = 2
WEB_THREADS = 4
POOL_MAX = 4  # per gunicorn worker, as docker-compose.yml
CUSTOMERS = [f"3519100{n:05d}" for n in range(40)]


def requirements_missing() -> str | None:
    if stack.pg_bin() is None:
        return "PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are not installed"
    if not shutil.which("redis-server"):
        return "redis-server is not installed"
    return None


class Redis:
    """redis-server on a port of its own that can be stopped and started again on the same port.

    Append-only file on, as docker-compose.yml runs it: queued tasks survive a restart.
    """

    def __init__(self, directory: Path):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "yes", "--dir", str(self.dir)]
        self.process = Process("redis", args, log=self.dir / "redis.log", cwd=self.dir)
        wait_until(self.ping, seconds=30, what="redis")

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None


SETUP = """
import json
from datetime import timedelta
from decimal import Decimal
from django.utils import timezone
from accounts.models import User
from salons.models import Salon, Master, Service
from rest_framework_simplejwt.tokens import RefreshToken
week = {d: {"enabled": True, "start": "00:00", "end": "23:59"}
        for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}
owner = User.objects.create_user("owner@faults.test", "Faults-Pass-2468")
salon = Salon.objects.create(owner=owner, name="Faults", timezone="UTC", whatsapp_phone_number_id="%(number)s",
    max_bookings_per_month=10**7, max_messages_per_month=10**7)
service = Service.objects.create(salon=salon, name="Cut", duration_minutes=30, price=Decimal("30"))
masters = []
for n in range(4):
    master = Master.objects.create(salon=salon, name=f"Master {n}", working_hours=week)
    master.services.add(service)
    masters.append(str(master.pk))
token = RefreshToken.for_user(owner).access_token
token.set_exp(lifetime=timedelta(hours=6))
print("SETUP" + json.dumps({"salon": str(salon.pk), "service": str(service.pk), "masters": masters,
                            "token": str(token)}))
"""


class Stack:
    def __init__(self, workdir: Path, *, root: Path = ROOT):
        self.workdir = workdir
        self.root = root
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.processes: list[Process] = []
        self.cluster: Cluster | None = None
        self.redis: Redis | None = None
        self.graph_server = None
        self.graph = None
        self.data: dict = {}
        self.web_port = 0

    # --- environment ------------------------------------------------------------------------

    def env(self, name: str, **extra) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "CELERY_", "DB_"))}
        env.update(
            {
                "DATABASE_URL": self.cluster.url("salonbot_app", application_name=f"salonbot-{name}"),
                "REDIS_URL": self.redis.url,
                "DEBUG": "0",
                "SECRET_KEY": "faults-test-" + "s" * 50,
                "ALLOWED_HOSTS": "localhost,127.0.0.1",
                "SECURE_SSL_REDIRECT": "0",  # plain HTTP here: no proxy in front
                "LOG_LEVEL": "INFO",
                "WHATSAPP_BACKEND": "cloud",
                "WHATSAPP_API_BASE_URL": self.graph_server.url_for("").rstrip("/"),
                "WHATSAPP_ACCESS_TOKEN": GRAPH_TOKEN,
                "WHATSAPP_APP_SECRET": APP_SECRET,
                "WHATSAPP_HTTP_TIMEOUT": "5",
                "API_RATE_LIMIT": "1000000/m",
                "AUTH_RATE_LIMIT": "1000000/m",
                "SALONBOT_VAR_DIR": str(self.workdir / "var" / name),
                "PROMETHEUS_MULTIPROC_DIR": str(self.workdir / "prometheus" / name),
                "FAST_PASSWORD_HASHER": "1",
                "PYTHONWARNINGS": "ignore",
                "PYTHONPATH": str(self.root),
            }
        )
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def manage(self, env: dict, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [PYTHON, "manage.py", *args], cwd=self.root, env=env, capture_output=True, text=True, timeout=300
        )

    # --- start and stop ---------------------------------------------------------------------

    def start(self) -> Stack:
        from pytest_httpserver import HTTPServer

        for noisy in ("httpx", "werkzeug"):  # a line per request of the load and of the fake Graph API
            logging.getLogger(noisy).setLevel(logging.WARNING)

        from tests.messaging.conftest import FakeGraph

        self.graph = FakeGraph()
        self.graph_server = HTTPServer(host="127.0.0.1", port=free_port(), threaded=True)
        self.graph_server.expect_request(re.compile(r"^/\d+/messages$"), method="POST").respond_with_handler(self.graph)
        self.graph_server.start()

        self.cluster = Cluster(self.workdir / "pg").init()
        self.cluster.start()
        stack.make_database(self.cluster)
        self.redis = Redis(self.workdir / "redis")
        self.redis.start()

        owner = self.env("migrate", DATABASE_APP_ROLE="salonbot_app")
        owner["DATABASE_URL"] = self.cluster.url("salonbot_owner")
        migrated = self.manage(owner, "migrate", "--noinput")
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        setup = self.manage(self.env("setup"), "shell", "-c", SETUP % {"number": PHONE_NUMBER_ID})
        assert setup.returncode == 0, setup.stdout + setup.stderr
        self.data = json.loads(setup.stdout.split("SETUP", 1)[1])

        self.web_port = free_port()
        args = [PYTHON, "-m", "gunicorn", "salonbot.wsgi", "-c", "python:salonbot.gunicorn_conf"]
        args += ["--bind", f"127.0.0.1:{self.web_port}", "--workers", str(WEB_WORKERS), "--worker-class", "gthread"]
        args += ["--threads", str(WEB_THREADS), "--graceful-timeout", "5", "--timeout", "120"]
        web = self._spawn("web", args, self.env("web", DB_POOL_MAX_SIZE=POOL_MAX))
        wait_until(
            lambda: web.alive() and httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200,
            seconds=90,
            what="gunicorn answering /healthz",
        )
        args = [PYTHON, "-m", "celery", "-A", "salonbot", "worker", "--loglevel=INFO", "--concurrency=2"]
        args += ["-n", "faults@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        worker = self._spawn("worker", args, self.env("worker"))
        wait_until(lambda: worker.alive() and "ready." in worker.output(), seconds=90, what="worker ready")
        args = [PYTHON, "-m", "celery", "-A", "salonbot", "beat", "--loglevel=INFO"]
        args += ["-s", str(self.workdir / "celerybeat-schedule")]
        beat = self._spawn("beat", args, self.env("beat"))
        wait_until(lambda: beat.alive() and "beat: Starting" in beat.output(), seconds=90, what="beat started")
        return self

    def _spawn(self, name: str, args: list[str], env: dict) -> Process:
        process = Process(name, args, log=self.logs / f"{name}.log", env=env, cwd=self.root)
        self.processes.append(process)
        return process

    def process(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        if self.redis is not None:
            self.redis.stop()
        if self.cluster is not None:
            self.cluster.destroy()
        if self.graph_server is not None and self.graph_server.is_running():
            self.graph_server.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    # --- PostgreSQL -------------------------------------------------------------------------

    def pg_ctl(self, *args: str) -> subprocess.CompletedProcess:
        cluster = self.cluster
        command = [str(cluster.bin / "pg_ctl"), "-D", str(cluster.data), "-l", str(cluster.dir / "postgres.log")]
        return cluster._run(*command, *args, check=True)

    def accepting(self) -> bool:
        try:
            with psycopg.connect(
                host="127.0.0.1", port=self.cluster.port, user="postgres", dbname="salonbot", connect_timeout=1
            ) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def sql(self, statement: str, params=()) -> list[tuple]:
        return self.cluster.sql(statement, params)

    def stop_signal(self, name: str, sig=signal.SIGKILL) -> None:
        os.killpg(self.process(name).pid, sig)

    def wait(self, seconds: float) -> None:
        time.sleep(seconds)
