"""WhatsApp bot latency: from the webhook POST to the bot's reply reaching the Graph API.

The production shape on one machine: gunicorn (sync workers) and a Celery worker (prefork) on
PostgreSQL and Redis, WHATSAPP_BACKEND=cloud pointed at a fake Graph API on loopback. Simulated
customers each walk the whole happy path (hi, Book, service, master, day, time, Confirm, and the
name when asked), waiting for each reply before the next tap as a person does. For every step
the script times the signed POST to the webhook until the reply arrives at the fake Graph
server: the 200, the processing task (ingest, the bot under the conversation lock, slot reads,
the booking), the send task and the HTTP call to Graph.

    .venv/bin/python benchmarks/bench_bot_latency.py [--customers 40] [--parallel 4]

Uses a database of its own (created and dropped; BENCH_DB names it) and Redis database 13
(BENCH_REDIS_URL). Prints figures a reader can compare; it is not a test.
"""

import argparse
import itertools
import json
import os
import queue
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from messaging.whatsapp.signature import sign  # noqa: E402  (pure module: no Django setup needed)

DB = os.environ.get("BENCH_DB", "salonbot_bench_bot")
SECRET = "bench-app-secret"
PHONE_NUMBER_ID = "420000000000777"
REDIS_DB_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
# A new customer may be asked for the name to book under ("name" taps their WhatsApp profile name)
# and then to confirm again ("again"); those two steps are taken only when the bot asks.
STEPS = ["hi", "Book", "service", "master", "day", "time", "Confirm", "name", "again"]
ONLY_WHEN_OFFERED = {"name": "name:", "again": "ok:"}

SETUP = f"""
from decimal import Decimal
from accounts.models import User
from salons.models import Master, Salon, Service
owner = User.objects.create_user("bench@example.com", "bench-pass-123")
salon = Salon.objects.create(owner=owner, name="Bench", timezone="Europe/Berlin",
                             whatsapp_phone_number_id="{PHONE_NUMBER_ID}",
                             max_messages_per_month=10**9, max_bookings_per_month=10**9)
day = {{"enabled": True, "start": "00:00", "end": "23:59"}}
week = {{d: day for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}}
services = [Service.objects.create(salon=salon, name=n, duration_minutes=m, price=Decimal(p))
            for n, m, p in (("Haircut", 60, "35"), ("Manicure", 45, "30"), ("Colouring", 120, "90"))]
for name in ("Anna", "Bea", "Carla"):
    Master.objects.create(salon=salon, name=name, working_hours=week).services.set(services)
print("ok")
"""
# Where each reply's time went, from the rows: the webhook stored (received_at), the message
# stored by the processing task, the reply queued by the bot, the reply accepted by Graph (sent_at).
STAGES = """
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute(
        "SELECT EXTRACT(EPOCH FROM m.created_at - e.received_at) * 1000,"
        " EXTRACT(EPOCH FROM r.created_at - m.created_at) * 1000,"
        " EXTRACT(EPOCH FROM r.sent_at - r.created_at) * 1000"
        " FROM messaging_message m"
        " JOIN messaging_message r ON r.idempotency_key = 'bot:' || m.id::text"
        " JOIN messaging_webhookevent e ON e.body LIKE '%%' || m.wamid || '%%'"
        " WHERE m.direction = 'IN' AND r.sent_at IS NOT NULL"
    )
    rows = cursor.fetchall()
names = ("webhook stored -> message ingested", "ingested -> reply queued by the bot", "queued -> accepted by Graph")
for i, name in enumerate(names):
    values = sorted(float(r[i]) for r in rows)
    if values:
        print(f"    {name:<38} p50={values[len(values) // 2]:6.1f}ms p95={values[int(len(values) * 0.95)]:6.1f}ms")
"""
COUNT = """
from bookings.models import Booking
from messaging.models import Message, WebhookEvent
print(Booking.objects.filter(source="whatsapp").count(), Message.objects.filter(direction="OUT").count(),
      WebhookEvent.objects.exclude(error="").count())
"""


class FakeGraph(BaseHTTPRequestHandler):
    """Accepts every send; hands each body, with its arrival time, to the waiting customer."""

    inboxes: dict[str, queue.Queue] = {}
    counter = itertools.count(1)
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        arrived = time.perf_counter()
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        FakeGraph.inboxes.setdefault(body["to"], queue.Queue()).put((arrived, body))
        answer = json.dumps({"messaging_product": "whatsapp", "messages": [{"id": f"wamid.B-{next(self.counter)}"}]})
        data = answer.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def options(body: dict) -> list[tuple[str, str]]:
    interactive = body.get("interactive") or {}
    if interactive.get("type") == "list":
        return [(r["id"], r["title"]) for s in interactive["action"]["sections"] for r in s["rows"]]
    if interactive.get("type") == "button":
        return [(b["reply"]["id"], b["reply"]["title"]) for b in interactive["action"]["buttons"]]
    return []


def webhook_body(wa_id: str, n: int, text: str | None = None, reply: tuple[str, str, str] | None = None) -> bytes:
    item = {"from": wa_id, "id": f"wamid.BENCH-{wa_id}-{n}", "timestamp": str(int(time.time()) + n)}
    if reply is None:
        item.update(type="text", text={"body": text})
    else:
        kind, reply_id, title = reply
        item.update(type="interactive", interactive={"type": kind, kind: {"id": reply_id, "title": title}})
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "351210000111", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": "Bench Customer"}, "wa_id": wa_id}],
        "messages": [item],
    }
    change = {"field": "messages", "value": value}
    body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}
    return json.dumps(body).encode()


def customer(k: int, url: str, results: dict, lock: threading.Lock) -> None:
    """One customer's booking: each step waits for the previous reply, and picks from it."""
    wa_id = f"49151{k:08d}"
    inbox = FakeGraph.inboxes.setdefault(wa_id, queue.Queue())
    last: dict = {}
    # A different day and time per customer, so concurrent customers do not race for one slot.
    picks = {
        "Book": 0,
        "service": k % 3,
        "master": 0,
        "day": k % 9,
        "time": (k // 9) % 9,
        "Confirm": 0,
        "name": 0,
        "again": 0,
    }
    timings: list[tuple[str, float, float]] = []
    with httpx.Client(timeout=30) as http:
        for n, step in enumerate(STEPS):
            if step == "hi":
                body = webhook_body(wa_id, n, text="hi")
            else:
                offered = options(last)
                if step in ONLY_WHEN_OFFERED:
                    offered = [o for o in offered if o[0].startswith(ONLY_WHEN_OFFERED[step])]
                    if not offered:
                        continue
                if not offered:
                    raise RuntimeError(f"customer {k}, step {step}: the reply offers nothing to pick: {last}")
                # Late in the day fewer times are left: wrap around rather than fail.
                reply_id, title = offered[picks[step] % len(offered)]
                kind = "button_reply" if last["interactive"]["type"] == "button" else "list_reply"
                body = webhook_body(wa_id, n, reply=(kind, reply_id, title))
            headers = {"X-Hub-Signature-256": sign(body, SECRET), "Content-Type": "application/json"}
            t0 = time.perf_counter()
            response = http.post(url, content=body, headers=headers)
            acked = time.perf_counter()
            if response.status_code != 200:
                raise RuntimeError(f"webhook answered {response.status_code}")
            arrived, last = inbox.get(timeout=30)
            timings.append((step, acked - t0, arrived - t0))
    booked = last.get("type") == "text" and last["text"]["body"].startswith("Booked!")
    with lock:
        if not booked and "unbooked" not in results:
            results["unbooked"] = last
        results["timings"].extend(timings)
        results["booked"] += booked


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def main():
    # A TERM or HUP (a closed terminal, a CI timeout) must still stop the server and worker this
    # script started and drop its database (the finally below).
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=40)
    parser.add_argument("--parallel", type=int, default=4, help="customers chatting at the same time")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--celery-concurrency", type=int, default=4)
    args = parser.parse_args()

    graph = ThreadingHTTPServer(("127.0.0.1", 0), FakeGraph)
    threading.Thread(target=graph.serve_forever, daemon=True).start()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
        "REDIS_URL": REDIS_DB_URL,
        "CELERY_BROKER_URL": REDIS_DB_URL,
        "CACHE_KEY_PREFIX": f"bench-bot-{DB}",
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "x" * 60,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "WHATSAPP_APP_SECRET": SECRET,
        "WHATSAPP_BACKEND": "cloud",
        "WHATSAPP_API_BASE_URL": f"http://127.0.0.1:{graph.server_port}",
        "WHATSAPP_ACCESS_TOKEN": "bench-token",
        "LOG_LEVEL": "WARNING",
        "SALONBOT_VAR_DIR": f"/tmp/salonbot-{DB}",
    }
    for sql in (f"DROP DATABASE IF EXISTS {DB}", f"CREATE DATABASE {DB}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)
    subprocess.run(["redis-cli", "-u", REDIS_DB_URL, "flushdb"], check=True, capture_output=True)
    python = str(ROOT / ".venv/bin/python")
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([python, "manage.py", "shell", "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            *(str(ROOT / ".venv/bin/gunicorn"), "salonbot.wsgi", "-w", str(args.workers)),
            *("-b", f"127.0.0.1:{port}", "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
    )
    worker = subprocess.Popen(
        [
            *(str(ROOT / ".venv/bin/celery"), "-A", "salonbot", "worker", "-c", str(args.celery_concurrency)),
            *("-P", "prefork", "--loglevel", "WARNING", "--without-gossip", "--without-mingle"),
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        url = f"http://127.0.0.1:{port}/api/whatsapp/webhook"
        lock = threading.Lock()
        # Warm-up: every worker process imports, connects and fills its caches before timing.
        warm = {"timings": [], "booked": 0}
        warmers = [threading.Thread(target=customer, args=(10_000 + k, url, warm, lock)) for k in range(args.parallel)]
        for thread in warmers:
            thread.start()
        for thread in warmers:
            thread.join()

        results = {"timings": [], "booked": 0}
        pending = iter(range(args.customers))

        def run() -> None:
            for k in pending:
                customer(k, url, results, lock)

        began = time.monotonic()
        threads = [threading.Thread(target=run) for _ in range(args.parallel)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began

        timings = results["timings"]
        print(
            f"bot latency: {args.customers} customers x up to {len(STEPS)} steps, {args.parallel} at a time, "
            f"gunicorn -w {args.workers}, celery -c {args.celery_concurrency} (prefork), PostgreSQL, Redis broker"
        )
        print(f"  {len(timings)} replies in {elapsed:.1f}s; bookings made: {results['booked']}/{args.customers}")
        replies = [t[2] * 1000 for t in timings]
        acks = [t[1] * 1000 for t in timings]
        print(
            f"  POST -> reply at Graph: p50={statistics.median(replies):.1f}ms p95={percentile(replies, 0.95):.1f}ms "
            f"max={max(replies):.1f}ms"
        )
        print(f"  webhook 200:            p50={statistics.median(acks):.1f}ms p95={percentile(acks, 0.95):.1f}ms")
        for step in STEPS:
            values = [t[2] * 1000 for t in timings if t[0] == step]
            if not values:
                continue
            print(f"    {step:<8} p50={statistics.median(values):6.1f}ms p95={percentile(values, 0.95):6.1f}ms")
        out = subprocess.run(
            [python, "manage.py", "shell", "-c", COUNT], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        )
        bookings, sent, errors = out.stdout.strip().splitlines()[-1].split()
        print(f"  in the database: {bookings} WhatsApp bookings, {sent} outbound messages, {errors} webhook errors")
        stages = subprocess.run(
            [python, "manage.py", "shell", "-c", STAGES], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        )
        print("  stages, from the database (replies the bot queued under its own key):")
        print(stages.stdout.rstrip())
        if "unbooked" in results:
            print(f"  a customer's last reply when not booked: {json.dumps(results['unbooked'])[:600]}")
    finally:
        for process in (worker, server):
            process.terminate()
            process.wait(20)
        graph.shutdown()
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE IF EXISTS {DB}"])


if __name__ == "__main__":
    main()
