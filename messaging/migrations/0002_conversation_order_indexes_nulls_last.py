"""Indexes in the conversation list's exact order: most recent activity first, silent ones last.

The API orders by `last_message_at DESC NULLS LAST, created_at DESC`. A PostgreSQL index can serve
that order only if it says NULLS LAST too, which SQLite cannot declare in an index; there a plain
DESC index already sorts NULLs last. So the index is written per database here, outside the
model state (as the bookings exclusion constraint is).
"""

from django.db import migrations

INDEXES = {
    "conversation_salon_recent_idx": '"salon_id", "last_message_at" DESC{nulls}, "created_at" DESC',
    "conversation_recent_idx": '"last_message_at" DESC{nulls}, "created_at" DESC',
}


def create(apps, schema_editor):
    nulls = " NULLS LAST" if schema_editor.connection.vendor == "postgresql" else ""
    for name, columns in INDEXES.items():
        schema_editor.execute(f'CREATE INDEX "{name}" ON "messaging_conversation" ({columns.format(nulls=nulls)})')


def drop(apps, schema_editor):
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_conversations_messages_templates_webhooks")]

    operations = [
        # The plain DESC indexes of 0001 sort NULLs first on PostgreSQL: replaced.
        migrations.RemoveIndex(model_name="conversation", name="conversation_salon_recent_idx"),
        migrations.RemoveIndex(model_name="conversation", name="conversation_recent_idx"),
        migrations.RunPython(create, drop),
    ]
