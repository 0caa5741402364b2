import threading
from datetime import UTC, datetime

import pytest
from django.db import connection

from salonbot.errors import UsageLimitExceeded
from salons import services
from salons.models import Customer, UsageCounter
from tests import factories


@pytest.mark.django_db
def test_consume_usage_allows_exactly_the_limit(salon):
    salon.max_bookings_per_month = 2
    services.consume_usage(salon=salon, kind="bookings")
    services.consume_usage(salon=salon, kind="bookings")
    with pytest.raises(UsageLimitExceeded):
        services.consume_usage(salon=salon, kind="bookings")
    assert UsageCounter.objects.get(salon=salon).bookings == 2


@pytest.mark.django_db
def test_usage_period_is_the_salon_local_month(salon):
    salon.timezone = "Pacific/Auckland"  # UTC 31 Jan 12:00 is already February there
    assert services.usage_period(salon, datetime(2026, 1, 31, 12, tzinfo=UTC)).isoformat() == "2026-02-01"


@pytest.mark.django_db
def test_upsert_customer_normalises_phone_and_fills_blanks(salon):
    first = services.upsert_customer(salon=salon, phone="+49 170 1234567")
    again = services.upsert_customer(salon=salon, phone="491701234567", name="Anna", wa_id="491701234567")
    assert first.pk == again.pk
    again.refresh_from_db()
    assert (again.phone, again.name, again.wa_id) == ("+491701234567", "Anna", "491701234567")
    kept = services.upsert_customer(salon=salon, phone="+491701234567", name="Other name")
    assert kept.name == "Anna"


@pytest.mark.django_db(transaction=True)
def test_concurrent_usage_consumption_never_passes_the_limit():
    salon = factories.SalonFactory(max_messages_per_month=5)
    outcomes, barrier = [], threading.Barrier(10)

    def worker():
        barrier.wait()
        try:
            services.consume_usage(salon=salon, kind="messages")
            outcomes.append("ok")
        except UsageLimitExceeded:
            outcomes.append("limit")
        except Exception as exc:  # SQLite may report a busy database under this load
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 5, outcomes
    assert outcomes.count("limit") == 5, outcomes
    assert UsageCounter.objects.get(salon=salon).messages == 5


@pytest.mark.django_db
def test_deleting_a_salon_cascades_to_its_rows(salon):
    factories.MasterFactory(salon=salon)
    factories.CustomerFactory(salon=salon)
    salon.delete()
    assert Customer.objects.count() == 0
