"""A real streaming replica (pg_basebackup of our own primary): what reads from it, and what does not.

Replay on the replica is paused while a booking is written on the primary, so any read served by the
replica visibly misses it: that is how a test can tell which server answered.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.scale import stack
from tests.scale.conftest import PASSWORD

pytestmark = pytest.mark.scale


@pytest.fixture(scope="module")
def replica(workdir, primary, migrated, two_instances):
    cluster = stack.Cluster(workdir / "replica").replica_of(primary)
    try:
        cluster.start()
        stack.wait_until(lambda: cluster.sql("SELECT pg_is_in_recovery()") == [(True,)], what="replica in recovery")
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="module")
def instance(replica, primary, workdir, web_env):
    """One gunicorn with DATABASE_REPLICA_URL, spoken to directly (no proxy: SECURE_SSL_REDIRECT=0)."""
    env = web_env(
        "web-r",
        DATABASE_REPLICA_URL=replica.url("salonbot_app", application_name="salonbot-web-r-replica"),
        DATABASE_REPLICA_PIN_SECONDS=60,  # longer than this module: the writer stays pinned
        DATABASE_REPLICA_RETRY_SECONDS=2,
        SECURE_SSL_REDIRECT=0,
    )
    process, port = stack.gunicorn("web-r", env, workdir / "logs", workers=1, threads=4)
    yield f"http://127.0.0.1:{port}"
    process.stop()


def token(base: str, email: str) -> str:
    response = httpx.post(f"{base}/api/auth/login", json={"email": email, "password": PASSWORD}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["access"]


def get(base: str, path: str, access: str) -> httpx.Response:
    return httpx.get(f"{base}{path}", headers={"Authorization": f"Bearer {access}"}, timeout=30)


def booking_ids(base: str, access: str, salon: str) -> set[str]:
    response = get(base, f"/api/bookings?salon_id={salon}&page_size=100", access)
    assert response.status_code == 200, response.text
    return {row["id"] for row in response.json()["results"]}


def book(base: str, access: str, who: dict, hours_ahead: int) -> dict:
    start = (datetime.now(UTC) + timedelta(days=4, hours=hours_ahead)).replace(minute=0, second=0, microsecond=0)
    body = {
        "salon_id": who["salon"],
        "master_id": who["master"],
        "service_id": who["service"],
        "start_ts": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "customer_name": "Replica",
        "customer_phone": "+4915112349999",
    }
    return httpx.post(f"{base}/api/bookings", json=body, headers={"Authorization": f"Bearer {access}"}, timeout=30)


@pytest.fixture(scope="module")
def tokens(instance, two_instances):
    data = two_instances["data"]
    return {"admin": token(instance, "admin@scale.test"), "b": token(instance, data["b"]["email"])}


def pause_replay(replica) -> None:
    replica.sql("SELECT pg_wal_replay_pause()")
    stack.wait_until(lambda: replica.sql("SELECT pg_get_wal_replay_pause_state()") == [("paused",)], what="paused")


def resume_replay(replica, primary) -> None:
    replica.sql("SELECT pg_wal_replay_resume()")
    (lsn,) = primary.sql("SELECT pg_current_wal_lsn()::text")[0]
    stack.wait_until(
        lambda: replica.sql("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]) == [(True,)],
        what="replica caught up",
    )


def test_a_list_is_served_by_the_replica(instance, replica, primary, tokens, two_instances):
    b = two_instances["data"]["b"]
    before = booking_ids(instance, tokens["admin"], b["salon"])
    pause_replay(replica)
    try:
        created = book(instance, tokens["b"], b, hours_ahead=0)
        assert created.status_code == 201, created.text
        new = created.json()["id"]
        assert primary.sql("SELECT count(*) FROM bookings_booking WHERE id = %s", [new]) == [(1,)]
        # The super admin's list comes from the replica, which has not replayed the booking yet.
        assert booking_ids(instance, tokens["admin"], b["salon"]) == before
    finally:
        resume_replay(replica, primary)
    assert booking_ids(instance, tokens["admin"], b["salon"]) == before | {new}


def test_a_write_then_a_read_in_the_same_request_sees_the_write(instance, replica, primary, tokens, two_instances):
    b = two_instances["data"]["b"]
    pause_replay(replica)
    try:
        # POST /api/bookings reads the booking back through the replica-eligible read path; had that
        # read gone to the paused replica it would not find the row (a 500, not a 201 with the body).
        created = book(instance, tokens["b"], b, hours_ahead=1)
        assert created.status_code == 201, created.text
        assert created.json()["customer"]["phone"] == "+4915112349999"
        # The writer's next request reads its own write too (pinned to the primary for a while)...
        assert created.json()["id"] in booking_ids(instance, tokens["b"], b["salon"])
        # ...while someone else's list is the replica's, without it.
        assert created.json()["id"] not in booking_ids(instance, tokens["admin"], b["salon"])
    finally:
        resume_replay(replica, primary)


def test_a_replica_that_is_down_does_not_fail_the_request(instance, replica, primary, tokens, two_instances):
    b = two_instances["data"]["b"]
    expected = {str(row[0]) for row in primary.sql("SELECT id FROM bookings_booking WHERE salon_id = %s", [b["salon"]])}
    replica.stop("fast")
    started = time.monotonic()
    assert booking_ids(instance, tokens["admin"], b["salon"]) == expected  # from the primary
    first = time.monotonic() - started
    started = time.monotonic()
    assert booking_ids(instance, tokens["admin"], b["salon"]) == expected
    again = time.monotonic() - started
    # The first read waits at most DATABASE_REPLICA_CONNECT_TIMEOUT (2 s) for the replica; then the
    # breaker skips it at once.
    assert first < 8 and again < 4, (first, again)
