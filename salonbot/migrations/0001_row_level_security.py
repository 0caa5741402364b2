"""Row-level security on every tenant table, keyed on salon_id (PostgreSQL; nothing on SQLite).

The policies and why they look as they do: salonbot/db/rls.py. A new tenant table gets its own
`tenant_table(...)` in a migration of its app; tests/test_row_level_security.py finds one that did not.
"""

from django.db import migrations

from salonbot.db.rls import parent_rule, salon_id_rule, salon_rule, scope_functions, tenant_table

SALON_ID_TABLES = [
    "salons_service",
    "salons_master",
    "salons_mastertimeoff",
    "salons_customer",
    "salons_usagecounter",
    "bookings_booking",
    "bookings_bookingevent",
    "bookings_reminder",
    "messaging_conversation",
    "messaging_messagetemplate",
    "messaging_message",
    "messaging_pendingstatus",
    "messaging_webhookevent",
]


class Migration(migrations.Migration):
    dependencies = [
        ("salons", "0001_initial"),
        ("bookings", "0004_booking_outside_working_hours_and_labels"),
        ("messaging", "0003_conversation_waiting_for_an_answer"),
    ]

    operations = [
        scope_functions(),
        tenant_table("salons_salon", salon_rule()),
        *(tenant_table(table, salon_id_rule()) for table in SALON_ID_TABLES),
        tenant_table("salons_master_services", parent_rule("master_id", "salons_master")),
    ]
