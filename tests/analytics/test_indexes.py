"""The dashboard's indexes on bookings_booking exist on PostgreSQL and are used at scale."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from analytics import selectors

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the dashboard indexes are PostgreSQL only"),
]


def index_definitions() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'bookings_booking'")
        return dict(cursor.fetchall())


def test_the_migration_created_both_indexes():
    indexes = index_definitions()
    assert "(salon_id, status)" in indexes["booking_salon_status_idx"]
    revenue = indexes["booking_salon_revenue_idx"]
    assert "(salon_id, start_ts) INCLUDE (price)" in revenue and "'COMPLETED'" in revenue


def plan(sql: str) -> str:
    with connection.cursor() as cursor:
        # Small test tables would be scanned whole; what matters is that the index fits the query.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_dashboard_queries_can_read_the_indexes_alone(salon):
    with CaptureQueriesContext(connection) as ctx:
        selectors.salon_dashboard(salon)
    by_status = next(q["sql"] for q in ctx.captured_queries if "GROUP BY" in q["sql"] and "status" in q["sql"])
    revenue = next(q["sql"] for q in ctx.captured_queries if 'SUM("bookings_booking"."price")' in q["sql"])
    with transaction.atomic():
        assert "Index Only Scan using booking_salon_status_idx" in plan(by_status)
        assert "Index Only Scan using booking_salon_revenue_idx" in plan(revenue)
