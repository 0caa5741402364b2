"""The create path's statement budget (issue 14): a statement added to it fails here, with the list printed.

Counted as the database sees them: BEGIN and COMMIT (SAVEPOINT and RELEASE inside a test's own
transaction), and on PostgreSQL the tenant-scope `set_config`s of salonbot/db/base.py.
"""

from datetime import timedelta

import pytest
from django.db import connection

from bookings import holds, services
from bookings.models import ActorKind, Booking, BookingSource, Reminder
from salonbot.celery import app as celery_app
from salons.models import Customer
from tests import factories
from tests.bookings.conftest import booking_body
from tests.conftest import purge_broker
from tests.query_budget import assert_statements, capture_statements

# set_config for the anonymous scope, the user, BEGIN, set_config for the owner, salon+master+service
# (master locked), busy check, usage upsert, customer upsert, booking, event, reminders, COMMIT.
API_CREATE = 12 if connection.vendor == "postgresql" else 10
# SQLite has no INSERT inside a CTE: a known customer is read by a second statement there.
API_CREATE_KNOWN_CUSTOMER = API_CREATE if connection.vendor == "postgresql" else API_CREATE + 1


def post(api, salon, master, service, start, **extra):
    return api.post("/api/bookings", booking_body(salon, master, service, start, **extra), format="json")


@pytest.mark.django_db
def test_api_create_new_customer(api, salon, master, service, slot):
    with assert_statements(API_CREATE):
        response = post(api, salon, master, service, slot)
    assert response.status_code == 201, response.content
    body = response.json()
    # Rendered from the rows in hand, and what it says is what was stored.
    stored = api.get(f"/api/bookings/{body['id']}").json()
    assert body == stored
    assert Reminder.objects.filter(booking_id=body["id"]).count() == 2


@pytest.mark.django_db
def test_api_create_known_customer_costs_the_same_on_postgresql(api, salon, master, service, slot):
    factories.CustomerFactory(salon=salon, phone="+491701234567", name="Known")
    with assert_statements(API_CREATE_KNOWN_CUSTOMER):
        response = post(api, salon, master, service, slot, customer_name="")
    assert response.status_code == 201, response.content
    assert response.json()["customer_name"] == "Known"
    assert Customer.objects.filter(salon=salon).count() == 1


@pytest.mark.django_db(transaction=True)
def test_api_create_leaves_the_confirmation_to_a_worker(api, salon, master, service, slot, settings):
    """Outside any test transaction: the request ends at COMMIT; what follows is a published task."""
    celery_app.conf.task_always_eager = False
    try:
        with capture_statements() as log:
            response = post(api, salon, master, service, slot)
        assert response.status_code == 201, response.content
        assert log[-1] == "COMMIT", log
        assert any(sql.startswith("BEGIN") for sql in log) and len(log) == API_CREATE, log
    finally:
        celery_app.conf.task_always_eager = True
        purge_broker()


@pytest.mark.django_db
def test_a_refused_overlap_costs_no_extra_statement(api, salon, master, service, slot):
    assert post(api, salon, master, service, slot).status_code == 201
    # Up to the busy check, then the 409: the rollback replaces everything after it (here a
    # rollback to the savepoint and its release; outside a test, one ROLLBACK).
    with assert_statements(API_CREATE - 4):
        response = post(api, salon, master, service, slot + timedelta(minutes=30))
    assert response.status_code == 409 and response.json()["code"] == "booking_conflict"


@pytest.mark.django_db
def test_bot_create_from_its_hold(salon, master, service, slot):
    customer = factories.CustomerFactory(salon=salon)
    holds.hold_slot(salon=salon, service=service, master=master, start_ts=slot, holder="conv-1")
    # BEGIN, the locking read, busy, the offered-slot check (one read of the day), usage, booking,
    # event, reminders, the hold's release, COMMIT: no customer upsert (the bot knows its customer).
    with assert_statements(10):
        booking = services.create_booking(
            actor=None,
            actor_kind=ActorKind.BOT,
            salon=salon,
            master=master,
            service=service,
            start_ts=slot,
            source=BookingSource.WHATSAPP,
            customer=customer,
            enforce_availability=True,
            holder="conv-1",
        )
    assert booking.customer == customer and not booking.outside_working_hours


@pytest.mark.django_db
def test_admin_create_for_the_owner(owner, salon, master, service, slot):
    # The service alone: BEGIN, the locking read, busy, usage, customer, booking, event, reminders, COMMIT.
    with assert_statements(9):
        booking = services.create_booking(
            actor=owner,
            salon=salon,
            master=master,
            service=service,
            start_ts=slot,
            customer_name="Walk In",
            customer_phone="+491709999999",
            source=BookingSource.ADMIN,
            allow_outside_hours=False,
        )
    assert Booking.objects.get(pk=booking.pk).customer.name == "Walk In"
