"""Dashboard hit on the embedded default's cache (a SQLite table every process shares).

    .venv/bin/python benchmarks/bench_dashboard_embedded.py [--repeat 2000]

A fresh SQLite database in a temporary folder, migrated and loaded with the demo salon; then, in
this process (server time, no HTTP), each beside its baseline from the same run:

- hit on the database cache (`selectors.cached_salon_dashboard`) vs the same hit on an in-process
  cache (what the embedded default used before, which other processes could not invalidate);
- the miss (every query of a recomputation), for scale;
- a whole GET /api/analytics/dashboard through Django's test client, on both caches.

Prints figures; it is not a test.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(tempfile.mkdtemp(prefix="salonbot_bench_embedded_"))
os.environ.pop("REDIS_URL", None)
os.environ.update(
    {
        "DATABASE_URL": f"sqlite:///{VAR / 'bench.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "salonbot.settings",
        "SALONBOT_VAR_DIR": str(VAR),
        "API_RATE_LIMIT": "100000000/m",
        "LOG_LEVEL": "WARNING",
    }
)
sys.path.insert(0, str(ROOT))

LOCMEM = {
    alias: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"bench-{alias}"}
    for alias in ("default", "ratelimit")
}


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm: the first call fills the cache
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def line(label: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"  {label:<44} p50 {statistics.median(ordered):7.3f} ms   p95 {p95:7.3f} ms   (n={len(ordered)})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client, override_settings
    from rest_framework_simplejwt.tokens import RefreshToken

    from analytics import selectors
    from messaging import demo

    call_command("migrate", verbosity=0)
    salon = demo.seed()
    owner = salon.owner
    client = Client(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(owner).access_token}")
    url = f"/api/analytics/dashboard?salon_id={salon.pk}"

    def get():
        assert client.get(url).status_code == 200

    print(f"embedded default (SQLite, no Redis) in {VAR}; the demo salon, {args.repeat} repetitions")
    shared_hit = timed(lambda: selectors.cached_salon_dashboard(salon), args.repeat)
    shared_http = timed(get, max(args.repeat // 4, 50))
    with override_settings(CACHES=LOCMEM):
        local_hit = timed(lambda: selectors.cached_salon_dashboard(salon), args.repeat)
        local_http = timed(get, max(args.repeat // 4, 50))
    miss = timed(lambda: selectors.salon_dashboard(salon), max(args.repeat // 10, 20))
    print(line("hit, database cache (shared by processes)", shared_hit))
    print(line("hit, in-process cache (baseline)", local_hit))
    print(line("miss: the figures recomputed", miss))
    print(line("GET dashboard, database cache", shared_http))
    print(line("GET dashboard, in-process cache (baseline)", local_http))


if __name__ == "__main__":
    main()
