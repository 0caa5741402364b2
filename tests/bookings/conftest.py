from datetime import UTC, datetime, timedelta

import pytest

from tests import factories


def next_monday_at(hour: int, minute: int = 0) -> datetime:
    """A Monday well in the future at `hour` Berlin time (UTC+1 in winter; we pick a winter week)."""
    today = datetime.now(UTC).date()
    day = today + timedelta(days=14)
    while day.weekday() != 0 or day.month in (3, 4, 5, 6, 7, 8, 9, 10):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour - 1, minute, tzinfo=UTC)


@pytest.fixture
def service(salon):
    return factories.ServiceFactory(salon=salon, duration_minutes=60)


@pytest.fixture
def master(salon, service):
    return factories.MasterFactory(salon=salon, services=[service], name="Anna")


@pytest.fixture
def slot():
    return next_monday_at(10)


def booking_body(salon, master, service, start, **extra):
    body = {
        "salon_id": str(salon.pk),
        "master_id": str(master.pk) if master else None,
        "service_id": str(service.pk) if service else None,
        "customer_name": "Anna K",
        "customer_phone": "+491701234567",
        "start_ts": start.isoformat(),
    }
    body.update(extra)
    return {k: v for k, v in body.items() if v is not None}
