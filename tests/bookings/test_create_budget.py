"""The create path's statement budget: a statement added to it fails here, with the list printed."""

from datetime import timedelta

import pytest

from tests.bookings.conftest import booking_body
from tests.query_budget import capture_statements


@pytest.mark.django_db(transaction=True)
def test_api_create_statements(api, salon, master, service, slot):
    api.post("/api/bookings", booking_body(salon, master, service, slot - timedelta(days=1)), format="json")
    with capture_statements() as log:
        response = api.post("/api/bookings", booking_body(salon, master, service, slot), format="json")
    assert response.status_code == 201, response.content
    print(log)
    raise AssertionError()
