"""WhatsApp webhook benchmark: signed deliveries acknowledged per second, then processed per second.

Runs gunicorn (the compose shape by default: 3 gthread workers x 8 threads) on PostgreSQL + Redis
against a database of its own (created, migrated, dropped at the end). The same client threads
first GET /healthz (the baseline: what this server, client and machine do for a request that
does nothing), then POST real-shaped, signed webhook bodies (a text message, or a status, each
with fresh wamids), as Meta would:

    .venv/bin/python benchmarks/bench_webhook.py [--seconds 15] [--clients 64] [--workers 3 --threads 8]

The acknowledgement path is what Meta times (median ≤ 250 ms, < 1 % over 1 s): verify the
HMAC, store the event, enqueue its processing, answer 200. Afterwards one Celery worker
(`-c 4`) drains what was stored, and its rate is reported: events over the span between the
first and the last `processed_at` (worker start-up excluded), and over the wall time.

The paced phase sends each client's bodies of the first phase again (the same wamids), as Meta
re-delivers: they are stored as events and processed, and must add no message.

BENCH_DB (database name) and BENCH_REDIS_URL choose where it runs, so two runs on one machine
do not share state. Prints figures a reader can compare; it is not a test.
"""

import argparse
import http.client
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

DB = os.environ.get("BENCH_DB", "salonbot_bench_webhook")
SECRET = "bench-app-secret"
PHONE_NUMBER_ID = "420000000000777"
REDIS_DB_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
ENV = {
    **os.environ,
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
    "REDIS_URL": REDIS_DB_URL,
    "CELERY_BROKER_URL": REDIS_DB_URL,
    "CACHE_KEY_PREFIX": f"bench-webhook-{DB}",
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
from django.db.models import Max, Min
done = WebhookEvent.objects.filter(processed_at__isnull=False)
span = done.aggregate(first=Min("processed_at"), last=Max("processed_at"))
seconds = (span["last"] - span["first"]).total_seconds() if span["first"] else 0.0
print(WebhookEvent.objects.count(), done.count(), Message.objects.count(),
      WebhookEvent.objects.exclude(error="").count(), seconds)
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
    for key in client.scan_iter(f"bench-webhook-{DB}*"):
        client.delete(key)


class Load:
    """Client threads that each keep one connection open and send as fast as they are answered."""

    def __init__(self, port: int, clients: int, server_pid: int) -> None:
        self.port, self.clients, self.server_pid = port, clients, server_pid

    def run(self, seconds: float, requests, rate: float | None = None) -> dict:
        """`requests(k)` yields (method, path, body, headers) for client k; prepared before the clock.

        Without `rate`, each client sends its next request as soon as the last one is answered (the
        most the server does). With `rate` (requests/s over all clients), each client sends on a
        fixed schedule, and a request's latency runs from when it was due: a server that falls
        behind is charged for the wait, as Meta's clock would charge it.
        """
        codes: dict[int, int] = {}
        latencies: list[float] = []
        lock = threading.Lock()
        ready_count = threading.Semaphore(0)
        start_gate = threading.Event()
        stop_at = [0.0]

        def client(k: int) -> None:
            source = requests(k)
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            local_lat, local_codes = [], {}

            def send(item) -> int:
                method, path, body, headers = item
                for attempt in range(2):  # a sync worker closes the connection after each answer
                    try:
                        connection.request(method, path, body=body, headers=headers)
                        response = connection.getresponse()
                        response.read()
                        return response.status
                    except (ConnectionError, http.client.HTTPException):
                        connection.close()
                        if attempt:
                            raise
                return 0

            send(next(source))  # warm-up: opens the connection before timing starts
            ready_count.release()
            start_gate.wait()
            interval = self.clients / rate if rate else 0.0
            due = time.monotonic() + (k / rate if rate else 0.0)
            while due < stop_at[0]:
                item = next(source)
                if rate:
                    wait = due - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                    t0 = due - time.monotonic() + time.perf_counter()
                else:
                    t0 = time.perf_counter()
                status = send(item)
                local_lat.append(time.perf_counter() - t0)
                local_codes[status] = local_codes.get(status, 0) + 1
                due = due + interval if rate else time.monotonic()
            connection.close()
            with lock:
                latencies.extend(local_lat)
                for status, count in local_codes.items():
                    codes[status] = codes.get(status, 0) + count

        threads = [threading.Thread(target=client, args=(k,)) for k in range(self.clients)]
        for thread in threads:
            thread.start()
        for _ in threads:
            ready_count.acquire()
        began, cpu_began, server_cpu_began = time.monotonic(), time.process_time(), cpu_seconds(self.server_pid)
        stop_at[0] = began + seconds
        start_gate.set()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
        lat = sorted(latencies)
        ok = codes.get(200, 0)
        return {
            "ok": ok,
            "rate": ok / elapsed,
            "codes": dict(sorted(codes.items())),
            "p50": statistics.median(lat) * 1000,
            "p95": lat[int(len(lat) * 0.95)] * 1000,
            "p99": lat[int(len(lat) * 0.99)] * 1000,
            "max": lat[-1] * 1000,
            "elapsed": elapsed,
            "server_cpu_ms": (cpu_seconds(self.server_pid) - server_cpu_began) * 1000 / max(ok, 1),
            "server_cores": (cpu_seconds(self.server_pid) - server_cpu_began) / elapsed,
            "client_cores": (time.process_time() - cpu_began) / elapsed,
        }


def report(name: str, r: dict) -> None:
    print(
        f"  {name:<9} {r['rate']:6.0f}/s  p50={r['p50']:.1f}ms p95={r['p95']:.1f}ms p99={r['p99']:.1f}ms "
        f"max={r['max']:.0f}ms  gunicorn CPU {r['server_cpu_ms']:.2f} ms/request ({r['server_cores']:.0%} of a core), "
        f"client CPU {r['client_cores']:.0%}  statuses {r['codes']}"
    )


def main():
    # A TERM or HUP (a closed terminal, a CI timeout) must still run the cleanup below: stop the
    # server and worker this script started, drop its database.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker (>1: the gthread worker class)")
    parser.add_argument("--rate", type=float, default=500, help="requests/s of the paced phase")
    parser.add_argument("--celery-concurrency", type=int, default=4)
    parser.add_argument("--skip-processing", action="store_true")
    parser.add_argument(
        "--max-processing-seconds", type=float, default=900, help="stop waiting for the worker after this long"
    )
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
                "-c",
                "python:salonbot.gunicorn_conf",
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
        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)

        def healthz(k: int):
            while True:
                yield "GET", "/healthz", None, {}

        def webhooks(k: int):
            """Signed bodies made ahead of the requests: the client's CPU goes to sending."""
            rnd, n = random.Random(k), k
            while True:
                n += args.clients
                body = payload(rnd, n)
                yield (
                    "POST",
                    "/api/whatsapp/webhook",
                    body,
                    {
                        "X-Hub-Signature-256": sign(body, SECRET),
                        "Content-Type": "application/json",
                    },
                )

        load = Load(port, args.clients, server.pid)
        # Both phases with the same clients and server; /healthz first, so the webhook rows are
        # not yet competing for the disk while the baseline runs.
        base = load.run(min(args.seconds, 10), healthz)
        hook = load.run(args.seconds, webhooks)
        base_paced = load.run(min(args.seconds, 10), healthz, rate=args.rate)
        hook_paced = load.run(args.seconds, webhooks, rate=args.rate)
        kind = f"gthread x{args.threads}" if args.threads > 1 else "sync"
        print(
            f"webhook ack: gunicorn -w {args.workers} ({kind}), {args.clients} client threads (keep-alive), "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        print("  as fast as answered (each client sends again when answered):")
        report("/healthz", base)
        report("webhook", hook)
        print(f"  webhook acknowledged/s = {hook['rate'] / base['rate']:.0%} of /healthz's rate")
        print(
            f"  paced at {args.rate:.0f} requests/s over the {args.clients} clients (latency from when each was due):"
        )
        report("/healthz", base_paced)
        report("webhook", hook_paced)
        stored, processed, messages, errors, span = manage_shell(COUNT).split()
        stored, processed = int(stored), int(processed)
        print(f"  events stored: {stored} (200s incl. warm-up: {hook['ok'] + args.clients})")

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
            while processed < stored and time.monotonic() - t0 < args.max_processing_seconds:
                time.sleep(1.0)
                stored, processed, messages, errors, span = manage_shell(COUNT).split()
                stored, processed = int(stored), int(processed)
            spent = time.monotonic() - t0
            span = float(span)
            print(
                f"processing: celery worker -c {args.celery_concurrency}: {processed}/{stored} events, "
                f"{processed / max(span, 0.001):.0f} events/s between the first and the last processed "
                f"({span:.1f}s), {processed / spent:.0f}/s over {spent:.1f}s incl. worker start-up; "
                f"{messages} messages stored, {errors} events with errors"
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
