"""Lists at scale: an owner's first page of bookings, conversations and customers among 10,000 salons.

    .venv/bin/python benchmarks/bench_lists.py [--salons 10000] [--bookings 1000000] [--requests 300]

A database of its own (dropped afterwards unless --keep), seeded with SQL: --salons owners with a
salon each, --bookings bookings spread evenly over them and two years, 20 customers and 10
conversations per salon; VACUUM ANALYZE. Then gunicorn (1 worker, sequential requests, so the
figure is server time plus one loopback round trip) answers, for one owner in the middle:

- GET /api/bookings, /api/conversations, /api/customers (first page, 20 rows, with `count`);
- beside each, the baseline: a hand-written view running the one query of that page
  (benchmarks/lists_urls.py), and GET /healthz for the HTTP floor;
- the queries each API list ran (in-process, Django's test client), printed.

Prints figures a reader can compare; it is not a test.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DB = "salonbot_bench_lists"
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q"]
ENV = {
    **os.environ,
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"),
    "DEBUG": "0",
    "SECRET_KEY": "bench-" + "x" * 60,
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "0",
    "API_RATE_LIMIT": "100000000/m",
    "LOG_LEVEL": "WARNING",
    "SALONBOT_VAR_DIR": "/tmp/salonbot_bench_lists_var",
    "DJANGO_SETTINGS_MODULE": "benchmarks.lists_settings",
}

SEED = """
INSERT INTO accounts_user (id, password, is_superuser, email, first_name, last_name, role, is_active, is_staff,
                           date_joined, created_at, updated_at)
SELECT md5('owner' || n)::uuid, '!', false, 'owner' || n || '@bench.test', 'Owner', n::text, 'SALON_OWNER', true,
       true, now(), now(), now()
FROM generate_series(1, %(salons)s) AS n;

INSERT INTO salons_salon (id, owner_id, name, timezone, language, currency, phone, address, is_active,
                          slot_interval_minutes, min_notice_minutes, max_advance_days, reminder_offsets_minutes,
                          max_bookings_per_month, max_messages_per_month, max_masters, hold_minutes,
                          created_at, updated_at)
SELECT md5('salon' || n)::uuid, md5('owner' || n)::uuid, 'Salon ' || n, 'Europe/Berlin', 'en', 'EUR', '', '', true,
       15, 60, 60, '[1440, 120]', 100000, 100000, 20, 5, now(), now()
FROM generate_series(1, %(salons)s) AS n;

INSERT INTO salons_customer (id, salon_id, phone, name, email, wa_id, name_confirmed, created_at, updated_at)
SELECT md5('customer' || s || '-' || c)::uuid, md5('salon' || s)::uuid, '+49170' || lpad((s * 20 + c)::text, 7, '0'),
       'Customer ' || c, '', '', true, now() - (c || ' days')::interval, now()
FROM generate_series(1, %(salons)s) AS s, generate_series(1, 20) AS c;

INSERT INTO messaging_conversation (id, salon_id, customer_id, wa_id, status, bot_state, bot_paused,
                                    last_inbound_at, last_message_at, created_at, updated_at)
SELECT gen_random_uuid(), md5('salon' || s)::uuid, md5('customer' || s || '-' || c)::uuid,
       '49170' || lpad((s * 20 + c)::text, 7, '0'), 'OPEN', '{}', false,
       now() - (c || ' hours')::interval, now() - (c || ' hours')::interval, now(), now()
FROM generate_series(1, %(salons)s) AS s, generate_series(1, 10) AS c;

INSERT INTO bookings_booking (id, salon_id, customer_id, customer_name, customer_phone, start_ts, end_ts, status,
                              code, price, source, notes, cancellation_reason, outside_working_hours,
                              created_at, updated_at)
SELECT gen_random_uuid(), md5('salon' || (1 + i %% %(salons)s))::uuid,
       md5('customer' || (1 + i %% %(salons)s) || '-' || (1 + i %% 20))::uuid, 'Customer', '+491701234567',
       t.start_ts, t.start_ts + interval '1 hour', CASE WHEN t.start_ts > now() THEN 'CONFIRMED' ELSE 'COMPLETED' END,
       'B' || lpad(to_hex(i), 7, '0'), 30, 'api', '', '', false, t.start_ts - interval '3 days', now()
FROM generate_series(1, %(bookings)s) AS i,
     LATERAL (SELECT now() - interval '700 days' + (i::float / %(bookings)s) * interval '730 days' AS start_ts) AS t;
"""


def psql(sql: str, db: str = "postgres") -> None:
    subprocess.run([*PSQL, "-d", db, "-c", sql], check=True)


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"p50 {statistics.median(ordered) * 1000:6.2f} ms  p95 {p95 * 1000:6.2f} ms"


def timed(client: httpx.Client, path: str, requests: int) -> list[float]:
    for _ in range(20):  # warm the worker's code paths and PostgreSQL's buffers
        client.get(path)
    samples = []
    for _ in range(requests):
        t0 = time.perf_counter()
        response = client.get(path)
        samples.append(time.perf_counter() - t0)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--salons", type=int, default=10_000)
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use the database a --keep run left (no seeding)")
    args = parser.parse_args()
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))

    if not args.reuse:
        psql(f"DROP DATABASE IF EXISTS {DB}")
        psql(f"CREATE DATABASE {DB}")
    server = None
    try:
        subprocess.run([".venv/bin/python", "manage.py", "migrate", "-v0"], cwd=ROOT, env=ENV, check=True)
        if not args.reuse:
            t0 = time.perf_counter()
            subprocess.run(
                [*PSQL, "-d", DB, "-c", SEED % {"salons": args.salons, "bookings": args.bookings}], check=True
            )
            psql("VACUUM ANALYZE", DB)
            print(f"seeded {args.salons:,} salons, {args.bookings:,} bookings in {time.perf_counter() - t0:.0f} s")

        import django

        django.setup()
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from rest_framework_simplejwt.tokens import RefreshToken

        from accounts.models import User

        owner = User.objects.get(email=f"owner{args.salons // 2}@bench.test")
        salon_ids = [str(pk) for pk in owner.salons.values_list("pk", flat=True)]
        token = str(RefreshToken.for_user(owner).access_token)
        auth = {"Authorization": f"Bearer {token}"}
        lists = ["/api/bookings", "/api/conversations", "/api/customers"]

        client = Client(HTTP_AUTHORIZATION=auth["Authorization"])
        for path in lists:
            client.get(path)
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(path).status_code == 200
            print(f"{path}: {len(ctx.captured_queries)} queries")
            for query in ctx.captured_queries:
                print(f"    {query['time']}s  {query['sql'][:150]}")
        connection.close()

        port = 18000 + os.getpid() % 1000
        server = subprocess.Popen(
            [".venv/bin/gunicorn", "salonbot.wsgi", "-w", "1", "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=ROOT,
            env=ENV,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        query = "&".join(f"salon={pk}" for pk in salon_ids)
        print(f"\nowner of 1 salon among {args.salons:,}; {args.requests} sequential requests each (gunicorn -w 1)")
        with httpx.Client(base_url=base, headers=auth, timeout=30) as http:
            print(f"  {'GET /healthz (HTTP floor)':<48} {summary(timed(http, '/healthz', args.requests))}")
            for path in lists:
                name = path.rsplit("/", 1)[1]
                print(f"  {'GET ' + path:<48} {summary(timed(http, path, args.requests))}")
                baseline = f"/bench/{name}?{query}"
                print(f"  {'  baseline: one query, by hand':<48} {summary(timed(http, baseline, args.requests))}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        if not args.keep:
            from django.db import connections

            connections.close_all()
            psql(f"DROP DATABASE IF EXISTS {DB}")


if __name__ == "__main__":
    main()
