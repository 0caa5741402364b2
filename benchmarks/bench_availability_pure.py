"""Time the pure availability engine: 10 masters x 30 days with 2,000 busy intervals.

Run: .venv/bin/python benchmarks/bench_availability_pure.py [--repeat N]
No database, no Django: this measures only bookings/availability.py.
"""

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bookings import availability
from bookings.availability import (
    SlotPolicy,
    available_starts,
    available_starts_range,
    first_days_with_slots,
    merge_master_slots,
)

MASTERS = 10
DAYS = 30
BUSY_TOTAL = 2_000
POLICY = SlotPolicy(timezone="Europe/Berlin", slot_interval_minutes=15, min_notice_minutes=60, max_advance_days=60)
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
FIRST_DAY = date(2026, 3, 2)  # the range crosses the 2026-03-29 DST change on purpose
DURATION = 60
HOURS = {
    name: {"start": "09:00", "end": "19:00", "breaks": [{"start": "13:00", "end": "14:00"}]}
    for name in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
}


def make_busy(rng: random.Random, count: int) -> list[tuple[datetime, datetime]]:
    """Unsorted bookings of 30-120 minutes during the working day, some overlapping."""
    busy = []
    for _ in range(count):
        day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
        start = datetime(day.year, day.month, day.day, 7, 0, tzinfo=UTC) + timedelta(minutes=15 * rng.randrange(40))
        busy.append((start, start + timedelta(minutes=rng.choice([30, 45, 60, 90, 120]))))
    return busy


def timed(label: str, run: Callable[[], object], repeat: int, cold: Callable[[], None] | None = None) -> None:
    samples = []
    for _ in range(repeat):
        if cold:
            cold()
        began = time.perf_counter()
        run()
        samples.append((time.perf_counter() - began) * 1000)
    print(f"{label:<62} median {statistics.median(samples):8.2f} ms   best {min(samples):8.2f} ms")


def clear_caches() -> None:
    # Private caches of per-day grids and windows; cleared to show the first request of a process.
    availability._day_grid.cache_clear()
    availability._day_window.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    rng = random.Random(7)
    days = [FIRST_DAY + timedelta(days=i) for i in range(DAYS)]
    spread = {f"master-{i}": (HOURS, make_busy(rng, BUSY_TOTAL // MASTERS)) for i in range(MASTERS)}
    heavy = {f"master-{i}": (HOURS, make_busy(rng, BUSY_TOTAL)) for i in range(MASTERS)}

    def month_view(masters: dict) -> list:
        per_master = {
            key: available_starts_range(
                policy=POLICY, working_hours=hours, busy=busy, days=days, duration_minutes=DURATION, now=NOW
            )
            for key, (hours, busy) in masters.items()
        }
        return [merge_master_slots({key: by_day[day] for key, by_day in per_master.items()}) for day in days]

    def per_day_calls(masters: dict) -> None:
        # What a caller would do without the range form: busy re-sorted for every day.
        for hours, busy in masters.values():
            for day in days:
                available_starts(
                    policy=POLICY, working_hours=hours, busy=busy, day=day, duration_minutes=DURATION, now=NOW
                )

    def next_days(masters: dict) -> list[date]:
        return first_days_with_slots(
            policy=POLICY, masters=masters, start=FIRST_DAY, duration_minutes=DURATION, now=NOW, limit=7
        )

    offered = sum(len(day) for day in month_view(spread))
    print(f"{MASTERS} masters x {DAYS} days, 15-min grid, 60-min job; {offered} distinct start times offered")
    print(f"repeat={args.repeat}; Python {sys.version.split()[0]}")
    print()
    print(f"{BUSY_TOTAL} busy intervals in all ({BUSY_TOTAL // MASTERS} per master):")
    timed("  range per master + merge, cold caches", lambda: month_view(spread), args.repeat, clear_caches)
    timed("  range per master + merge, warm caches", lambda: month_view(spread), args.repeat)
    timed("  available_starts per master per day (300 calls), warm", lambda: per_day_calls(spread), args.repeat)
    timed("  first_days_with_slots(limit=7), warm", lambda: next_days(spread), args.repeat)
    print(f"{BUSY_TOTAL} busy intervals per master ({BUSY_TOTAL * MASTERS} in all):")
    timed("  range per master + merge, warm caches", lambda: month_view(heavy), args.repeat)
    timed("  available_starts per master per day (300 calls), warm", lambda: per_day_calls(heavy), args.repeat)


if __name__ == "__main__":
    main()
