"""Reminder throughput: how many due reminders one Celery worker sends per second.

A database of its own (PostgreSQL), Redis as the broker, a fake Graph API on loopback that
answers every send with a wamid. N bookings each have a reminder due now; the script runs the
dispatcher once (as beat would) and times until the fake server has accepted N messages.

    .venv/bin/python benchmarks/bench_reminders.py [--reminders 1000] [--concurrency 2]
"""

import argparse
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = "salonbot_bench_reminders"
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")


class FakeGraph(BaseHTTPRequestHandler):
    accepted = 0
    lock = threading.Lock()
    counter = itertools.count(1)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with FakeGraph.lock:
            FakeGraph.accepted += 1
            wamid = f"wamid.BENCH-{next(FakeGraph.counter)}"
        body = json.dumps({"messaging_product": "whatsapp", "messages": [{"id": wamid}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reminders", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()

    graph = ThreadingHTTPServer(("127.0.0.1", 0), FakeGraph)
    threading.Thread(target=graph.serve_forever, daemon=True).start()
    env = {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
        "REDIS_URL": REDIS,
        "CELERY_BROKER_URL": REDIS,
        "WHATSAPP_BACKEND": "cloud",
        "WHATSAPP_API_BASE_URL": f"http://127.0.0.1:{graph.server_port}",
        "WHATSAPP_ACCESS_TOKEN": "bench-token",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "salonbot.settings",
        "SALONBOT_VAR_DIR": "/tmp/salonbot-bench-reminders",
    }
    os.environ.update(env)
    for sql in (f"DROP DATABASE IF EXISTS {DB}", f"CREATE DATABASE {DB}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)
    subprocess.run(["redis-cli", "-u", REDIS, "flushdb"], check=True, capture_output=True)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from accounts.models import User
    from bookings.models import Booking, Reminder, ReminderStatus
    from messaging.models import Conversation, Message, MessageStatus
    from messaging.services.reminders import dispatch_due_reminders
    from messaging.tasks import send_reminder
    from salons.models import Customer, Master, Salon

    owner = User.objects.create_user("bench@example.com", "bench-pass-123")
    salon = Salon.objects.create(
        owner=owner,
        name="Bench",
        timezone="Europe/Berlin",
        whatsapp_phone_number_id="100000000000001",
        max_messages_per_month=10**9,
    )
    master = Master.objects.create(salon=salon, name="Anna")
    now = timezone.now()
    customers = Customer.objects.bulk_create(
        [
            Customer(salon=salon, phone=f"+4917{i:09d}", name=f"C{i}", wa_id=f"4917{i:09d}")
            for i in range(args.reminders)
        ]
    )
    Conversation.objects.bulk_create(
        [Conversation(salon=salon, customer=c, wa_id=c.wa_id, last_inbound_at=now) for c in customers]
    )
    bookings = Booking.objects.bulk_create(
        [
            Booking(
                salon=salon,
                master=master,
                customer=c,
                customer_name=c.name,
                customer_phone=c.phone,
                start_ts=now + timedelta(hours=2, minutes=30 * i),
                end_ts=now + timedelta(hours=2, minutes=30 * i + 30),
            )
            for i, c in enumerate(customers)
        ]
    )
    Reminder.objects.bulk_create(
        [
            Reminder(salon=salon, booking=b, offset_minutes=120, scheduled_at=now - timedelta(seconds=1))
            for b in bookings
        ]
    )

    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "salonbot",
            "worker",
            "--loglevel=WARNING",
            f"--concurrency={args.concurrency}",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    try:
        time.sleep(4)  # worker boot
        t0 = time.perf_counter()
        ids = []
        while True:  # what beat does every minute, in batches of 200
            batch = dispatch_due_reminders()
            if not batch:
                break
            ids += batch
            for reminder_id in batch:
                send_reminder.delay(reminder_id)
        deadline = time.monotonic() + 600
        while FakeGraph.accepted < args.reminders and time.monotonic() < deadline:
            time.sleep(0.05)
        elapsed = time.perf_counter() - t0
        time.sleep(2)
        sent_reminders = Reminder.objects.filter(status=ReminderStatus.SENT).count()
        sent_messages = Message.objects.filter(status=MessageStatus.SENT).count()
        print(
            f"{args.reminders} due reminders, one worker (--concurrency={args.concurrency}), Redis broker, PostgreSQL"
        )
        print(
            f"  claimed {len(ids)}; fake Graph accepted {FakeGraph.accepted}; reminders SENT {sent_reminders}; "
            f"messages SENT {sent_messages}"
        )
        print(f"  {FakeGraph.accepted / elapsed:.1f} reminders sent per second ({elapsed:.2f}s in all)")
    finally:
        worker.terminate()
        worker.wait(20)
        graph.shutdown()


if __name__ == "__main__":
    main()
