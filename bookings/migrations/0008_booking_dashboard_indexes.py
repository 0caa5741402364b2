"""Indexes on bookings_booking that keep a dashboard recomputation within ~150 ms at 1M bookings.

PostgreSQL only (SQLite, the embedded default, is not where a salon keeps a million bookings).
Built CONCURRENTLY, so adding them to a live table does not block booking writes; that needs the
migration to run outside a transaction (`atomic = False`). Measured by benchmarks/bench_dashboard.py.

Moved here from analytics' 0001 migration: indexes on a bookings table belong to bookings'
migrations. IF NOT EXISTS makes the move a no-op on a database that already has them (its row
for the old analytics migration stays in django_migrations, harmless); a new database gets them
here, in bookings' own order.

- (salon_id, status): total and per-status counts read every booking of the salon. B-tree
  deduplication stores each (salon, status) key once with a list of row ids, so for 1.2M rows
  this index is ~8 MB against ~120 MB for the existing (salon_id, status, start_ts) one, and an
  index-only scan of it is the cheapest exact count PostgreSQL offers.
- (salon_id, start_ts) INCLUDE (price) WHERE status = 'COMPLETED': the two months' revenue is
  an index-only range scan instead of a heap fetch per completed booking.
"""

from django.db import migrations

INDEXES = {
    "booking_salon_status_idx": "ON bookings_booking (salon_id, status)",
    "booking_salon_revenue_idx": "ON bookings_booking (salon_id, start_ts) INCLUDE (price) WHERE status = 'COMPLETED'",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} {definition}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("bookings", "0007_reminder_outcomes_without_message_link"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
