"""Dashboard benchmark: a cache hit next to a bare cache.get, and a miss over 1,000,000 bookings.

Runs on PostgreSQL and Redis, in a database of its own (created, then dropped unless --keep):

    .venv/bin/python benchmarks/bench_dashboard.py [--rows 1000000] [--other-rows 200000] [--messages 300000]

Seeds with generate_series SQL (not the ORM): bookings over three years back and two months
ahead, and messages over 90 days in --conversations conversations; VACUUM ANALYZEs as autovacuum
eventually would; then times, in this process (server time, no HTTP):

- hit:  `selectors.cached_salon_dashboard(salon)` against `cache.get(<the same entry key>)`;
- miss: `selectors.salon_dashboard(salon)` (every query of a recomputation) for the salon with
  `--rows` bookings, with EXPLAIN ANALYZE of each query so the plans and indexes are on record;
- for context, a whole GET /api/analytics/dashboard hit through Django's test client.

Prints figures a reader can compare; it is not a test.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = "salonbot_bench_dashboard"
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q"]

os.environ.update(
    {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10"),
        "DJANGO_SETTINGS_MODULE": "salonbot.settings",
        "API_RATE_LIMIT": "100000000/m",
        "LOG_LEVEL": "WARNING",
        "SALONBOT_VAR_DIR": "/tmp/salonbot_bench_dashboard_var",
    }
)
sys.path.insert(0, str(ROOT))

# Spread over three years back and two months ahead, in the mix a salon really has.
SEED = """
INSERT INTO bookings_booking (id, salon_id, customer_name, customer_phone, start_ts, end_ts, status, code,
                              price, source, notes, cancellation_reason, created_at, updated_at)
SELECT gen_random_uuid(), %(salon)s, 'Seed', '+491701234567', s.start_ts, s.start_ts + interval '1 hour',
       CASE WHEN s.start_ts > now() THEN (CASE WHEN i %% 10 = 0 THEN 'CANCELLED' ELSE 'CONFIRMED' END)
            WHEN i %% 20 = 0 THEN 'NO_SHOW' WHEN i %% 10 = 0 THEN 'CANCELLED'
            WHEN s.start_ts > now() - interval '1 hour' THEN 'IN_PROGRESS' ELSE 'COMPLETED' END,
       %(code_prefix)s || lpad(to_hex(i), 7, '0'),
       (20 + i %% 7 * 5)::numeric(10, 2), 'api', '', '',
       s.start_ts - (i %% 30) * interval '1 day', now()
FROM generate_series(1, %(rows)s) AS i,
     LATERAL (SELECT now() - interval '1095 days' + (i::float / %(rows)s) * interval '1155 days' AS start_ts) AS s
"""

# Conversations, and messages over the last 90 days; each conversation alternates in and out, so
# about half of them end on an unanswered inbound message.
SEED_CHATS = """
INSERT INTO messaging_conversation (id, salon_id, wa_id, status, bot_state, bot_paused, created_at, updated_at)
SELECT gen_random_uuid(), %(salon)s, 'bench' || n, 'OPEN', '{}', false, now(), now()
FROM generate_series(0, %(conversations)s - 1) AS n;
INSERT INTO messaging_message (id, salon_id, conversation_id, direction, type, text, payload, status, error_title,
                               reply_id, context_wamid, attempts, created_at, updated_at)
SELECT gen_random_uuid(), %(salon)s, c.id, CASE WHEN (i / %(conversations)s + i %% %(conversations)s) %% 2 = 0
            THEN 'IN' ELSE 'OUT' END,
       'text', '', '{}', 'RECEIVED', '', '', '', 0, s.at, s.at
FROM generate_series(0, %(messages)s - 1) AS i
CROSS JOIN LATERAL (SELECT now() - interval '90 days' + (i::float / %(messages)s) * interval '90 days' AS at) AS s
JOIN messaging_conversation c ON c.salon_id = %(salon)s AND c.wa_id = 'bench' || (i %% %(conversations)s);
"""


def psql(sql: str, db: str = "postgres") -> None:
    subprocess.run([*PSQL, "-d", db, "-c", sql], check=True)


def timed(fn, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return samples


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95)]
    return f"p50={statistics.median(ordered) * 1000:.3f}ms p95={p95 * 1000:.3f}ms (n={len(ordered)})"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000, help="bookings of the measured salon")
    parser.add_argument("--other-rows", type=int, default=200_000, help="bookings of one other salon")
    parser.add_argument("--messages", type=int, default=300_000, help="messages of the measured salon, 90 days")
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=30, help="misses to time")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    psql(f"DROP DATABASE IF EXISTS {DB}")
    psql(f"CREATE DATABASE {DB}")
    try:
        subprocess.run([str(ROOT / ".venv/bin/python"), "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
        run(args)
    finally:
        if not args.keep:
            import django.db

            django.db.connections.close_all()
            psql(f"DROP DATABASE IF EXISTS {DB}")


def run(args):
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User
    from analytics import cache as dashboard_cache
    from analytics import selectors
    from salons.models import Salon

    owner = User.objects.create_user("bench@example.com", "bench-pass-123")
    salon = Salon.objects.create(owner=owner, name="Measured", timezone="America/New_York")
    other = Salon.objects.create(owner=owner, name="Other", timezone="Europe/Berlin")

    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(SEED, {"salon": salon.pk, "rows": args.rows, "code_prefix": "A"})
        cursor.execute(SEED, {"salon": other.pk, "rows": args.other_rows, "code_prefix": "B"})
        cursor.execute(SEED_CHATS, {"salon": salon.pk, "conversations": args.conversations, "messages": args.messages})
    seeded = time.perf_counter() - t0
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        # What autovacuum does in time: statistics, and the visibility map index-only scans rely on.
        for table in ("bookings_booking", "messaging_conversation", "messaging_message"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    vacuumed = time.perf_counter() - t0
    print(
        f"seeded {args.rows:,} + {args.other_rows:,} bookings, {args.messages:,} messages in "
        f"{args.conversations:,} conversations in {seeded:.1f}s; VACUUM ANALYZE {vacuumed:.1f}s"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'bookings_booking' ORDER BY indexname"
        )
        print("indexes on bookings_booking:")
        for name, definition in cursor.fetchall():
            print(f"  {name}: {definition.split(' USING ', 1)[1]}")

    # --- miss -----------------------------------------------------------------------------
    selectors.salon_dashboard(salon)  # warm PostgreSQL's buffers, as a running server has them
    with CaptureQueriesContext(connection) as ctx:
        figures = selectors.salon_dashboard(salon)
    print(
        f"\nmiss: {len(ctx.captured_queries)} queries; total_bookings={figures['total_bookings']:,} "
        f"messages_last_24h={figures['recent_activity']['messages_last_24h']:,} "
        f"active_chats={figures['active_chats']:,} response_rate={figures['response_rate']}"
    )
    with connection.cursor() as cursor:
        for query in ctx.captured_queries:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + query["sql"])
            plan = [row[0] for row in cursor.fetchall()]
            nodes = [line.strip().removeprefix("-> ").strip() for line in plan if "Scan" in line]
            took = next((line for line in plan if line.startswith("Execution Time")), "")
            print(f"  {query['sql'][:90]}…\n    {took}; " + " | ".join(nodes[:2]))
    miss = timed(lambda: selectors.salon_dashboard(salon), args.repeat)
    print(f"miss, selectors.salon_dashboard over {args.rows:,} bookings: {summary(miss)}  (goal p50 <= 150 ms)")

    def miss_through_cache():
        dashboard_cache.bump(salon.pk)
        selectors.cached_salon_dashboard(salon)

    print(f"miss through the cache path (bump + read + compute + store): {summary(timed(miss_through_cache, 10))}")

    with connection.cursor() as cursor:
        for name in import_module("bookings.migrations.0008_booking_dashboard_indexes").INDEXES:
            cursor.execute(f"DROP INDEX {name}")
    without = timed(lambda: selectors.salon_dashboard(salon), args.repeat)
    print(f"miss without analytics' two indexes (for comparison): {summary(without)}")

    # --- hit ------------------------------------------------------------------------------
    selectors.cached_salon_dashboard(salon)
    version = cache.get(dashboard_cache.version_key(salon.pk))
    key = dashboard_cache.entry_key(salon.pk, version)
    assert cache.get(key) is not None
    for _ in range(200):  # connections, code paths
        selectors.cached_salon_dashboard(salon)
        cache.get(key)
    hits, bare = [], []
    for _ in range(5000):  # interleaved, so drift in the machine's load hits both alike
        hits += timed(lambda: selectors.cached_salon_dashboard(salon), 1)
        bare += timed(lambda: cache.get(key), 1)
    ratio = statistics.median(hits) / statistics.median(bare)
    print(f"\nhit, selectors.cached_salon_dashboard: {summary(hits)}")
    print(f"bare cache.get of the same entry key: {summary(bare)}")
    print(f"hit / bare (p50): {ratio:.2f}x  (goal <= 2x)")
    with CaptureQueriesContext(connection) as ctx:
        selectors.cached_salon_dashboard(salon)
    print(f"database queries on a hit: {len(ctx.captured_queries)}")

    client = Client()
    token = str(RefreshToken.for_user(owner).access_token)
    url = f"/api/analytics/dashboard?salon_id={salon.pk}"

    def request():
        response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200, response.content

    timed(request, 100)
    print(
        f"GET /api/analytics/dashboard hit, whole Django stack in-process (JWT user and salon lookups "
        f"included): {summary(timed(request, 1000))}"
    )


if __name__ == "__main__":
    sys.exit(main())
