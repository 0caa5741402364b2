"""Database connections under 200 concurrent clients: persistent per thread, per request, or psycopg's pool.

Two gunicorn instances shaped like docker-compose.yml's web (3 gthread workers × 8 threads each)
against PostgreSQL (a database of its own on the local server, recreated) and a Redis of their own;
200 client threads alternate between them, each listing bookings (a page of 20) as fast as it can
for `--seconds`. Meanwhile pg_stat_activity is sampled every 50 ms. For each connection mode:

    persistent   CONN_MAX_AGE=60: one connection per gunicorn thread, kept (the default before the pool)
    per-request  CONN_MAX_AGE=0: a new connection for each request, closed after it
    pool         DB_POOL_MAX_SIZE (default 4): at most that many per gunicorn worker, whatever the threads

    .venv/bin/python benchmarks/bench_connections.py [--seconds 15] [--clients 200] [--pool 4]

Prints figures a reader can compare; it is not a test.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.scale import stack  # noqa: E402 (the scale tests' process helpers)

DB = "salonbot_bench_connections"
INSTANCES, WORKERS, THREADS = 2, 3, 8

SETUP = """
from decimal import Decimal
from datetime import timedelta
from django.utils import timezone
from accounts.models import User
from bookings.models import Booking
from salons.models import Salon, Master, Service
from rest_framework_simplejwt.tokens import RefreshToken
owner = User.objects.create_user("conn@example.com", "bench-pass-123")
salon = Salon.objects.create(owner=owner, name="Connections", timezone="Europe/Berlin")
master = Master.objects.create(salon=salon, name="M")
start = timezone.now() + timedelta(days=1)
Booking.objects.bulk_create(
    Booking(salon=salon, master=master, start_ts=start + timedelta(hours=i),
            end_ts=start + timedelta(hours=i, minutes=30),
            customer_name="C", customer_phone="+491701234567", code=f"BENCH{i:03d}")
    for i in range(200)
)
print(RefreshToken.for_user(owner).access_token)
"""


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)


def run_mode(name: str, extra: dict, env_base: dict, token: str, args, logs: Path) -> str:
    processes, ports = [], []
    try:
        for i in range(INSTANCES):
            env = {**env_base, **extra}
            env["DATABASE_URL"] = f"{env_base['DATABASE_URL']}?application_name=bench-{name}-{i}"
            process, port = stack.gunicorn(f"{name}-{i}", env, logs, workers=WORKERS, threads=THREADS)
            processes.append(process)
            ports.append(port)
        peak, samples = Counter(), []
        stop = threading.Event()

        def sample():
            with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True) as conn:
                while not stop.is_set():
                    (count,) = conn.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name LIKE %s",
                        [DB, f"bench-{name}-%"],
                    ).fetchone()
                    samples.append(count)
                    peak["all"] = max(peak["all"], count)
                    time.sleep(0.05)

        latencies, statuses = [], Counter()
        lock = threading.Lock()
        deadline = time.monotonic() + args.seconds
        barrier = threading.Barrier(args.clients)

        def client(n: int):
            url = f"http://127.0.0.1:{ports[n % INSTANCES]}/api/bookings"
            with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
                barrier.wait(120)
                while time.monotonic() < deadline:
                    t0 = time.perf_counter()
                    try:
                        code = http.get(url).status_code
                    except httpx.HTTPError:
                        code = 0
                    with lock:
                        latencies.append(time.perf_counter() - t0)
                        statuses[code] += 1

        sampler = threading.Thread(target=sample)
        sampler.start()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        stop.set()
        sampler.join()
        lat = sorted(latencies)
        busy = [s for s in samples if s] or [0]
        return (
            f"{name:12} peak connections {peak['all']:3d} (median while loaded {statistics.median(busy):.0f}); "
            f"{sum(statuses.values()) / elapsed:6.1f} req/s; p50 {statistics.median(lat) * 1000:6.1f} ms, "
            f"p95 {lat[int(len(lat) * 0.95)] * 1000:7.1f} ms; answers {dict(statuses)}"
        )
    finally:
        for process in processes:
            process.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--pool", type=int, default=4)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="salonbot-bench-conn-"))
    redis = stack.Redis(work / "redis")
    psql(f"DROP DATABASE IF EXISTS {DB}")
    psql(f"CREATE DATABASE {DB}")
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
        "REDIS_URL": redis.url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "c" * 60,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "RATELIMIT_ENABLE": "0",
        "LOG_LEVEL": "WARNING",
        "SALONBOT_VAR_DIR": str(work / "var"),
    }
    try:
        assert stack.manage(env, "migrate", "-v0").returncode == 0
        token = stack.manage(env, "shell", "-c", SETUP).stdout.strip().splitlines()[-1]
        print(
            f"{args.clients} clients listing bookings for {args.seconds:.0f}s against {INSTANCES} gunicorn instances "
            f"× {WORKERS} gthread workers × {THREADS} threads (upper bound without a pool: "
            f"{INSTANCES * WORKERS * THREADS} connections)"
        )
        modes = [
            ("persistent", {"DB_CONN_MAX_AGE": "60"}),
            ("per-request", {"DB_CONN_MAX_AGE": "0"}),
            ("pool", {"DB_POOL_MAX_SIZE": str(args.pool), "DB_POOL_MIN_SIZE": "1"}),
        ]
        for name, extra in modes:
            print(run_mode(name, extra, env, token, args, work), flush=True)
        print(f"pool bound: {INSTANCES} × {WORKERS} × DB_POOL_MAX_SIZE {args.pool} = {INSTANCES * WORKERS * args.pool}")
    finally:
        redis.stop()
        psql(f"DROP DATABASE IF EXISTS {DB}")
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    sys.exit(main())
