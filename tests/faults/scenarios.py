"""Bounded load against the stack while a server is broken, and what it cost.

Client threads: readers (GET the salon, its bookings), a creator (POST /api/bookings, each in
a free slot of its own, some for customers with a WhatsApp conversation, so confirmations go
out) and a webhook sender (signed text messages from customers; like Meta, it sends a body again
until it is answered 200). Every answer is recorded with its start, end and status.

A scenario returns one row: requests, 500s (and other 5xx but 503), 503s, lost (a 201 booking
missing, an acknowledged webhook never processed, an outbound message never sent), duplicated
(overlapping bookings, a message sent to the Graph API twice, an inbound message stored twice)
and the recovery time (PostgreSQL: from accepting connections to the first answered request;
Redis: from its return to the last event of the outage processed).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import statistics
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from tests.faults.stack import APP_SECRET, CUSTOMERS, PHONE_NUMBER_ID, Stack

WEBHOOK_PATH = "/api/whatsapp/webhook"
PAUSE = 0.05  # between one thread's requests: bounded load, not a benchmark
SETTLE_SECONDS = 180  # how long processing may take after a scenario (the old code needs the sweep)


@dataclass
class Answer:
    kind: str  # read, create, webhook
    start: float
    end: float
    status: int  # 0: no HTTP answer (connection error, timeout)


@dataclass
class Row:
    scenario: str
    requests: int = 0
    errors_500: int = 0
    errors_503: int = 0
    lost: int = 0
    duplicated: int = 0
    recovery: float | None = None
    webhook_p95_ms: float | None = None
    notes: list[str] = field(default_factory=list)

    def cells(self) -> list[str]:
        recovery = "-" if self.recovery is None else f"{self.recovery:.2f} s"
        p95 = "-" if self.webhook_p95_ms is None else f"{self.webhook_p95_ms:.0f} ms"
        five = f"{self.errors_500 + self.errors_503} ({self.errors_500} × 500, {self.errors_503} × 503)"
        return [self.scenario, str(self.requests), five, str(self.lost), str(self.duplicated), recovery, p95]


HEADERS = ["scenario", "requests", "5xx", "lost", "duplicated", "recovery time", "webhook p95"]


def table(rows: list[Row]) -> str:
    cells = [HEADERS, *[row.cells() for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(HEADERS))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


_slots = itertools.count()


class Load:
    """Client threads against the stack until `stop()`."""

    def __init__(self, stack: Stack, *, readers: int = 2):
        self.stack = stack
        self.answers: list[Answer] = []
        self.created: list[str] = []  # booking ids answered 201
        self.acknowledged: list[str] = []  # wamids answered 200
        self.webhooks_pending = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        token = stack.data["token"]
        self.headers = {"Authorization": f"Bearer {token}"}
        self.threads = [threading.Thread(target=self._reader, daemon=True) for _ in range(readers)]
        self.threads += [
            threading.Thread(target=self._creator, daemon=True),
            threading.Thread(target=self._webhooks, daemon=True),
        ]
        # Slots from two days ahead, on the half hour in UTC: each create its own, none overlapping.
        self.base = (datetime.now(UTC) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)

    def start(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self.threads:
            thread.join(120)

    def _record(self, kind: str, start: float, status: int) -> None:
        with self._lock:
            self.answers.append(Answer(kind, start, time.monotonic(), status))

    def _request(self, client: httpx.Client, kind: str, method: str, path: str, **kwargs) -> httpx.Response | None:
        start = time.monotonic()
        try:
            response = client.request(method, path, **kwargs)
        except httpx.HTTPError:
            self._record(kind, start, 0)
            return None
        self._record(kind, start, response.status_code)
        return response

    def _client(self) -> httpx.Client:
        return httpx.Client(base_url=self.stack.url, timeout=60)

    def _reader(self) -> None:
        salon = self.stack.data["salon"]
        paths = itertools.cycle([f"/api/salons/{salon}", f"/api/bookings?salon_id={salon}", "/api/salons"])
        with self._client() as client:
            while not self._stop.is_set():
                self._request(client, "read", "GET", next(paths), headers=self.headers)
                time.sleep(PAUSE)

    def _creator(self) -> None:
        data = self.stack.data
        masters = data["masters"]
        with self._client() as client:
            while not self._stop.is_set():
                slot = next(_slots)
                master = masters[slot % len(masters)]
                start = self.base + timedelta(minutes=30 * (slot // len(masters)))
                body = {
                    "salon_id": data["salon"],
                    "master_id": master,
                    "service_id": data["service"],
                    "customer_name": "Fault Customer",
                    "customer_phone": "+" + CUSTOMERS[slot % len(CUSTOMERS)],
                    "start_ts": start.isoformat(),
                }
                response = self._request(client, "create", "POST", "/api/bookings", json=body, headers=self.headers)
                if response is not None and response.status_code == 201:
                    with self._lock:
                        self.created.append(response.json()["id"])
                time.sleep(PAUSE)

    def _send_until_acknowledged(self, client: httpx.Client, wamid: str, raw: bytes) -> None:
        """As Meta does: the same body again (here every 0.2 s) until it is answered 200.

        After stop() it keeps trying for a minute: a body Meta still holds is not lost.
        """
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw)}
        give_up_at = None
        while True:
            response = self._request(client, "webhook", "POST", WEBHOOK_PATH, content=raw, headers=headers)
            if response is not None and response.status_code == 200:
                with self._lock:
                    self.acknowledged.append(wamid)
                return
            if self._stop.is_set():
                give_up_at = give_up_at or time.monotonic() + 60
                if time.monotonic() > give_up_at:
                    return
            time.sleep(0.2)

    def _webhooks(self) -> None:
        with self._client() as client:
            for n in itertools.count():
                if self._stop.is_set():
                    return
                wamid = f"wamid.FAULT-{uuid.uuid4().hex}"
                raw = webhook_body(wamid, CUSTOMERS[n % len(CUSTOMERS)], "Olá! Queria marcar um corte")
                self._send_until_acknowledged(client, wamid, raw)
                time.sleep(PAUSE)


def sign(raw: bytes) -> str:
    return "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()


def webhook_body(wamid: str, sender: str, text: str) -> bytes:
    message = {"from": sender, "id": wamid, "timestamp": str(int(time.time())), "type": "text", "text": {"body": text}}
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "351210000111", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": "Fault Customer"}, "wa_id": sender}],
        "messages": [message],
    }
    change = {"field": "messages", "value": value}
    body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}
    return json.dumps(body).encode()


# --- what it cost ------------------------------------------------------------------------------


def outstanding(stack: Stack, load: Load) -> dict[str, int]:
    """What is not done yet: acknowledged webhooks not processed, outbound messages not sent."""
    wamids = list(load.acknowledged)
    rows = stack.sql("SELECT wamid FROM messaging_message WHERE direction = 'IN' AND wamid = ANY(%s)", [wamids])
    stored = {wamid for (wamid,) in rows}
    unprocessed = stack.sql("SELECT count(*) FROM messaging_webhookevent WHERE processed_at IS NULL")[0][0]
    queued = stack.sql("SELECT count(*) FROM messaging_message WHERE direction = 'OUT' AND status = 'QUEUED'")[0][0]
    return {"webhooks": len(set(wamids) - stored), "events": unprocessed, "outbound": queued}


def settle(stack: Stack, load: Load, *, seconds: float = SETTLE_SECONDS) -> float | None:
    """Wait until everything acknowledged is processed and sent; the time it took, None if never."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if not any(outstanding(stack, load).values()):
            return time.monotonic() - started
        time.sleep(0.25)
    return None


def count_cost(stack: Stack, load: Load, row: Row, answers: list[Answer]) -> Row:
    row.requests = len(answers)
    row.errors_503 = sum(1 for a in answers if a.status == 503)
    row.errors_500 = sum(1 for a in answers if a.status >= 500 and a.status != 503)
    left = outstanding(stack, load)
    created = list(load.created)
    found = stack.sql("SELECT count(*) FROM bookings_booking WHERE id::text = ANY(%s)", [created])[0][0]
    row.lost = left["webhooks"] + left["outbound"] + (len(created) - found)
    if left["webhooks"] or left["outbound"] or len(created) != found:
        row.notes.append(
            f"lost: {left['webhooks']} webhooks, {left['outbound']} outbound, {len(created) - found} bookings"
        )
    overlaps = stack.sql(
        """SELECT count(*) FROM bookings_booking a JOIN bookings_booking b
           ON a.master_id = b.master_id AND a.id < b.id AND a.start_ts < b.end_ts AND b.start_ts < a.end_ts
           WHERE a.status IN ('CONFIRMED', 'IN_PROGRESS') AND b.status IN ('CONFIRMED', 'IN_PROGRESS')"""
    )[0][0]
    sends = Counter(body.get("biz_opaque_callback_data") for _, body, _ in list(stack.graph.accepted))
    twice = sum(1 for key, n in sends.items() if key and n > 1)
    inbound_twice = stack.sql(
        "SELECT count(*) FROM (SELECT wamid FROM messaging_message WHERE direction = 'IN' "
        "GROUP BY salon_id, wamid HAVING count(*) > 1) d"
    )[0][0]
    row.duplicated = overlaps + twice + inbound_twice
    if row.duplicated:
        row.notes.append(f"duplicated: {overlaps} overlaps, {twice} sent twice, {inbound_twice} inbound twice")
    return row


def p95(values: list[float]) -> float | None:
    if len(values) < 2:
        return values[0] if values else None
    return statistics.quantiles(values, n=20)[18]


# --- the scenarios ------------------------------------------------------------------------------


def _watch_accepting(stack: Stack, result: dict, done: threading.Event) -> None:
    """Note when PostgreSQL refuses and, after that, when it first accepts again."""
    down_seen = False
    while not done.is_set():
        if stack.accepting():
            if down_seen:
                result["accepting_at"] = time.monotonic()
                return
        else:
            down_seen = True
        time.sleep(0.02)


def postgres_outage(stack: Stack, name: str, fault, *, before: float = 4.0, after: float = 6.0) -> Row:
    """Load, `fault(stack)` (a restart or a stop), load until `after` s past the recovery."""
    load = Load(stack).start()
    time.sleep(before)
    watch: dict = {}
    done = threading.Event()
    watcher = threading.Thread(target=_watch_accepting, args=(stack, watch, done), daemon=True)
    fault_started = time.monotonic()
    watcher.start()
    fault(stack)
    watcher.join(60)
    done.set()
    accepting_at = watch.get("accepting_at") or time.monotonic()
    time.sleep(after)
    load.stop()
    row = Row(name)
    settle(stack, load)
    answers = list(load.answers)
    firsts = [a.end - accepting_at for a in answers if a.end >= accepting_at and 0 < a.status < 500]
    row.recovery = max(0.0, min(firsts)) if firsts else None
    row.notes.append(f"fault to accepting: {accepting_at - fault_started:.1f} s")
    return count_cost(stack, load, row, answers)


def fast_restart(stack: Stack) -> None:
    stack.pg_ctl("-m", "fast", "-w", "-t", "60", "restart")


def immediate_restart(stack: Stack) -> None:
    stack.pg_ctl("-m", "immediate", "-w", "-t", "60", "restart")


def stop_10_seconds(stack: Stack) -> None:
    stack.pg_ctl("-m", "fast", "-w", "-t", "60", "stop")
    time.sleep(10)
    stack.pg_ctl("-w", "-t", "60", "start")


POSTGRES_SCENARIOS = {
    "PostgreSQL fast restart": fast_restart,
    "PostgreSQL immediate restart": immediate_restart,
    "PostgreSQL stopped 10 s": stop_10_seconds,
}


def redis_outage(stack: Stack, *, down: float = 30.0, before: float = 4.0) -> Row:
    """Redis stopped for `down` seconds under load; every event of the outage processed afterwards."""
    load = Load(stack).start()
    time.sleep(before)
    stack.redis.stop()
    outage_start = time.monotonic()
    time.sleep(down)
    outage_end = time.monotonic()
    stack.redis.start()
    back_at = time.monotonic()
    time.sleep(3)
    load.stop()
    row = Row(f"Redis down {down:.0f} s")
    settled = settle(stack, load)
    answers = list(load.answers)
    row.recovery = _processed_after(stack, back_at) if settled is not None else None
    during = [(a.end - a.start) * 1000 for a in answers if a.kind == "webhook" and outage_start <= a.start < outage_end]
    row.webhook_p95_ms = p95(during)
    row.notes.append(f"{len(during)} webhooks during the outage")
    return count_cost(stack, load, row, answers)


def _processed_after(stack: Stack, back_at: float) -> float:
    """Seconds from Redis's return to the last webhook event's processing (the database's clock)."""
    (last,) = stack.sql("SELECT extract(epoch FROM max(processed_at)) FROM messaging_webhookevent")[0]
    back_wall = time.time() - (time.monotonic() - back_at)
    return max(0.0, float(last or back_wall) - back_wall)


def worker_and_beat_alive(stack: Stack) -> bool:
    return all(stack.process(name).alive() for name in ("web", "worker", "beat"))
