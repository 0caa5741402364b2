"""Bookings benchmark: creates/s with 32 concurrent clients over 20 masters, and list latency at 100k rows.

Runs against gunicorn on PostgreSQL (a database of its own, recreated):

    .venv/bin/python benchmarks/bench_bookings.py [--seconds 20] [--rows 100000] [--rls both|on|off]

Row-level security: "off" connects as the superuser (PostgreSQL exempts it from every policy, as the
app was before), "on" as a role like production's app role (no BYPASSRLS; here a NOLOGIN role the
superuser assumes with SET ROLE, dropped afterwards). "both" (the default) measures the two in the
same run, on the same data, alternating (--rounds, 2 by default).

Prints figures a reader can compare; it is not a test.
"""

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DB = "salonbot_bench"
ENV = {
    **os.environ,
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
    "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9"),
    "DEBUG": "0",
    "SECRET_KEY": "bench-" + "x" * 60,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "API_RATE_LIMIT": "100000000/m",
    "LOG_LEVEL": "WARNING",
}


def sh(*args, env=None, **kw):
    return subprocess.run(args, check=True, cwd=ROOT, env=env or ENV, **kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SETUP = """
import sys
from datetime import timedelta, datetime, UTC
from decimal import Decimal
from accounts.models import User
from salons.models import Salon, Master, Service
from bookings.models import Booking
from rest_framework_simplejwt.tokens import RefreshToken
owner = User.objects.create_user("bench@example.com", "bench-pass-123")
salon = Salon.objects.create(owner=owner, name="Bench", timezone="Europe/Berlin",
    max_bookings_per_month=10**9, max_masters=100, reminder_offsets_minutes=[1440, 120])
service = Service.objects.create(salon=salon, name="Cut", duration_minutes=30, price=Decimal("30"))
day = {"enabled": True, "start": "00:00", "end": "23:59"}
week = {d: day for d in ("monday","tuesday","wednesday","thursday","friday","saturday","sunday")}
masters = [Master.objects.create(salon=salon, name=f"M{i:02d}", working_hours=week) for i in range(20)]
for m in masters:
    m.services.add(service)
print(salon.pk, service.pk, ",".join(str(m.pk) for m in masters), str(RefreshToken.for_user(owner).access_token))
"""

SEED = """
from datetime import timedelta, datetime, UTC
from bookings.models import Booking
from salons.models import Master
rows = int({rows})
masters = list(Master.objects.order_by("name"))
base = datetime(2020, 1, 1, tzinfo=UTC)
batch = []
for i in range(rows):
    m = masters[i % len(masters)]
    start = base + timedelta(hours=i // len(masters))
    batch.append(Booking(salon_id=m.salon_id, master=m, start_ts=start, end_ts=start + timedelta(minutes=30),
                         customer_name=f"Seed {{i}}", customer_phone="+491701234567", price=30))
    if len(batch) == 5000:
        Booking.objects.bulk_create(batch); batch = []
Booking.objects.bulk_create(batch)
print(Booking.objects.count())
"""


def manage_shell(code: str) -> str:
    out = subprocess.run(
        [".venv/bin/python", "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=ENV,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


APP_ROLE = "salonbot_bench_app"


def psql(sql: str, db: str = "postgres") -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-qc", sql], check=True)


def start_gunicorn(workers: int, rls: bool) -> tuple[subprocess.Popen, str]:
    env = dict(ENV)
    if rls:
        env["DATABASE_URL"] = f"{ENV['DATABASE_URL']}?assume_role={APP_ROLE}"
    port = free_port()
    server = subprocess.Popen(
        [
            ".venv/bin/gunicorn",
            "salonbot.wsgi",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    return server, url


def create_phase(url, token, salon_id, service_id, master_ids, args, base) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    created, conflicts, errors, latencies = [0], [0], [0], []
    lock = threading.Lock()
    stop_at = time.monotonic() + args.seconds

    def client(n: int):
        rnd = random.Random(n)
        with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
            while time.monotonic() < stop_at:
                # Random master and 30-minute slot in a 20-day window: mostly free, some clashes.
                start = base + timedelta(minutes=30 * rnd.randrange(20 * 48))
                body = {
                    "salon_id": salon_id,
                    "master_id": rnd.choice(master_ids),
                    "service_id": service_id,
                    "customer_name": "Bench",
                    "customer_phone": "+491701234567",
                    "start_ts": start.isoformat(),
                }
                t0 = time.perf_counter()
                code = http.post("/api/bookings", json=body).status_code
                dt = time.perf_counter() - t0
                with lock:
                    latencies.append(dt)
                    if code == 201:
                        created[0] += 1
                    elif code == 409:
                        conflicts[0] += 1
                    else:
                        errors[0] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    lat = sorted(latencies)
    return (
        f"bookings created/s: {created[0] / elapsed:.1f}  (201={created[0]} 409={conflicts[0]} other={errors[0]}); "
        f"latency p50={statistics.median(lat) * 1000:.1f}ms p95={lat[int(len(lat) * 0.95)] * 1000:.1f}ms"
    )


def list_phase(url, token, salon_id, total) -> list[str]:
    lines = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        for path in (
            "/api/bookings",
            f"/api/bookings?salon_id={salon_id}&status=CONFIRMED&date_from=2020-03-01&date_to=2020-03-31",
        ):
            samples = []
            for _ in range(200):
                t0 = time.perf_counter()
                response = http.get(path)
                samples.append(time.perf_counter() - t0)
                assert response.status_code == 200, response.text
            if path == "/api/bookings":
                assert response.json()["count"] > 0  # under RLS too: the owner's scope sees the rows
            samples.sort()
            lines.append(
                f"list {path} with {total} bookings: p50={statistics.median(samples) * 1000:.1f}ms "
                f"p95={samples[int(len(samples) * 0.95)] * 1000:.1f}ms (200 sequential requests, page 20)"
            )
    return lines


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--rls", choices=["both", "on", "off"], default="both")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    modes = {"both": [False, True], "on": [True], "off": [False]}[args.rls]
    label = {False: "RLS off (superuser)", True: "RLS on (app role)"}

    psql(f"DROP DATABASE IF EXISTS {DB}")
    psql(f"CREATE DATABASE {DB}")
    if True in modes:
        psql(f"DO $$ BEGIN CREATE ROLE {APP_ROLE} NOLOGIN NOBYPASSRLS; EXCEPTION WHEN duplicate_object THEN END $$")
    try:
        grants = {"DATABASE_APP_ROLE": APP_ROLE} if True in modes else {}
        sh(".venv/bin/python", "manage.py", "migrate", "-v0", env={**ENV, **grants})
        salon_id, service_id, master_ids, token = manage_shell(SETUP).split()
        master_ids = master_ids.split(",")
        base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)

        print(f"create: {args.clients} clients, 20 masters, {args.seconds:.0f}s each, gunicorn -w {args.workers}")
        # Modes alternate, round after round: a shared machine's load drifts, and drift is not RLS.
        runs = [rls for _ in range(args.rounds) for rls in modes]
        for n, rls in enumerate(runs):
            server, url = start_gunicorn(args.workers, rls)
            window = base + timedelta(days=30 * n)  # each run in its own 20-day window: as many clashes
            try:
                print(f"  {label[rls]:20} {create_phase(url, token, salon_id, service_id, master_ids, args, window)}")
            finally:
                server.terminate()
                server.wait(10)

        total = manage_shell(SEED.format(rows=args.rows))
        psql("ANALYZE", db=DB)
        for rls in runs:
            server, url = start_gunicorn(args.workers, rls)
            try:
                for line in list_phase(url, token, salon_id, total):
                    print(f"  {label[rls]:20} {line}")
            finally:
                server.terminate()
                server.wait(10)
    finally:
        psql(f"DROP DATABASE IF EXISTS {DB}")  # the role's privileges go with it
        if True in modes:
            psql(f"DROP ROLE IF EXISTS {APP_ROLE}")


if __name__ == "__main__":
    sys.exit(main())
