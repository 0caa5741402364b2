"""WhatsApp webhook benchmark: signed deliveries acknowledged per second, then processed per second.

Runs gunicorn (2 sync workers by default) on PostgreSQL + Redis against a database of its own
(created, migrated, dropped at the end). Many client threads POST real-shaped, signed webhook
bodies (a text message, or a batch of statuses, each with fresh wamids), as Meta would:

    .venv/bin/python benchmarks/bench_webhook.py [--seconds 15] [--clients 64] [--workers 2]

The acknowledgement path is what Meta times (median ≤ 250 ms, < 1 % over 1 s): verify the
HMAC, store the event, enqueue its processing, answer 200. Afterwards a Celery worker drains
the queue, so the processing rate is reported too. Prints figures a reader can compare; it
is not a test.
"""

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from messaging.whatsapp.signature import sign  # noqa: E402  (pure module: no Django setup needed)

DB = "salonbot_bench_webhook"
SECRET = "bench-app-secret"
PHONE_NUMBER_ID = "420000000000777"
REDIS_DB_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
ENV = {
    **os.environ,
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
    "REDIS_URL": REDIS_DB_URL,
    "CELERY_BROKER_URL": REDIS_DB_URL,
    "CACHE_KEY_PREFIX": "bench-webhook",
    "DEBUG": "0",
    "SECRET_KEY": "bench-" + "x" * 60,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "WHATSAPP_APP_SECRET": SECRET,
    "WHATSAPP_BACKEND": "memory",
    "LOG_LEVEL": "WARNING",
}

SETUP = f"""
from accounts.models import User
from salons.models import Salon
owner = User.objects.create_user("bench@example.com", "bench-pass-123")
Salon.objects.create(owner=owner, name="Bench", timezone="Europe/Berlin", whatsapp_phone_number_id="{PHONE_NUMBER_ID}",
                     max_messages_per_month=10**9)
print("ok")
"""

COUNT = """
from messaging.models import WebhookEvent, Message
print(WebhookEvent.objects.count(), WebhookEvent.objects.filter(processed_at__isnull=False).count(),
      Message.objects.count(), WebhookEvent.objects.exclude(error="").count())
"""


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def payload(rnd: random.Random, n: int) -> bytes:
    """Three in four deliveries are statuses (Meta sends ~3 per outbound message), one is a message."""
    ts = str(int(time.time()))  # now: the customer-service window is open, as for a live chat
    metadata = {"display_phone_number": "351210000111", "phone_number_id": PHONE_NUMBER_ID}
    customer = f"35191{rnd.randrange(10**6, 10**7)}"  # valid Portuguese mobiles: real customers
    if n % 4 == 0:
        value = {
            "messaging_product": "whatsapp",
            "metadata": metadata,
            "contacts": [{"profile": {"name": "Marta Reis"}, "wa_id": customer}],
            "messages": [
                {
                    "from": customer,
                    "id": f"wamid.BENCH-IN-{n}-{rnd.random()}",
                    "timestamp": ts,
                    "type": "text",
                    "text": {"body": "Olá! Queria marcar um corte para sábado \u2702"},
                }
            ],
        }
    else:
        value = {
            "messaging_product": "whatsapp",
            "metadata": metadata,
            "statuses": [
                {
                    "id": f"wamid.BENCH-OUT-{n}-{rnd.random()}",
                    "status": rnd.choice(["sent", "delivered", "read"]),
                    "timestamp": ts,
                    "recipient_id": customer,
                    "conversation": {"id": "c1", "origin": {"type": "service"}},
                    "pricing": {"billable": True, "pricing_model": "CBP", "category": "service"},
                }
            ],
        }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(body).encode()


def cpu_seconds(parent_pid: int) -> float:
    """User + system CPU of the children of `parent_pid` (gunicorn's workers), from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent_pid:  # fields[1] is the ppid; utime and stime are fields 11, 12
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def drain_broker() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_DB_URL)
    client.delete("celery", *client.keys("_kombu.binding.*"), *client.keys("unacked*"))
    for key in client.scan_iter("bench-webhook*"):
        client.delete(key)


def main():
    # A TERM or HUP (a closed terminal, a CI timeout) must still run the cleanup below: stop the
    # server and worker this script started, drop its database.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (>1: the gthread worker class)")
    parser.add_argument("--celery-concurrency", type=int, default=4)
    parser.add_argument("--prepare", type=int, default=300, help="signed bodies made per client before timing")
    parser.add_argument("--skip-processing", action="store_true")
    args = parser.parse_args()

    psql(f"DROP DATABASE IF EXISTS {DB}")
    psql(f"CREATE DATABASE {DB}")
    drain_broker()
    server = worker = None
    try:
        subprocess.run([".venv/bin/python", "manage.py", "migrate", "-v0"], cwd=ROOT, env=ENV, check=True)
        manage_shell(SETUP)
        port = free_port()
        worker_class = ["-k", "gthread", "--threads", str(args.threads)] if args.threads > 1 else []
        server = subprocess.Popen(
            [
                ".venv/bin/gunicorn",
                "salonbot.wsgi",
                "-w",
                str(args.workers),
                "-b",
                f"127.0.0.1:{port}",
                *worker_class,
                "--log-level",
                "warning",
                "--backlog",
                "2048",
            ],
            cwd=ROOT,
            env=ENV,
        )
        url = f"http://127.0.0.1:{port}/api/whatsapp/webhook"
        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)

        codes: dict[int, int] = {}
        latencies: list[float] = []
        lock = threading.Lock()
        start_gate = threading.Event()
        stop_at = [0.0]

        def prepared(k: int):
            """Signed bodies made before the clock starts: the client's CPU goes to sending."""
            rnd, n = random.Random(k), k
            while True:
                n += args.clients
                body = payload(rnd, n)
                yield body, {"X-Hub-Signature-256": sign(body, SECRET), "Content-Type": "application/json"}

        def client(k: int) -> None:
            bodies = prepared(k)
            ready = [next(bodies) for _ in range(args.prepare)]
            local_lat, local_codes = [], {}
            with httpx.Client(timeout=30) as http:
                # One warm-up request per client opens the connection before timing starts.
                body, headers = next(bodies)
                http.post(url, content=body, headers=headers)
                start_gate.wait()
                while time.monotonic() < stop_at[0]:
                    body, headers = ready.pop() if ready else next(bodies)
                    t0 = time.perf_counter()
                    status = http.post(url, content=body, headers=headers).status_code
                    local_lat.append(time.perf_counter() - t0)
                    local_codes[status] = local_codes.get(status, 0) + 1
            with lock:
                latencies.extend(local_lat)
                for status, count in local_codes.items():
                    codes[status] = codes.get(status, 0) + count

        threads = [threading.Thread(target=client, args=(k,)) for k in range(args.clients)]
        for thread in threads:
            thread.start()
        time.sleep(2.0 + args.clients * args.prepare / 20000)
        began, cpu_began, server_cpu_began = time.monotonic(), time.process_time(), cpu_seconds(server.pid)
        stop_at[0] = began + args.seconds
        start_gate.set()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
        client_cpu = (time.process_time() - cpu_began) / elapsed
        server_cpu = cpu_seconds(server.pid) - server_cpu_began

        lat = sorted(latencies)
        ok = codes.get(200, 0)
        kind = f"gthread x{args.threads}" if args.threads > 1 else "sync"
        print(f"webhook ack: gunicorn -w {args.workers} ({kind}), {args.clients} client threads, {elapsed:.1f}s")
        print(f"  acknowledged/s: {ok / elapsed:.0f}   (responses by status: {dict(sorted(codes.items()))})")
        print(
            f"  latency p50={statistics.median(lat) * 1000:.1f}ms p95={lat[int(len(lat) * 0.95)] * 1000:.1f}ms "
            f"p99={lat[int(len(lat) * 0.99)] * 1000:.1f}ms max={lat[-1] * 1000:.1f}ms"
        )
        stored, processed, messages, errors = map(int, manage_shell(COUNT).split())
        print(
            f"  gunicorn workers' CPU: {server_cpu * 1000 / max(ok, 1):.2f} ms per acknowledged request "
            f"({server_cpu / elapsed:.0%} of one core)"
        )
        print(f"  load generator CPU: {client_cpu:.0%} of one core; load average {os.getloadavg()[0]:.1f}")
        print(f"  events stored: {stored} (200s incl. warm-up: {ok + args.clients})")

        if not args.skip_processing:
            worker = subprocess.Popen(
                [
                    ".venv/bin/celery",
                    "-A",
                    "salonbot",
                    "worker",
                    "-c",
                    str(args.celery_concurrency),
                    "--loglevel",
                    "WARNING",
                    "-P",
                    "prefork",
                    "--without-gossip",
                    "--without-mingle",
                ],
                cwd=ROOT,
                env=ENV,
            )
            t0 = time.monotonic()
            while processed < stored and time.monotonic() - t0 < 600:
                time.sleep(1.0)
                stored, processed, messages, errors = map(int, manage_shell(COUNT).split())
            spent = time.monotonic() - t0
            print(
                f"processing: celery worker -c {args.celery_concurrency}: {processed}/{stored} events in {spent:.1f}s "
                f"(≈{processed / spent:.0f}/s incl. startup), {messages} messages stored, {errors} events with errors"
            )
    finally:
        for process in (worker, server):
            if process is not None:
                process.terminate()
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:  # a worker still busy with its backlog
                    process.kill()
                    process.wait()
        drain_broker()
        psql(f"DROP DATABASE IF EXISTS {DB}")


if __name__ == "__main__":
    sys.exit(main())
