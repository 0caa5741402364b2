"""Races through real HTTP: a live server, many threads, one master's time."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from itertools import pairwise

import httpx
import pytest
from django.db import connection, transaction
from rest_framework_simplejwt.tokens import RefreshToken

from bookings import services
from bookings.models import ActorKind, Booking, BookingSource
from tests import factories
from tests.bookings.conftest import booking_body, next_monday_at

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


# The live server is Django's development server (listen backlog 10, a thread per connection) on a
# machine other test runs load too. Rivals are sent in groups that start together at a barrier, one
# group after another: as many in flight as the race needs, never more than the backlog holds.
CONNECT_ATTEMPTS = 5


def post(url: str, headers: dict, body: dict) -> int:
    """POST once; a connection that could not be opened is tried again (nothing reached the server).

    Only ConnectError: after the request was sent, a retry could book twice, so anything else fails.
    """
    for attempt in range(CONNECT_ATTEMPTS):
        try:
            with httpx.Client(timeout=60) as client:
                return client.post(f"{url}/api/bookings", json=body, headers=headers).status_code
        except httpx.ConnectError:
            if attempt == CONNECT_ATTEMPTS - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def post_all(url: str, token: str, bodies: list[dict], *, group: int | None = None) -> list[int]:
    """POST `bodies`, `group` at a time released together (all of them at once by default)."""
    headers = {"Authorization": f"Bearer {token}"}
    size = group or len(bodies)
    codes: list[int] = []
    for start in range(0, len(bodies), size):
        rivals = bodies[start : start + size]
        barrier = threading.Barrier(len(rivals))

        def race(body, barrier=barrier):
            barrier.wait(30)
            return post(url, headers, body)

        with ThreadPoolExecutor(max_workers=len(rivals)) as pool:
            codes += list(pool.map(race, rivals))
    return codes


def assert_no_overlaps(master):
    rows = list(Booking.objects.filter(master=master).active().order_by("start_ts").values_list("start_ts", "end_ts"))
    for (_s1, e1), (s2, _e2) in pairwise(rows):
        assert s2 >= e1, "two active bookings of one master overlap"


def test_forty_racing_creates_book_exactly_the_non_overlapping_subset(live_server):
    salon = factories.SalonFactory()
    service = factories.ServiceFactory(salon=salon, duration_minutes=60)
    master = factories.MasterFactory(salon=salon, services=[service])
    base = next_monday_at(9)
    # 10 groups two hours apart, 4 requests per group at +0/+10/+20/+30 minutes: within a group
    # every pair overlaps, across groups none does. Exactly one request per group can win. The 4
    # rivals of a group are released together at a barrier, group after group.
    bodies = [
        booking_body(salon, master, service, base + timedelta(hours=2 * group, minutes=10 * k))
        for group in range(10)
        for k in range(4)
    ]
    token = str(RefreshToken.for_user(salon.owner).access_token)
    codes = post_all(live_server.url, token, bodies, group=4)
    assert [codes[i : i + 4].count(201) for i in range(0, 40, 4)] == [1] * 10, codes  # one winner per group
    assert codes.count(201) == 10, codes
    assert codes.count(409) == 30, codes
    assert Booking.objects.filter(master=master).count() == 10
    assert_no_overlaps(master)


def test_concurrent_any_master_requests_land_on_different_masters(live_server):
    salon = factories.SalonFactory()
    service = factories.ServiceFactory(salon=salon, duration_minutes=60)
    masters = [factories.MasterFactory(salon=salon, services=[service]) for _ in range(2)]
    start = next_monday_at(10)
    token = str(RefreshToken.for_user(salon.owner).access_token)
    codes = post_all(live_server.url, token, [booking_body(salon, None, service, start) for _ in range(2)])
    assert codes == [201, 201]
    assert set(Booking.objects.values_list("master_id", flat=True)) == {m.pk for m in masters}


def test_concurrent_any_master_requests_with_one_free_master(live_server):
    salon = factories.SalonFactory()
    service = factories.ServiceFactory(salon=salon, duration_minutes=60)
    factories.MasterFactory(salon=salon, services=[service])
    start = next_monday_at(10)
    token = str(RefreshToken.for_user(salon.owner).access_token)
    codes = post_all(live_server.url, token, [booking_body(salon, None, service, start) for _ in range(2)])
    assert sorted(codes) == [201, 409]
    assert Booking.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock modes are PostgreSQL's")
def test_a_locked_booking_does_not_block_new_bookings_of_its_salon():
    """Locking a booking for a transition must not lock its salon row: a new booking of the salon
    takes a key-share lock on it (usage counter) and would wait, or deadlock, behind it."""
    salon = factories.SalonFactory()
    service = factories.ServiceFactory(salon=salon, duration_minutes=60)
    first_master, second_master = (factories.MasterFactory(salon=salon, services=[service]) for _ in range(2))
    start = next_monday_at(10)
    kwargs = {
        "actor": None,
        "actor_kind": ActorKind.SYSTEM,
        "salon": salon,
        "service": service,
        "source": BookingSource.API,
    }
    booking = services.create_booking(master=first_master, start_ts=start, **kwargs)
    locked, release, outcome = threading.Event(), threading.Event(), {}

    def hold_the_booking_lock():
        with transaction.atomic():
            services._lock(booking)
            locked.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold_the_booking_lock)
    holder.start()
    assert locked.wait(10)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            outcome["booking"] = services.create_booking(master=second_master, start_ts=start, **kwargs)
    finally:
        release.set()
        holder.join()
    assert outcome["booking"].master == second_master
