"""The production shape as local processes: PostgreSQL clusters of our own, Redis, gunicorn, nginx, Celery.

Nothing here touches the machine's shared PostgreSQL (5432) or Redis (6379): each piece runs on a
free port in a temporary directory and is stopped (killed if it must be) and removed afterwards,
also when a test fails. Each process writes to its own log file, which the tests read.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, *, seconds: float = 60.0, every: float = 0.1, what: str = "condition"):
    """Poll `condition` until it returns something truthy; fail after `seconds` (generous: CI is loaded)."""
    deadline = time.monotonic() + seconds
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as exc:  # not up yet
            last_error = exc
        time.sleep(every)
    raise TimeoutError(f"{what} not reached within {seconds:.0f}s (last error: {last_error!r})")


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _as_postgres(args: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root; CI and this machine's sessions are root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def _chown_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


class Process:
    """A child process with its output in a log file."""

    def __init__(self, name: str, args: list[str], *, log: Path, env: dict | None = None, cwd: Path = ROOT):
        self.name = name
        self.log = log
        self._file = open(log, "ab")  # noqa: SIM115 (closed in stop)
        self.popen = subprocess.Popen(
            args, cwd=cwd, env=env, stdout=self._file, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def json_lines(self) -> list[dict]:
        lines = []
        for line in self.output().splitlines():
            if line.startswith("{"):
                with contextlib.suppress(ValueError):
                    lines.append(json.loads(line))
        return lines

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout: float = 20) -> None:
        """`sig` to the leader (gunicorn's master, Celery's main process shut their children down
        cleanly); whatever of its session is left after `timeout` is killed."""
        if self.alive():
            self.popen.send_signal(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)  # its own session: children it left behind too
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(10)
        self._file.close()


class Cluster:
    """A PostgreSQL cluster of our own: trust on 127.0.0.1, WAL for a streaming replica."""

    def __init__(self, directory: Path, port: int | None = None):
        self.dir = directory
        self.data = directory / "data"
        self.port = port or free_port()
        self.bin = pg_bin()

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(_as_postgres(list(args)), capture_output=True, text=True, check=check, timeout=120)

    def init(self) -> Cluster:
        self.dir.mkdir(parents=True, exist_ok=True)
        _chown_postgres(self.dir)
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"
        )
        self._configure(primary=True)
        return self

    def _configure(self, *, primary: bool) -> None:
        settings = {
            "port": self.port,
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.dir}'",
            "max_connections": 200,
            "shared_buffers": "'32MB'",
            "fsync": "off",  # a test cluster: durability is not what is tested
            "full_page_writes": "off",
            "wal_level": "replica",
            "max_wal_senders": 4,
            "hot_standby": "on",
            "logging_collector": "off",
        }
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("\n".join(f"{k} = {v}" for k, v in settings.items()) + "\n")
        if primary:
            (self.data / "pg_hba.conf").write_text(
                "local all all trust\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n"
            )

    def replica_of(self, primary: Cluster) -> Cluster:
        """pg_basebackup of `primary` (streaming, with the standby's recovery settings)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        _chown_postgres(self.dir)
        self._run(
            str(self.bin / "pg_basebackup"),
            *("-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
            *("-D", str(self.data), "--write-recovery-conf", "--wal-method=stream", "--checkpoint=fast"),
        )
        self._configure(primary=False)
        return self

    def start(self) -> Cluster:
        log = self.dir / "postgres.log"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(log), "-w", "-t", "90", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        if self.data.exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, user: str = "postgres", db: str = "salonbot", **params) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"postgres://{user}@127.0.0.1:{self.port}/{db}" + (f"?{query}" if query else "")

    def sql(self, statement: str, params=(), *, db: str = "salonbot", user: str = "postgres") -> list[tuple]:
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=user, dbname=db, autocommit=True, connect_timeout=5
        ) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []


def make_database(cluster: Cluster) -> None:
    """The owner role owns the database and its tables; the app role owns nothing, no BYPASSRLS."""
    cluster.sql("CREATE ROLE salonbot_owner LOGIN", db="postgres")
    cluster.sql("CREATE ROLE salonbot_app LOGIN NOSUPERUSER NOBYPASSRLS", db="postgres")
    cluster.sql("CREATE DATABASE salonbot OWNER salonbot_owner", db="postgres")
    # btree_gist is a trusted extension, but `migrate` finds it simpler to be there already.
    cluster.sql("CREATE EXTENSION IF NOT EXISTS btree_gist")


class Redis:
    def __init__(self, directory: Path):
        self.port = free_port()
        directory.mkdir(parents=True, exist_ok=True)
        self.process = Process(
            "redis",
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            log=directory / "redis.log",
            cwd=directory,
        )
        wait_until(self.ping, seconds=30, what="redis")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    def stop(self) -> None:
        self.process.stop()


def manage(env: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def gunicorn(name: str, env: dict, log_dir: Path, *, workers: int = 2, threads: int = 4) -> tuple[Process, int]:
    port = free_port()
    args = [PYTHON, "-m", "gunicorn", "salonbot.wsgi", "-c", "python:salonbot.gunicorn_conf"]
    args += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "gthread"]
    args += ["--threads", str(threads), "--graceful-timeout", "5"]
    process = Process(name, args, log=log_dir / f"{name}.log", env=env)
    wait_until(
        lambda: process.alive() and httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200,
        seconds=90,
        what=f"{name} answering /healthz",
    )
    return process, port


def celery_worker(name: str, env: dict, log_dir: Path) -> Process:
    args = [PYTHON, "-m", "celery", "-A", "salonbot", "worker", "--loglevel=INFO", "--concurrency=1"]
    args += ["-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    process = Process(name, args, log=log_dir / f"{name}.log", env=env)
    wait_until(lambda: process.alive() and "ready." in process.output(), seconds=90, what=f"{name} ready")
    return process


def make_certificate(directory: Path) -> tuple[Path, Path]:
    subprocess.run([str(ROOT / "scripts/make-local-cert"), str(directory)], check=True, capture_output=True)
    return directory / "fullchain.pem", directory / "privkey.pem"


NGINX_CONF = """
{user}
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 2048; }}
http {{
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    include {root}/deploy/nginx/salonbot/http.conf;
    access_log {prefix}/access.log salonbot_json;
    upstream salonbot_web {{
{servers}
        keepalive 16;
        keepalive_timeout 60s;
    }}
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name localhost;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        include {root}/deploy/nginx/salonbot/server.conf;
    }}
}}
"""


class Nginx:
    """nginx with the repository's proxy rules (deploy/nginx/salonbot/) in front of `upstreams`."""

    def __init__(self, directory: Path, upstreams: list[int]):
        self.dir = directory
        (directory / "tmp").mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.cert, key = make_certificate(directory / "certs")
        conf = NGINX_CONF.format(
            user="user root;" if os.geteuid() == 0 else "",
            prefix=directory,
            root=ROOT,
            servers="\n".join(f"        server 127.0.0.1:{port};" for port in upstreams),
            port=self.port,
            cert=self.cert,
            key=key,
        )
        (directory / "nginx.conf").write_text(conf)
        test = subprocess.run(
            [
                "nginx",
                "-t",
                "-p",
                str(directory),
                "-c",
                str(directory / "nginx.conf"),
                "-e",
                str(directory / "error.log"),
            ],
            capture_output=True,
            text=True,
        )
        assert test.returncode == 0, test.stderr
        self.process = Process(
            "nginx",
            ["nginx", "-p", str(directory), "-c", str(directory / "nginx.conf"), "-e", str(directory / "error.log")],
            log=directory / "nginx.out",
        )
        wait_until(lambda: self.client().get("/healthz").status_code == 200, seconds=30, what="nginx")

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}"

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=self.ssl_context(), timeout=30, **kwargs)

    def access_log(self) -> list[dict]:
        path = self.dir / "access.log"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]

    def stop(self) -> None:
        self.process.stop(signal.SIGQUIT)


def has_nginx() -> bool:
    return shutil.which("nginx") is not None
