"""WhatsApp conversations, their messages, the salon's templates, and the raw webhook trail."""

import re
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salonbot.tenancy import TenantManager, TimestampedModel
from salons.models import Customer, Salon

# Meta's customer-service window: free-form messages only within 24 h of the customer's last one.
CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)
PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")


class ConversationStatus(models.TextChoices):
    OPEN = "OPEN", _("Open")
    CLOSED = "CLOSED", _("Closed")


class Conversation(TimestampedModel):
    """One customer's WhatsApp thread with one salon's number."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # db_index off where a composite index or unique constraint starting with the column covers it.
    salon = models.ForeignKey(Salon, on_delete=models.CASCADE, related_name="conversations", db_index=False)
    # Null when the sender's id is not a phone number (business-scoped user ids) and so no
    # Customer row can be made for it; the conversation is still kept.
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversations"
    )
    wa_id = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=ConversationStatus.choices, default=ConversationStatus.OPEN)
    bot_state = models.JSONField(default=dict, blank=True)
    bot_paused = models.BooleanField(default=False, help_text=_("A person took over; the bot stays silent."))
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    # When the customer's earliest unanswered message was sent; null once someone answered. The
    # inbox's "waiting for an answer" mark, kept as a column so the list costs no query per row.
    # Set by ingest on each inbound message, cleared by outbound when an answer is queued: see
    # `outbound._create` for what counts as one.
    waiting_since = models.DateTimeField(
        null=True, blank=True, help_text=_("The customer wrote and nobody has answered since then.")
    )

    objects = TenantManager()

    class Meta:
        ordering = [F("last_message_at").desc(nulls_last=True), "-created_at"]
        constraints = [models.UniqueConstraint(fields=["salon", "wa_id"], name="conversation_unique_wa_id")]
        # The list order's indexes are in migration 0002: PostgreSQL needs NULLS LAST in them to
        # read a page off the index, and SQLite cannot declare it (its DESC puts NULLs last anyway).

    def __str__(self):
        # The customer as the owner knows them; ids stay out of titles and breadcrumbs.
        if self.customer_id:
            return str(self.customer)
        return f"+{self.wa_id}" if self.wa_id.isdigit() else self.wa_id  # WhatsApp ids are E.164 without "+"

    def is_window_open(self, now: datetime | None = None) -> bool:
        """True while free-form text may be sent: within 24 h of the customer's last message."""
        if self.last_inbound_at is None:
            return False
        return (now or timezone.now()) < self.last_inbound_at + CUSTOMER_SERVICE_WINDOW


class Direction(models.TextChoices):
    IN = "IN", _("Inbound")
    OUT = "OUT", _("Outbound")


class MessageStatus(models.TextChoices):
    RECEIVED = "RECEIVED", _("Received")
    QUEUED = "QUEUED", _("Queued")
    SENT = "SENT", _("Sent")
    DELIVERED = "DELIVERED", _("Delivered")
    READ = "READ", _("Read")
    FAILED = "FAILED", _("Failed")
    # Outbound, never resent (reminders): the send was cut off mid-request and no status arrived
    # within the outcome window. A later status from WhatsApp still moves it on.
    UNKNOWN = "UNKNOWN", _("Outcome unknown")


class TemplateCategory(models.TextChoices):
    UTILITY = "UTILITY", _("Utility")
    MARKETING = "MARKETING", _("Marketing")
    AUTHENTICATION = "AUTHENTICATION", _("Authentication")


class TemplatePurpose(models.TextChoices):
    REMINDER = "REMINDER", _("Reminder")
    CONFIRMATION = "CONFIRMATION", _("Confirmation")
    CANCELLATION = "CANCELLATION", _("Cancellation")
    WAITLIST = "WAITLIST", _("Waiting-list offer")
    OTHER = "OTHER", _("Other")


class MessageTemplate(TimestampedModel):
    """A template approved in Meta's WhatsApp Manager, mirrored here so the salon can send it.

    Booking templates (REMINDER, CONFIRMATION, CANCELLATION) are filled with these parameters, in
    order, as many as the body uses: {{1}} customer name, {{2}} salon-local date and time,
    {{3}} service, {{4}} master, {{5}} booking code. A WAITLIST template (a freed time offered to
    a waiting customer outside the 24-hour window) takes the first four, and its first button
    must be a quick reply ("Book it"): its payload books the offered time.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    salon = models.ForeignKey(Salon, on_delete=models.CASCADE, related_name="message_templates", db_index=False)
    name = models.CharField(max_length=512, help_text=_("The template's name in WhatsApp Manager."))
    language = models.CharField(max_length=15, help_text=_("WhatsApp language code, e.g. en, en_US, ru."))
    category = models.CharField(max_length=20, choices=TemplateCategory.choices, default=TemplateCategory.UTILITY)
    body = models.TextField(help_text=_("The approved body text, with {{1}}-style parameters."))
    purpose = models.CharField(max_length=20, choices=TemplatePurpose.choices, default=TemplatePurpose.OTHER)

    objects = TenantManager()

    class Meta:
        ordering = ["name", "language"]
        constraints = [
            models.UniqueConstraint(fields=["salon", "name", "language"], name="template_unique_name_language"),
        ]
        indexes = [models.Index(fields=["salon", "purpose"], name="template_salon_purpose_idx")]

    def __str__(self):
        return f"{self.name} ({self.language})"

    @property
    def parameter_count(self) -> int:
        numbers = {int(n) for n in PLACEHOLDER.findall(self.body)}
        return max(numbers, default=0)

    def render(self, parameters) -> str:
        """The body as the customer reads it, for the transcript."""
        values = list(parameters)

        def fill(match):
            index = int(match.group(1)) - 1
            return values[index] if 0 <= index < len(values) else match.group(0)

        return PLACEHOLDER.sub(fill, self.body)


class Message(TimestampedModel):
    """One WhatsApp message in or out. Outbound ones are rows first and sent by a task."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    salon = models.ForeignKey(Salon, on_delete=models.CASCADE, related_name="+", db_index=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages", db_index=False)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    # Meta's message id; null until an outbound message is accepted by the Cloud API.
    wamid = models.CharField(max_length=128, null=True, blank=True)
    type = models.CharField(max_length=32)
    text = models.TextField(blank=True)
    # Inbound: the customer's text was longer than the Cloud API's 4,096 characters and was cut.
    truncated = models.BooleanField(default=False)
    # Inbound: the raw item of `messages[]`. Outbound: the exact Graph body that is sent.
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=MessageStatus.choices)
    error_code = models.IntegerField(null=True, blank=True)
    error_title = models.CharField(max_length=500, blank=True)
    # Inbound: the button/list row id or template quick-reply payload, and the message answered.
    reply_id = models.CharField(max_length=256, blank=True)
    context_wamid = models.CharField(max_length=128, blank=True)
    # Inbound: when the customer sent it (Meta's timestamp). Outbound: when the API accepted it.
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    template = models.ForeignKey(
        MessageTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A caller's key ("booking-confirmation:<id>", "reminder:<id>"): queueing twice returns the first.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)
    # Outbound delivery: the send task claims a row by a conditional UPDATE on these two.
    attempts = models.PositiveSmallIntegerField(default=0)
    send_claimed_at = models.DateTimeField(null=True, blank=True)
    # Set while a request to the Cloud API is under way, cleared when its answer is recorded: still
    # set on a queued row later means the worker died mid-request and the outcome is unknown.
    send_started_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # Meta delivers at least once; the constraint makes a second copy impossible, however raced.
            models.UniqueConstraint(fields=["wamid"], condition=Q(wamid__isnull=False), name="message_wamid_unique"),
            models.UniqueConstraint(
                fields=["salon", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="message_idempotency_key_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="message_conversation_idx"),
            models.Index(fields=["salon", "created_at"], name="message_salon_created_idx"),
            # The recovery sweep looks for outbound rows still waiting to be sent.
            models.Index(fields=["status", "created_at"], name="message_queued_idx", condition=Q(status="QUEUED")),
        ]

    def __str__(self):
        arrow = "←" if self.direction == Direction.IN else "→"
        return f"{arrow} {self.type} {self.text[:40]}"


class PendingStatus(TimestampedModel):
    """A status update that arrived before its message's wamid was stored; applied when it is.

    Meta does not order webhooks: a `delivered` can overtake the send task's own write.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    salon = models.ForeignKey(Salon, on_delete=models.CASCADE, related_name="+")
    wamid = models.CharField(max_length=128)
    status = models.CharField(max_length=10, choices=MessageStatus.choices)
    timestamp = models.DateTimeField()
    error_code = models.IntegerField(null=True, blank=True)
    error_title = models.CharField(max_length=500, blank=True)

    objects = TenantManager()

    class Meta:
        ordering = ["timestamp"]
        verbose_name_plural = _("pending statuses")
        constraints = [
            # Meta re-sends statuses too; one row per (wamid, status) is all that matters.
            models.UniqueConstraint(fields=["wamid", "status"], name="pending_status_unique"),
        ]
        indexes = [models.Index(fields=["created_at"], name="pending_status_age_idx")]

    def __str__(self):
        return f"{self.wamid} {self.status}"


class WebhookEvent(TimestampedModel):
    """A webhook body exactly as Meta signed it: the audit trail and the replay source.

    Stored before routing, so `salon` is set only once processing knows it (and only when the
    batch concerns a single salon); owners see their salon's events, super admins all.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    salon = models.ForeignKey(Salon, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False)
    body = models.TextField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Processing runs that finished, plus re-enqueues by the recovery sweep (which stops at a cap).
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    # What processing could not use: unreadable pieces, numbers no salon owns.
    problems = models.JSONField(default=list, blank=True)

    objects = TenantManager()

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["salon", "-received_at"], name="webhook_salon_recent_idx"),
            models.Index(
                fields=["received_at"], name="webhook_unprocessed_idx", condition=Q(processed_at__isnull=True)
            ),
        ]

    def __str__(self):
        return f"webhook {self.received_at:%Y-%m-%d %H:%M:%S}"
