"""The inbox's "waiting for an answer" mark: `Conversation.waiting_since`, filled for existing rows.

A conversation waits when inbound messages came after the last outbound one; it waits since the
first of those. History does not say who was in charge when an outbound message went out, so the
backfill counts any outbound message as an answer (from here on, `outbound._create` is stricter).
Reactions and system notices ask nothing, as in ingest. One UPDATE with correlated subqueries, on
PostgreSQL and SQLite alike; reversing drops the column, so the reverse step has nothing to undo.
"""

from datetime import UTC, datetime

from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

NOT_A_QUESTION = ["reaction", "system"]  # messaging.services.ingest.NOT_A_QUESTION when this was written
BEFORE_ANY_MESSAGE = datetime(2000, 1, 1, tzinfo=UTC)


def mark_waiting_conversations(apps, schema_editor):
    Conversation = apps.get_model("messaging", "Conversation")
    Message = apps.get_model("messaging", "Message")
    last_answer = (
        Message.objects.filter(conversation=OuterRef("conversation"), direction="OUT")
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    first_unanswered = (
        Message.objects.filter(conversation=OuterRef("pk"), direction="IN")
        .exclude(type__in=NOT_A_QUESTION)
        .filter(created_at__gt=Coalesce(Subquery(last_answer), Value(BEFORE_ANY_MESSAGE)))
        .annotate(stamp=Coalesce("sent_at", "created_at"))
        .order_by("stamp")
        .values("stamp")[:1]
    )
    Conversation.objects.update(waiting_since=Subquery(first_unanswered))


class Migration(migrations.Migration):
    dependencies = [("messaging", "0002_conversation_order_indexes_nulls_last")]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="waiting_since",
            field=models.DateTimeField(
                blank=True, help_text="The customer wrote and nobody has answered since then.", null=True
            ),
        ),
        migrations.RunPython(mark_waiting_conversations, migrations.RunPython.noop, elidable=True),
    ]
