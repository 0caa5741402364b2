"""Availability benchmark: a month for a salon (10 masters × 30 days, 2,000 bookings) in one request.

    .venv/bin/python benchmarks/bench_availability.py [--repeat 100] [--http-repeat 100]

Builds the schedule in a database of its own (BENCH_DB, default salonbot_bench_avail; dropped and
recreated, then dropped at the end unless --keep) with Redis at BENCH_REDIS_URL, then prints, each
beside its baseline from the same run (p50 / p95 in ms):

- server time, in-process (Django's test client with a real JWT, so authentication counts):
  the range form GET /api/salons/{id}/availability?date_from=&date_to= for the 30 days, against
  the old way, 30 calls of the one-day form for the same month, and GET /healthz; and the range
  form's CPU time in the Django process, which a loaded machine inflates less than the wall clock;
- the same through HTTP: gunicorn (1 worker, sequential requests, loopback);
- the queries each form runs (the range's SQL printed), and whether the range answers exactly
  what the 30 one-day calls answer, day by day;
- the selectors alone (loader + engine): the month, the bot's next 7 free days, one master-day.

It prints figures to compare; it is not a test.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DB = os.environ.get("BENCH_DB", "salonbot_bench_avail")
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q"]
ENV = {
    **os.environ,
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
    "DEBUG": "0",
    "SECRET_KEY": "bench-" + "x" * 60,
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "0",
    "API_RATE_LIMIT": "100000000/m",
    "LOG_LEVEL": "WARNING",
    "SALONBOT_VAR_DIR": f"/tmp/{DB}_var",
    "DJANGO_SETTINGS_MODULE": "salonbot.settings",
}
MASTERS, DAYS, BOOKINGS = 10, 30, 2000


def psql(sql: str) -> None:
    subprocess.run([*PSQL, "-d", "postgres", "-c", sql], check=True)


def interleaved(figures: dict, repeat: int, warm: int = 5, every: dict | None = None) -> dict[str, list[float]]:
    """Time each figure in turn, round after round, so a figure and its baselines share the machine's load.

    `every` runs a costly figure only every n-th round (30 requests of the old way).
    """
    every = every or {}
    for fn in figures.values():
        for _ in range(warm):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in figures} | {f"{name} cpu": [] for name in figures}
    for round_ in range(repeat):
        for name, fn in figures.items():
            if round_ % every.get(name, 1):
                continue
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            samples[name].append((time.perf_counter() - t0) * 1000)
            samples[f"{name} cpu"].append((time.process_time() - c0) * 1000)
    return samples


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(int(len(ordered) * 0.95) - 1, 0)]
    return f"{statistics.median(ordered):7.2f} / {p95:7.2f}"


def ok(response):
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return response


def build_schedule():
    """The peer schedule: 10 masters working 09-19 with a lunch break, 200 bookings each over 30 days."""
    from accounts.models import User
    from bookings.models import Booking
    from salons.models import Master, Salon, Service

    owner = User.objects.create_user("bench@example.com", "bench-pass-123")
    salon = Salon.objects.create(owner=owner, name="Bench", timezone="Europe/Berlin", max_advance_days=60)
    service = Service.objects.create(salon=salon, name="Cut", duration_minutes=45, price=Decimal("30"))
    day = {"enabled": True, "start": "09:00", "end": "19:00", "breaks": [{"start": "13:00", "end": "14:00"}]}
    week = {d: day for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")}
    masters = [Master.objects.create(salon=salon, name=f"M{i}", working_hours=week) for i in range(MASTERS)]
    for m in masters:
        m.services.add(service)
    first = (datetime.now(UTC) + timedelta(days=1)).date()
    rows = []
    for i in range(BOOKINGS):  # 200 per master over 30 days: about 7 a day each
        m = masters[i % MASTERS]
        n = i // MASTERS
        start = datetime(first.year, first.month, first.day, 8, tzinfo=UTC) + timedelta(
            days=n % DAYS, minutes=75 * (n // DAYS)
        )
        rows.append(Booking(salon=salon, master=m, start_ts=start, end_ts=start + timedelta(minutes=45), price=30))
    Booking.objects.bulk_create(rows)
    return owner, salon, service, masters, [first + timedelta(days=d) for d in range(DAYS)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=100, help="in-process runs of each figure")
    parser.add_argument("--http-repeat", type=int, default=100, help="HTTP runs of each figure")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    psql(f"DROP DATABASE IF EXISTS {DB}")
    psql(f"CREATE DATABASE {DB}")
    server = None
    try:
        subprocess.run([".venv/bin/python", "manage.py", "migrate", "-v0"], cwd=ROOT, env=ENV, check=True)
        import django

        django.setup()
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from rest_framework_simplejwt.tokens import RefreshToken

        from bookings import slots
        from bookings.models import Booking
        from salons.models import Master

        owner, salon, service, masters, days = build_schedule()
        subprocess.run([*PSQL, "-d", DB, "-c", "VACUUM ANALYZE"], check=True)
        bearer = f"Bearer {RefreshToken.for_user(owner).access_token}"
        path = f"/api/salons/{salon.pk}/availability"
        month = f"{path}?date_from={days[0]}&date_to={days[-1]}&service_id={service.pk}"
        one_day = [f"{path}?date={day}&service_id={service.pk}" for day in days]
        client = Client(HTTP_AUTHORIZATION=bearer)

        # Same answers: the range, day by day, is what the one-day form gives.
        ranged = {d["date"]: d["slots"] for d in ok(client.get(month)).json()["days"]}
        single = {d.isoformat(): ok(client.get(url)).json()["slots"] for d, url in zip(days, one_day, strict=True)}
        mismatched = [day for day in single if ranged.get(day) != single[day]]
        starts = sum(len(s) for s in ranged.values())
        master_starts = sum(len(s["master_ids"]) for day in ranged.values() for s in day)

        # captured_queries reads the connection's log when asked: keep a copy before the next request.
        with CaptureQueriesContext(connection) as captured:
            ok(client.get(month))
        range_queries = list(captured.captured_queries)
        with CaptureQueriesContext(connection) as captured:
            for url in one_day:
                ok(client.get(url))
        day_queries = list(captured.captured_queries)

        old_every = 5
        inproc = interleaved(
            {
                "range": lambda: ok(client.get(month)),
                "days": lambda: [ok(client.get(url)) for url in one_day],
                "healthz": lambda: ok(client.get("/healthz")),
            },
            args.repeat,
            every={"days": old_every},
        )
        master = Master.objects.select_related("salon").get(pk=masters[0].pk)
        selectors = interleaved(
            {
                "month": lambda: slots.salon_slots(salon=salon, service=service, days=days),
                "next": lambda: slots.days_with_slots(salon=salon, service=service, limit=7),
                "one": lambda: slots.master_slots(master=master, day=days[3], duration_minutes=45),
            },
            args.repeat,
        )
        total = Booking.objects.count()
        connection.close()

        port = 18000 + os.getpid() % 1000
        server = subprocess.Popen(
            [".venv/bin/gunicorn", "salonbot.wsgi", "-w", "1", "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=ROOT,
            env=ENV,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        with httpx.Client(base_url=base, headers={"Authorization": bearer}, timeout=60) as http:
            over_http = interleaved(
                {
                    "range": lambda: ok(http.get(month)),
                    "days": lambda: [ok(http.get(url)) for url in one_day],
                    "healthz": lambda: ok(http.get("/healthz")),
                },
                args.http_repeat,
                warm=10,
                every={"days": old_every},
            )

        print(f"PostgreSQL, {total} bookings, {MASTERS} masters, {DAYS} days; p50 / p95 in ms")
        print(f"range answers {starts} starts ({master_starts} master-starts); days differing from the one-day form:")
        print(f"  {len(mismatched)} of {len(days)} {mismatched[:5] if mismatched else ''}")
        print(f"queries: range {len(range_queries)} (JWT user included); 30 one-day calls {len(day_queries)}")
        for query in range_queries:
            print(f"    {query['time']}s  {query['sql'][:160]}")
        for title, figures, runs in (
            ("server time, in-process (Django test client, JWT)", inproc, args.repeat),
            ("through HTTP (gunicorn -w 1, sequential, loopback)", over_http, args.http_repeat),
        ):
            print(f"{title}: {runs} rounds, the old way every {old_every}th")
            print(f"  range form, 30 days in one request              {summary(figures['range'])}")
            if figures is inproc:
                print(f"    its CPU time in this process (no database)    {summary(figures['range cpu'])}")
            print(f"    baseline: 30 one-day requests (the old way)   {summary(figures['days'])}")
            print(f"    baseline: GET /healthz                        {summary(figures['healthz'])}")
        print(f"selectors alone (loader + engine), {args.repeat} rounds")
        print(f"  salon x 30 days x 10 masters                    {summary(selectors['month'])}")
        print(f"  the bot's next 7 days with a free slot          {summary(selectors['next'])}")
        print(f"  one master-day                                  {summary(selectors['one'])}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        from django.db import connections

        connections.close_all()
        if not args.keep:
            psql(f"DROP DATABASE IF EXISTS {DB}")


if __name__ == "__main__":
    main()
