"""Two instances behind a real proxy: one PostgreSQL, one Redis, two gunicorns behind nginx, two workers.

Each test speaks HTTPS to nginx like a client or Meta would, and checks the outcome in the
database and in the processes' own logs (which instance or worker did what).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from messaging.whatsapp.signature import sign
from tests.gateway.conftest import fresh_window
from tests.messaging import meta
from tests.scale import stack
from tests.scale.conftest import METRICS_TOKEN, PASSWORD, POOL_MAX, SECRET, WEB_WORKERS

pytestmark = pytest.mark.scale

WEBHOOK = "/api/whatsapp/webhook"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def webhook_body(number: str, wamid: str, sender: str = "491700000001") -> bytes:
    body = meta.messages(meta.text(wamid, "Hi", ts=int(time.time()), sender=sender), phone_number_id=number)
    return json.dumps(body).encode()


def post_webhook(client: httpx.Client, raw: bytes, **headers) -> httpx.Response:
    signed = {"X-Hub-Signature-256": sign(raw, SECRET), "Content-Type": "application/json", **headers}
    for attempt in range(5):  # a client retries a connection the loaded machine dropped
        try:
            return client.post(WEBHOOK, content=raw, headers=signed)
        except httpx.TransportError:
            if attempt == 4:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


def upstreams_of(proxy, request_ids: set[str]) -> Counter:
    return Counter(line["upstream"] for line in proxy.access_log() if line["request_id"] in request_ids)


def succeeded(worker, task: str = "messaging.process_webhook_event") -> int:
    return sum(
        1
        for line in worker.json_lines()
        if f"Task {task}[" in line.get("message", "") and "succeeded" in line["message"]
    )


def test_the_per_user_rate_limit_is_one_budget_across_both_instances(two_instances):
    proxy, limited = two_instances["proxy"], two_instances["data"]["limit"]
    fresh_window(f"user:{limited['user']}", 60, margin=20)
    ids = [f"limit-{i}" for i in range(110)]

    def call(request_id):
        with proxy.client() as client:
            return client.get("/api/auth/me", headers={**bearer(limited["token"]), "X-Request-ID": request_id})

    with ThreadPoolExecutor(8) as pool:
        statuses = Counter(response.status_code for response in pool.map(call, ids))
    # 100/m (the default) for the user, whichever instance counted: 110 requests, 10 refused.
    assert statuses == {200: 100, 429: 10}
    served = upstreams_of(proxy, set(ids))
    assert len(served) == 2 and min(served.values()) >= 20, served  # both instances took their share


def test_a_changed_number_routes_correctly_on_both_workers_within_a_second(two_instances):
    proxy, data, primary = two_instances["proxy"], two_instances["data"], two_instances["primary"]
    workers = two_instances["workers"]
    a, b = data["a"], data["b"]
    new_number = "429100000000003"

    def send_until_each_worker_ran_one(number: str, prefix: str) -> list[str]:
        """Send webhooks for `number` until each worker processed at least one of them."""
        baseline = [succeeded(w) for w in workers]
        sent = []
        with proxy.client() as client:
            for batch in range(40):
                for i in range(4):
                    wamid = f"wamid.{prefix}-{batch}-{i}"
                    assert post_webhook(client, webhook_body(number, wamid)).status_code == 200
                    sent.append(wamid)
                try:
                    stack.wait_until(
                        lambda: all(succeeded(w) > base for w, base in zip(workers, baseline, strict=True)),
                        seconds=3,
                        what="both workers",
                    )
                    return sent
                except TimeoutError:
                    continue
        raise AssertionError(f"a worker never took a task: {[succeeded(w) for w in workers]}")

    # Both workers have salon A cached under its number.
    warm = send_until_each_worker_ran_one(a["number"], "ROUTE-WARM")
    stack.wait_until(
        lambda: (
            primary.sql("SELECT count(*) FROM messaging_message WHERE wamid LIKE 'wamid.ROUTE-WARM-%%'")[0][0]
            == len(warm)
        ),
        what="warm-up messages stored",
    )

    # A moves to a new number, B takes A's old one (through the API, on whichever instance).
    with proxy.client() as client:
        moved = client.patch(
            f"/api/salons/{a['salon']}", json={"whatsapp_phone_number_id": new_number}, headers=bearer(a["token"])
        )
        assert moved.status_code == 200, moved.text
        taken = client.patch(
            f"/api/salons/{b['salon']}", json={"whatsapp_phone_number_id": a["number"]}, headers=bearer(b["token"])
        )
        assert taken.status_code == 200, taken.text
    time.sleep(1.0)  # the promise under test: every process sees a change within a second

    to_b = send_until_each_worker_ran_one(a["number"], "ROUTE-TO-B")
    to_a = send_until_each_worker_ran_one(new_number, "ROUTE-TO-A")
    expected = len(to_b) + len(to_a)

    def stored():
        rows = primary.sql("SELECT wamid, salon_id::text FROM messaging_message WHERE wamid LIKE 'wamid.ROUTE-TO-%%'")
        return rows if len(rows) == expected else None

    rows = stack.wait_until(stored, what="routed messages stored")
    wrong = [wamid for wamid, salon in rows if salon != (b["salon"] if "TO-B" in wamid else a["salon"])]
    assert not wrong, f"misrouted after the change: {wrong}"


def test_a_replay_storm_over_both_instances_stores_each_message_once(two_instances):
    proxy, data, primary = two_instances["proxy"], two_instances["data"], two_instances["primary"]
    number = primary.sql("SELECT whatsapp_phone_number_id FROM salons_salon WHERE id = %s", [data["b"]["salon"]])[0][0]
    bodies = [webhook_body(number, f"wamid.STORM-{i}", sender=f"4917000001{i:02d}") for i in range(15)]
    deliveries = [(f"storm-{i}-{copy}", body) for copy in range(6) for i, body in enumerate(bodies)]
    barrier = threading.Barrier(12)

    def deliver(chunk):
        with proxy.client() as client:
            barrier.wait(60)
            return [post_webhook(client, body, **{"X-Request-ID": rid}).status_code for rid, body in chunk]

    chunks = [deliveries[i::12] for i in range(12)]
    with ThreadPoolExecutor(12) as pool:
        statuses = [status for result in pool.map(deliver, chunks) for status in result]
    assert statuses == [200] * len(deliveries)
    served = upstreams_of(proxy, {rid for rid, _ in deliveries})
    assert len(served) == 2, served

    stack.wait_until(
        lambda: (
            primary.sql(
                "SELECT count(*) FROM messaging_webhookevent"
                " WHERE body LIKE '%%wamid.STORM-%%' AND processed_at IS NOT NULL"
            )[0][0]
            == len(deliveries)
        ),
        seconds=120,
        what="every delivery processed",
    )
    counts = dict(
        primary.sql("SELECT wamid, count(*) FROM messaging_message WHERE wamid LIKE 'wamid.STORM-%%' GROUP BY wamid")
    )
    assert counts == {f"wamid.STORM-{i}": 1 for i in range(15)}


def test_a_booking_race_across_both_instances_books_once(two_instances):
    proxy, data, primary = two_instances["proxy"], two_instances["data"], two_instances["primary"]
    a = data["a"]
    start = (datetime.now(UTC) + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    body = {
        "salon_id": a["salon"],
        "master_id": a["master"],
        "service_id": a["service"],
        "start_ts": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "customer_name": "Racer",
        "customer_phone": "+4915112340000",
    }
    racers = 16
    barrier = threading.Barrier(racers)

    def book(i):
        with proxy.client() as client:
            barrier.wait(60)
            return client.post("/api/bookings", json=body, headers={**bearer(a["token"]), "X-Request-ID": f"race-{i}"})

    with ThreadPoolExecutor(racers) as pool:
        responses = list(pool.map(book, range(racers)))
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: racers - 1}, [r.text for r in responses if r.status_code not in (201, 409)]
    assert len(upstreams_of(proxy, {f"race-{i}" for i in range(racers)})) == 2
    assert primary.sql(
        "SELECT count(*) FROM bookings_booking WHERE master_id = %s AND start_ts = %s", [a["master"], start]
    ) == [(1,)]


def test_connections_stay_bounded_under_200_concurrent_clients(two_instances):
    proxy, primary = two_instances["proxy"], two_instances["primary"]
    clients, requests_each = 200, 4
    peak: Counter = Counter()
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            rows = primary.sql(
                "SELECT application_name, count(*) FROM pg_stat_activity WHERE usename = 'salonbot_app' GROUP BY 1",
                db="postgres",
            )
            for name, count in rows:
                peak[name] = max(peak[name], count)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    barrier = threading.Barrier(clients)
    raw = json.dumps({"object": "whatsapp_business_account", "entry": []}).encode()

    def client_run(i):
        with proxy.client() as client:
            barrier.wait(120)
            return [post_webhook(client, raw).status_code for _ in range(requests_each)]

    started = time.monotonic()
    try:
        with ThreadPoolExecutor(clients) as pool:
            statuses = Counter(s for result in pool.map(client_run, range(clients)) for s in result)
    finally:
        stop.set()
        sampler.join()
    elapsed = time.monotonic() - started
    web = peak["salonbot-web-a"] + peak["salonbot-web-b"]
    print(f"\n200 clients × {requests_each} webhook deliveries in {elapsed:.1f}s; peak connections {dict(peak)}")
    assert statuses == {200: clients * requests_each}
    # psycopg's pool: at most DB_POOL_MAX_SIZE per gunicorn worker, however many clients wait.
    assert 0 < peak["salonbot-web-a"] <= WEB_WORKERS * POOL_MAX
    assert 0 < peak["salonbot-web-b"] <= WEB_WORKERS * POOL_MAX
    assert web <= 2 * WEB_WORKERS * POOL_MAX


def scrape(url: str) -> dict[str, float]:
    response = httpx.get(url, headers=bearer(METRICS_TOKEN), timeout=10)
    assert response.status_code == 200, response.text
    totals: Counter = Counter()
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()) if k != "pid")
            totals[f"{sample.name}{{{labels}}}"] += sample.value
    return totals


def test_each_instance_and_worker_serves_its_metrics_and_the_proxy_does_not(two_instances):
    proxy = two_instances["proxy"]
    with proxy.client() as client:
        assert client.get("/metrics", headers=bearer(METRICS_TOKEN)).status_code == 404
    web = Counter()
    for _, port in two_instances["web"].values():
        web.update(scrape(f"http://127.0.0.1:{port}/metrics"))
    assert web["salonbot_bookings_created_total{}"] >= 1  # the race's booking, on one of the two
    assert web['salonbot_webhook_events_received_total{result="accepted"}'] >= 90
    assert any(
        k.startswith('salonbot_http_request_duration_seconds_count{method="POST",route="api/bookings",status="409"')
        for k in web
    )
    assert 'salonbot_celery_queue_depth{queue="celery"}' in web
    workers = Counter()
    for port in two_instances["worker_metrics_ports"]:
        workers.update(scrape(f"http://127.0.0.1:{port}/metrics"))
    assert workers['salonbot_webhook_events_processed_total{outcome="ok"}'] >= 90
    assert workers['salonbot_celery_tasks_total{outcome="success",task="messaging.process_webhook_event"}'] >= 90


def test_a_request_id_given_to_the_proxy_is_in_the_instance_s_json_log(two_instances):
    proxy, data = two_instances["proxy"], two_instances["data"]
    with proxy.client() as client:
        given = client.get("/api/salons", headers={**bearer(data["a"]["token"]), "X-Request-ID": "trace-given-123"})
        made = client.get("/api/salons", headers=bearer(data["a"]["token"]))
    assert given.headers["X-Request-ID"] == "trace-given-123"
    generated = made.headers["X-Request-ID"]
    assert generated and generated != "trace-given-123"  # nginx's $request_id

    def logged(request_id):
        for process, _ in two_instances["web"].values():
            for line in process.json_lines():
                if line.get("request_id") == request_id and line.get("logger") == "salonbot.request":
                    return line
        return None

    line = stack.wait_until(lambda: logged("trace-given-123"), seconds=10, what="the request's log line")
    assert line["path"] == "/api/salons" and line["status"] == 200 and line["user"] == data["a"]["owner"]
    assert line["duration_ms"] > 0
    assert stack.wait_until(lambda: logged(generated), seconds=10, what="the generated id's log line")
    assert any(entry["request_id"] == generated for entry in proxy.access_log())


def test_the_admin_works_over_tls_with_debug_off(two_instances):
    proxy = two_instances["proxy"]
    with proxy.client(follow_redirects=False) as client:
        page = client.get("/admin/login/")
        assert page.status_code == 200
        assert "Secure" in page.headers["set-cookie"]  # csrftoken, secure as DEBUG=0 wants
        assert page.headers["strict-transport-security"].startswith("max-age=")
        token = client.cookies["csrftoken"]
        login = client.post(
            "/admin/login/?next=/admin/",
            data={"username": "admin@scale.test", "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{proxy.url}/admin/login/", "Origin": proxy.url},
        )
        assert login.status_code == 302, login.text[:2000]
        assert login.headers["location"] == "/admin/"
        index = client.get("/admin/")
        assert index.status_code == 200
