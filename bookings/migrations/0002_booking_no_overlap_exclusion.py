"""No two active bookings of one master overlap: a PostgreSQL exclusion constraint.

It holds whatever code path writes (admin, API, bot, a raw ORM insert). SQLite has no
equivalent; there IMMEDIATE transactions serialise writers and the service's check decides.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE bookings_booking ADD CONSTRAINT booking_no_overlap_per_master
    EXCLUDE USING gist (master_id WITH =, tstzrange(start_ts, end_ts, '[)') WITH &&)
    WHERE (status IN ('CONFIRMED', 'IN_PROGRESS'));
"""
DROP = "ALTER TABLE bookings_booking DROP CONSTRAINT IF EXISTS booking_no_overlap_per_master;"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("bookings", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
