"""Row-level security on the slot holds and the waiting list, as on every tenant table (salonbot 0001)."""

from django.db import migrations

from salonbot.db.rls import salon_id_rule, tenant_table


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0005_slot_holds_and_waitlist"),
        ("salonbot", "0001_row_level_security"),
    ]

    operations = [
        tenant_table("bookings_slothold", salon_id_rule()),
        tenant_table("bookings_waitlistentry", salon_id_rule()),
    ]
