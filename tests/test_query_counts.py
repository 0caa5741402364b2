"""Every list endpoint runs the same number of queries whatever the page size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories

pytestmark = pytest.mark.django_db

LIST_ENDPOINTS = ["/api/salons", "/api/masters", "/api/services", "/api/customers"]


def query_count(api, url, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(url, params)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


@pytest.fixture
def many_rows(owner):
    salons = factories.SalonFactory.create_batch(3, owner=owner)
    for salon in salons:
        services = factories.ServiceFactory.create_batch(20, salon=salon)
        for i in range(20):
            factories.MasterFactory(salon=salon, services=services[i : i + 3])
        factories.CustomerFactory.create_batch(20, salon=salon)
    return salons


def register_extra_list(path: str) -> None:
    """Later apps append their list endpoints here so the same guard covers them."""
    LIST_ENDPOINTS.append(path)


@pytest.mark.parametrize("url", LIST_ENDPOINTS)
def test_list_queries_do_not_grow_with_page_size(api, many_rows, url):
    small = query_count(api, url, page_size=1)
    large = query_count(api, url, page_size=50)
    assert small == large
    assert large <= 5
