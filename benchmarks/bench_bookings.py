"""Booking create through HTTP beside its ceiling: the same transaction as raw SQL through pgbench, one run.

    .venv/bin/python benchmarks/bench_bookings.py [--seconds 10] [--rounds 3] [--clients 32] [--rows 100000]

    # before and after in one sitting: main's code and this checkout's, phases alternating
    git worktree add /tmp/before14 main && ln -s $PWD/.venv /tmp/before14/.venv
    .venv/bin/python benchmarks/bench_bookings.py --app-root /tmp/before14 --app-root .

HTTP: gunicorn in the compose shape (3 gthread workers × 8 threads, a pool of 4 connections per
worker, connected as an app role under row-level security) and a Celery worker (-c 4), 32 asyncio
clients on this machine posting `/api/bookings` for a random master of 20 and a random 30-minute
slot (mostly free, some clashes, 409), customers drawn from 5,000 phones (new and known ones).

Ceiling: pgbench, 32 clients, the transaction the service runs, written by hand — lock the master
(read with its salon and service), check the interval (bookings, holds, time off), upsert the
customer, insert the booking under the exclusion constraint, its event and two reminders, bump the
month's counter — as the same app role, in the same tenant scope, on the same data, right after.

Prints HTTP creates/s and attempts/s with p50/p95, pgbench tx/s and inserts/s, the ratio of the
two creates/s, and the overlap check (active bookings of one master that overlap: must be 0).
The list latency at `--rows` bookings follows (0 skips it). A database of its own, dropped after.
Figures to compare, not a test.
"""

import argparse
import asyncio
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent.parent
DB = "salonbot_bench_create"
APP_ROLE = "salonbot_bench_create_app"
PHONES = 5000
STATUSES = "('CONFIRMED', 'IN_PROGRESS')"


def env_for(root: Path) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9"),
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "x" * 60,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "API_RATE_LIMIT": "100000000/m",
        "LOG_LEVEL": "WARNING",
        "SALONBOT_VAR_DIR": str(root / "var" / "bench-create"),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(sql: str, db: str = "postgres") -> str:
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-qAtc", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


SETUP = """
from decimal import Decimal
from accounts.models import User
from salons.models import Salon, Master, Service
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
print(owner.pk, salon.pk, service.pk, ",".join(str(m.pk) for m in masters), RefreshToken.for_user(owner).access_token)
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


def manage_shell(root: Path, code: str) -> str:
    out = subprocess.run(
        [".venv/bin/python", "manage.py", "shell", "-c", code],
        cwd=root,
        env=env_for(root),
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def phone(n: int) -> str:
    return f"+49170{n:07d}"


# The service's transaction, by hand. pgbench substitutes :variables as text; the random master is
# picked from the literal array of the 20 ids, the start from the slot number.
PGBENCH_SCRIPT = """
\\set m random(1, 20)
\\set slot random(0, {slots})
\\set p random(0, {phones})
BEGIN;
SELECT m.id, m.working_hours, m.is_active, s.id, s.is_active, s.timezone, s.reminder_offsets_minutes,
       s.max_bookings_per_month, sv.id, sv.duration_minutes, sv.price, sv.is_active
  FROM salons_master_services ms
  JOIN salons_master m ON m.id = ms.master_id JOIN salons_salon s ON s.id = m.salon_id
  JOIN salons_service sv ON sv.id = ms.service_id
 WHERE ms.master_id = ({masters})[:m] AND ms.service_id = '{service}' AND m.salon_id = '{salon}'
   AND sv.salon_id = '{salon}' AND s.owner_id = '{owner}'
 LIMIT 1 FOR UPDATE OF m;
SELECT count(*) AS busy FROM (
  SELECT 1 FROM bookings_booking WHERE master_id = ({masters})[:m] AND status IN {statuses}
     AND end_ts > {start} AND start_ts < {end}
  UNION ALL SELECT 1 FROM bookings_slothold WHERE master_id = ({masters})[:m] AND expires_at > now()
     AND end_ts > {start} AND start_ts < {end}
  UNION ALL SELECT 1 FROM salons_mastertimeoff WHERE master_id = ({masters})[:m]
     AND end_ts > {start} AND start_ts < {end}
) b \\gset
\\if :busy = 0
WITH new AS (
  INSERT INTO salons_customer (created_at, updated_at, id, salon_id, phone, name, email, wa_id, name_confirmed)
  VALUES (now(), now(), gen_random_uuid(), '{salon}', '+49170' || lpad(:p::text, 7, '0'), 'Bench', '', '', false)
  ON CONFLICT (salon_id, phone) DO NOTHING RETURNING id
) SELECT id FROM new
  UNION ALL SELECT id FROM salons_customer WHERE salon_id = '{salon}' AND phone = '+49170' || lpad(:p::text, 7, '0');
INSERT INTO bookings_booking (created_at, updated_at, id, salon_id, master_id, service_id, customer_id, customer_name,
  customer_phone, start_ts, end_ts, status, code, price, source, notes, cancellation_reason, outside_working_hours,
  created_by_id)
VALUES (now(), now(), gen_random_uuid(), '{salon}', ({masters})[:m], '{service}',
  (SELECT id FROM salons_customer WHERE salon_id = '{salon}' AND phone = '+49170' || lpad(:p::text, 7, '0')), 'Bench',
  '+49170' || lpad(:p::text, 7, '0'), {start}, {end}, 'CONFIRMED',
  left(translate(encode(decode(md5(random()::text), 'hex'), 'base64'), '+/=', 'XYZ'), 8), 30, 'api', '', '', false,
  '{owner}')
RETURNING id AS booking \\gset
INSERT INTO bookings_bookingevent (id, salon_id, booking_id, actor_id, actor_kind, event, from_status, to_status,
  changes, reason, created_at, updated_at)
VALUES (gen_random_uuid(), '{salon}', ':booking'::uuid, '{owner}', 'user', 'created', '', 'CONFIRMED',
  '{{}}'::jsonb, '', now(), now());
INSERT INTO bookings_reminder (created_at, updated_at, id, salon_id, booking_id, offset_minutes, scheduled_at, status,
  attempts, queued_at, sent_at, last_error, message_id)
SELECT now(), now(), gen_random_uuid(), '{salon}', ':booking'::uuid, o, {start} - o * interval '1 minute', 'PENDING',
  0, NULL, NULL, '', NULL FROM unnest(ARRAY[1440, 120]) o;
INSERT INTO salons_usagecounter (created_at, updated_at, id, salon_id, period, bookings, messages)
VALUES (now(), now(), gen_random_uuid(), '{salon}', date_trunc('month', now())::date, 1, 0)
ON CONFLICT (salon_id, period) DO UPDATE SET bookings = salons_usagecounter.bookings + 1, updated_at = now()
WHERE salons_usagecounter.bookings < 1000000000 RETURNING bookings;
\\endif
COMMIT;
"""


def pgbench_phase(ids: dict, base: datetime, args) -> dict:
    masters = "ARRAY[" + ",".join(f"'{m}'::uuid" for m in ids["masters"]) + "]"
    start = f"(timestamptz '{base.isoformat()}' + :slot * interval '30 minutes')"
    script = PGBENCH_SCRIPT.format(
        slots=args.days * 48 - 1,
        phones=PHONES - 1,
        masters=masters,
        service=ids["service"],
        salon=ids["salon"],
        owner=ids["owner"],
        statuses=STATUSES,
        start=start,
        end=f"({start} + interval '30 minutes')",
    )
    before = int(psql("SELECT count(*) FROM bookings_booking", DB))
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as f:
        f.write(script)
        f.flush()
        # Connected like the app: its role (row-level security applies) in the owner's scope.
        options = f"-c role={APP_ROLE} -c salonbot.owner_id={ids['owner']}"
        out = subprocess.run(
            [
                "pgbench",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-n",
                "-f",
                f.name,
                "-c",
                str(args.clients),
                "-j",
                "2",
                "-T",
                str(int(args.seconds)),
                DB,
            ],
            env={**os.environ, "PGOPTIONS": options},
            capture_output=True,
            text=True,
        )
    if out.returncode:  # a client that hit an error stops; the rest run on, and say so here
        print(f"  pgbench: {out.stderr.strip().splitlines()[-3:]}")
    out = out.stdout
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    inserted = int(psql("SELECT count(*) FROM bookings_booking", DB)) - before
    return {"inserted": inserted, "seconds": args.seconds, "transactions": tps * args.seconds}


def start_gunicorn(root: Path) -> tuple[subprocess.Popen, str]:
    env = {**env_for(root), "DB_POOL_MAX_SIZE": "4", "PGOPTIONS": f"-c role={APP_ROLE}"}
    port = free_port()
    server = subprocess.Popen(
        [
            ".venv/bin/gunicorn",
            "salonbot.wsgi",
            "-c",
            "python:salonbot.gunicorn_conf",
            "-b",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--worker-class",
            "gthread",
            "--threads",
            "8",
            "--log-level",
            "warning",
        ],
        cwd=root,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return server, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def start_worker(root: Path) -> subprocess.Popen:
    env = {**env_for(root), "PGOPTIONS": f"-c role={APP_ROLE}"}  # libpq: every connection as the app role
    return subprocess.Popen(
        [
            ".venv/bin/celery",
            "-A",
            "salonbot",
            "worker",
            "-c",
            "4",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=root,
        env=env,
    )


async def http_phase(url: str, ids: dict, base: datetime, args) -> dict:
    headers = {"Authorization": f"Bearer {ids['token']}"}
    codes: dict[int, int] = {}
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)

    async def client(n: int, http: httpx.AsyncClient, stop_at: float) -> None:
        rnd = random.Random(n)
        while time.monotonic() < stop_at:
            start = base + timedelta(minutes=30 * rnd.randrange(args.days * 48))
            body = {
                "salon_id": ids["salon"],
                "master_id": rnd.choice(ids["masters"]),
                "service_id": ids["service"],
                "customer_name": "Bench",
                "customer_phone": phone(rnd.randrange(PHONES)),
                "start_ts": start.isoformat(),
            }
            t0 = time.perf_counter()
            code = (await http.post("/api/bookings", json=body)).status_code
            latencies.append(time.perf_counter() - t0)
            codes[code] = codes.get(code, 0) + 1

    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits) as http:
        await asyncio.gather(*(client(1000 + n, http, time.monotonic() + 2) for n in range(args.clients)))  # warm-up
        codes.clear()
        latencies.clear()
        t0 = time.monotonic()
        await asyncio.gather(*(client(n, http, t0 + args.seconds) for n in range(args.clients)))
        elapsed = time.monotonic() - t0
    return {"codes": codes, "latencies": latencies, "seconds": elapsed}


def overlaps() -> int:
    return int(
        psql(
            "SELECT count(*) FROM bookings_booking a JOIN bookings_booking b ON a.master_id = b.master_id "
            f"AND a.id < b.id AND a.start_ts < b.end_ts AND b.start_ts < a.end_ts "
            f"WHERE a.status IN {STATUSES} AND b.status IN {STATUSES}",
            DB,
        )
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
            samples.sort()
            lines.append(
                f"list {path} with {total} bookings: p50={statistics.median(samples) * 1000:.1f}ms "
                f"p95={samples[int(len(samples) * 0.95)] * 1000:.1f}ms (200 sequential requests, page 20)"
            )
    return lines


def drain_broker(root: Path) -> None:
    import redis

    client = redis.Redis.from_url(env_for(root)["REDIS_URL"])
    client.delete("celery", *client.keys("_kombu.binding.*"), *client.keys("unacked*"))


def http_summary(runs: list[dict]) -> tuple[str, float]:
    seconds = sum(r["seconds"] for r in runs)
    codes: dict[int, int] = {}
    for r in runs:
        for code, n in r["codes"].items():
            codes[code] = codes.get(code, 0) + n
    lat = sorted(x for r in runs for x in r["latencies"])
    created = codes.get(201, 0)
    other = sum(n for code, n in codes.items() if code not in (201, 409))
    p50, p95 = statistics.median(lat) * 1000, lat[int(len(lat) * 0.95)] * 1000
    line = (
        f"HTTP /api/bookings: {created / seconds:7.1f} bookings/s  ({len(lat) / seconds:.1f} requests/s; "
        f"201={created} 409={codes.get(409, 0)} other={other}); latency p50={p50:.0f}ms p95={p95:.0f}ms"
    )
    return line, created / seconds


def wait_for_empty_queue(root: Path, timeout: float = 120) -> None:
    """The worker's share of a create (the confirmation task) is done before the next phase starts."""
    import redis

    client = redis.Redis.from_url(env_for(root)["REDIS_URL"])
    deadline = time.monotonic() + timeout
    while client.llen("celery") and time.monotonic() < deadline:
        time.sleep(0.2)


def main():
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10, help="per phase")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--days", type=int, default=20, help="width of the window the random slots fall in")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (HTTP per checkout, then pgbench)")
    parser.add_argument("--rows", type=int, default=0, help="bookings to seed for the list latency (0: skip)")
    parser.add_argument(
        "--app-root",
        type=Path,
        action="append",
        help="a checkout whose code serves HTTP (repeat to compare: e.g. a `git worktree` of main, then this one); "
        "their phases alternate round by round, so the machine's drifting load falls on all alike",
    )
    args = parser.parse_args()
    roots = [r.resolve() for r in (args.app_root or [HERE])]

    psql(f"DROP DATABASE IF EXISTS {DB}")
    psql(f"CREATE DATABASE {DB}")
    psql(f"DO $$ BEGIN CREATE ROLE {APP_ROLE} NOLOGIN NOBYPASSRLS; EXCEPTION WHEN duplicate_object THEN END $$")
    drain_broker(roots[0])
    servers: dict[Path, tuple] = {}
    worker = None
    try:
        subprocess.run(
            [".venv/bin/python", "manage.py", "migrate", "-v0"],
            cwd=roots[0],
            env={**env_for(roots[0]), "DATABASE_APP_ROLE": APP_ROLE},
            check=True,
        )
        owner, salon, service, masters, token = manage_shell(roots[0], SETUP).split()
        ids = {"owner": owner, "salon": salon, "service": service, "masters": masters.split(","), "token": token}
        print(
            f"create: {args.clients} clients, 20 masters, {args.days}-day window, {args.rounds} rounds of "
            f"{args.seconds:.0f}s per phase; gunicorn 3 gthread workers x 8 threads, pool 4/worker, app role (RLS), "
            "celery worker -c 4; pgbench 32 clients, same role and scope"
        )
        for root in roots:
            servers[root] = start_gunicorn(root)
        http_runs: dict[Path, list] = {root: [] for root in roots}
        pg_runs = []
        base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
        windows = (base + timedelta(days=args.days * n) for n in range(10_000))  # each phase its own: as many clashes
        for _ in range(args.rounds):
            for root in roots:
                worker = start_worker(root)
                http_runs[root].append(asyncio.run(http_phase(servers[root][1], ids, next(windows), args)))
                wait_for_empty_queue(root)
                worker.terminate()
                worker.wait(30)
                worker = None
            pg_runs.append(pgbench_phase(ids, next(windows), args))
        pg_rate = sum(r["inserted"] for r in pg_runs) / sum(r["seconds"] for r in pg_runs)
        pg_tps = sum(r["transactions"] for r in pg_runs) / sum(r["seconds"] for r in pg_runs)
        print(f"  pgbench ceiling (the same transaction as raw SQL): {pg_rate:7.1f} bookings/s ({pg_tps:.1f} tx/s)")
        for root in roots:
            commit = subprocess.run(["git", "log", "-1", "--format=%h %s"], cwd=root, capture_output=True, text=True)
            line, rate = http_summary(http_runs[root])
            print(f"  code {root} ({commit.stdout.strip()[:60]})")
            print(f"    {line}")
            print(f"    HTTP creates are {rate / pg_rate:.1%} of the raw-SQL ceiling measured in this run")
        print(f"  overlapping active bookings of one master: {overlaps()}")

        if args.rows:
            total = manage_shell(roots[-1], SEED.format(rows=args.rows))
            psql("ANALYZE", DB)
            for line in list_phase(servers[roots[-1]][1], token, salon, total):
                print(f"  {line}")
    finally:
        for process in [worker, *(server for server, _url in servers.values())]:
            if process is not None:
                process.terminate()
                process.wait(30)
        drain_broker(roots[0])
        psql(f"DROP DATABASE IF EXISTS {DB}")  # the role's privileges go with it
        psql(f"DROP ROLE IF EXISTS {APP_ROLE}")


if __name__ == "__main__":
    sys.exit(main())
