"""The bookings changelist and the day calendar cost the same queries for one row or hundreds."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bookings.models import Booking, BookingStatus
from tests import factories
from tests.bookings.conftest import next_monday_at
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def fill_day(salon, *, masters: int, per_master: int) -> datetime:
    """`masters` masters with `per_master` 15-minute bookings each from 09:00, and one time off each."""
    service = factories.ServiceFactory(salon=salon, duration_minutes=15)
    first = next_monday_at(9)
    rows = []
    for m in range(masters):
        master = factories.MasterFactory(salon=salon, services=[service])
        factories.TimeOffFactory(master=master, start_ts=first - timedelta(hours=1), end_ts=first)
        customer = factories.CustomerFactory(salon=salon)
        for i in range(per_master):
            start = first + timedelta(minutes=15 * i)
            status = [BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW][(i + m) % 3]
            rows.append(
                Booking(
                    salon=salon,
                    master=master,
                    service=service,
                    customer=customer,
                    customer_name=f"Customer {m}-{i}",
                    start_ts=start,
                    end_ts=start + timedelta(minutes=15),
                    status=status,
                    price=service.price,
                )
            )
    Booking.objects.bulk_create(rows)
    return first


def count(client: Client, url: str) -> int:
    client.get(url)  # the first visit of a salon's calendar makes it the session's salon (a write)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def owner_client(owner):
    client = Client()
    assert client.login(email=owner.email, password=PASSWORD)
    return client


def test_the_calendar_costs_the_same_for_one_booking_and_four_hundred(owner, owner_client):
    small_salon = factories.SalonFactory(owner=owner, name="A small salon")
    big_salon = factories.SalonFactory(owner=owner, name="B big salon")
    day = fill_day(small_salon, masters=1, per_master=1).astimezone(BERLIN).date()
    fill_day(big_salon, masters=10, per_master=40)
    small = count(owner_client, f"/admin/bookings/booking/calendar/?salon={small_salon.pk}&date={day}")
    big_url = f"/admin/bookings/booking/calendar/?salon={big_salon.pk}&date={day}"
    big = count(owner_client, big_url)
    assert small == big, (small, big)
    assert big <= 10
    page = owner_client.get(big_url).content.decode()
    assert page.count('class="booking ') == 400


def test_the_changelist_costs_the_same_for_one_row_and_a_full_page(owner, owner_client):
    one = factories.SalonFactory(owner=owner, name="A salon")
    fill_day(one, masters=1, per_master=1)
    small = count(owner_client, "/admin/bookings/booking/")
    many = factories.SalonFactory(owner=owner, name="B salon")
    fill_day(many, masters=5, per_master=20)
    large = count(owner_client, "/admin/bookings/booking/")
    assert small == large, (small, large)
    assert owner_client.get("/admin/bookings/booking/").content.decode().count('class="action-select"') == 100
