"""Every list endpoint runs the same number of queries whatever the page size."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from bookings.models import WaitlistEntry
from tests import factories
from tests.query_budget import StatementLog, capture_statements

pytestmark = pytest.mark.django_db

LIST_BUDGET = 5 + (2 if connection.vendor == "postgresql" else 0)
LIST_ENDPOINTS = ["/api/salons", "/api/masters", "/api/services", "/api/customers", "/api/waitlist"]


def statements(api, url, **params) -> StatementLog:
    with capture_statements() as log:
        response = api.get(url, params)
    assert response.status_code == 200, response.content
    return log


@pytest.fixture
def many_rows(owner):
    salons = factories.SalonFactory.create_batch(3, owner=owner)
    for salon in salons:
        services = factories.ServiceFactory.create_batch(20, salon=salon)
        masters = [factories.MasterFactory(salon=salon, services=services[i : i + 3]) for i in range(20)]
        customers = factories.CustomerFactory.create_batch(20, salon=salon)
        day = timezone.now().astimezone(ZoneInfo(salon.timezone)).date() + timedelta(days=1)
        WaitlistEntry.objects.bulk_create(
            WaitlistEntry(salon=salon, customer=c, service=services[i], master=masters[i] if i % 2 else None, day=day)
            for i, c in enumerate(customers)
        )
    return salons


def register_extra_list(path: str) -> None:
    """Later apps append their list endpoints here so the same guard covers them."""
    LIST_ENDPOINTS.append(path)


@pytest.mark.parametrize("url", LIST_ENDPOINTS)
def test_list_queries_do_not_grow_with_page_size(api, many_rows, url):
    small = statements(api, url, page_size=1)
    large = statements(api, url, page_size=50)
    assert len(small) == len(large), f"page size 1: {small}\npage size 50: {large}"
    # The queries, and on PostgreSQL the two tenant-scope settings of a request (none, then the owner's).
    assert len(large) <= LIST_BUDGET, large
