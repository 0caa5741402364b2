"""Availability benchmark: a salon × 30 days × 10 masters with 2,000 bookings, and one master-day.

Measures the server-side work (the constant-query loader plus the pure engine) on PostgreSQL,
in a database of its own that it recreates, and the same through the HTTP endpoint in-process:

    .venv/bin/python benchmarks/bench_availability.py [--repeat 50]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = "salonbot_bench_avail"
os.environ.update(
    DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB}",
    DJANGO_SETTINGS_MODULE="salonbot.settings",
    LOG_LEVEL="WARNING",
    API_RATE_LIMIT="100000000/m",
)
os.environ.pop("REDIS_URL", None)
sys.path.insert(0, str(ROOT))


def timed(fn, repeat):
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    for sql in (f"DROP DATABASE IF EXISTS {DB}", f"CREATE DATABASE {DB}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from decimal import Decimal

    from rest_framework.test import APIClient

    from accounts.models import User
    from bookings import slots
    from bookings.models import Booking
    from salons.models import Master, Salon, Service

    owner = User.objects.create_user("bench@example.com", "bench-pass-123")
    salon = Salon.objects.create(owner=owner, name="Bench", timezone="Europe/Berlin", max_advance_days=60)
    service = Service.objects.create(salon=salon, name="Cut", duration_minutes=45, price=Decimal("30"))
    day = {"enabled": True, "start": "09:00", "end": "19:00", "breaks": [{"start": "13:00", "end": "14:00"}]}
    week = {d: day for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")}
    masters = [Master.objects.create(salon=salon, name=f"M{i}", working_hours=week) for i in range(10)]
    for m in masters:
        m.services.add(service)
    first = (datetime.now(UTC) + timedelta(days=1)).date()
    rows = []
    for i in range(2000):  # 200 per master over 30 days: about 7 a day each
        m = masters[i % 10]
        n = i // 10
        start = datetime(first.year, first.month, first.day, 8, tzinfo=UTC) + timedelta(
            days=n % 30, minutes=75 * (n // 30)
        )
        rows.append(Booking(salon=salon, master=m, start_ts=start, end_ts=start + timedelta(minutes=45), price=30))
    Booking.objects.bulk_create(rows)
    days = [first + timedelta(days=d) for d in range(30)]

    month = timed(lambda: slots.salon_slots(salon=salon, service=service, days=days), args.repeat)
    master = Master.objects.select_related("salon").get(pk=masters[0].pk)
    one = timed(lambda: slots.master_slots(master=master, day=days[3], duration_minutes=45), args.repeat)
    nxt = timed(lambda: slots.days_with_slots(salon=salon, service=service, limit=7), args.repeat)

    client = APIClient()
    client.force_authenticate(owner)
    url = f"/api/salons/{salon.pk}/availability"
    http_day = timed(lambda: client.get(url, {"date": days[3].isoformat(), "service_id": str(service.pk)}), args.repeat)
    murl = f"/api/masters/{master.pk}/availability"
    http_master = timed(lambda: client.get(murl, {"date": days[3].isoformat(), "duration_minutes": 45}), args.repeat)

    total = Booking.objects.count()
    print(f"PostgreSQL, {total} bookings, 10 masters, {args.repeat} runs each (p50 / p95, ms)")
    print(f"  salon x 30 days x 10 masters (loader + engine):  {month[0]:.1f} / {month[1]:.1f}")
    print(f"  next 7 days with a free slot (bot range form):   {nxt[0]:.1f} / {nxt[1]:.1f}")
    print(f"  one master-day (loader + engine):                {one[0]:.2f} / {one[1]:.2f}")
    print(f"  GET /api/salons/{{id}}/availability (in-process): {http_day[0]:.1f} / {http_day[1]:.1f}")
    print(f"  GET /api/masters/{{id}}/availability (in-process): {http_master[0]:.1f} / {http_master[1]:.1f}")


if __name__ == "__main__":
    main()
