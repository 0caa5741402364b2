import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from salonbot.tenancy import TenantManager, TenantQuerySet, TimestampedModel
from salons.models import Customer, Master, Salon, Service

# No I/1, O/0: a code read out over the phone or typed from a screenshot must not be misread.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def generate_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class BookingStatus(models.TextChoices):
    CONFIRMED = "CONFIRMED", _("Confirmed")
    IN_PROGRESS = "IN_PROGRESS", _("In progress")
    COMPLETED = "COMPLETED", _("Completed")
    CANCELLED = "CANCELLED", _("Cancelled")
    NO_SHOW = "NO_SHOW", _("No-show")


# Statuses that occupy the master's time; the exclusion constraint and the overlap check use them.
ACTIVE_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS)
TERMINAL_STATUSES = (BookingStatus.COMPLETED, BookingStatus.CANCELLED, BookingStatus.NO_SHOW)


class BookingSource(models.TextChoices):
    API = "api", "API"
    ADMIN = "admin", _("Admin")
    WHATSAPP = "whatsapp", "WhatsApp"


class BookingQuerySet(TenantQuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)

    def overlapping(self, start_ts, end_ts):
        """Half-open [start, end): a booking ending at 10:00 does not overlap one starting then."""
        return self.filter(start_ts__lt=end_ts, end_ts__gt=start_ts)


def has_started(booking) -> bool:
    return booking.start_ts <= timezone.now()


class Booking(ConcurrentTransitionMixin, TimestampedModel):
    """A master's time reserved for a customer and a service."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    salon = models.ForeignKey(Salon, on_delete=models.CASCADE, related_name="bookings")
    master = models.ForeignKey(Master, on_delete=models.SET_NULL, null=True, blank=True, related_name="bookings")
    service = models.ForeignKey(Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="bookings")
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="bookings")
    customer_name = models.CharField(_("customer name"), max_length=200, blank=True)
    customer_phone = models.CharField(_("customer phone"), max_length=20, blank=True)
    start_ts = models.DateTimeField(_("starts"))
    end_ts = models.DateTimeField(_("ends"))
    status = FSMField(
        _("status"), max_length=20, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED, protected=True
    )
    code = models.CharField(_("code"), max_length=CODE_LENGTH, unique=True, default=generate_code, editable=False)
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, null=True, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=BookingSource.choices, default=BookingSource.API)
    notes = models.TextField(_("notes"), blank=True)
    cancellation_reason = models.CharField(_("cancellation reason"), max_length=500, blank=True)
    # Staff may book a walk-in or overtime outside the master's hours; the flag says it was on purpose.
    outside_working_hours = models.BooleanField(_("outside working hours"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    objects = TenantManager.from_queryset(BookingQuerySet)()

    class Meta:
        ordering = ["-start_ts"]
        indexes = [
            models.Index(fields=["salon", "start_ts"]),
            models.Index(fields=["salon", "status", "start_ts"]),
            models.Index(fields=["master", "start_ts", "end_ts"]),
            models.Index(fields=["salon", "created_at"]),
            models.Index(fields=["customer", "start_ts"]),
            models.Index(fields=["salon", "customer_phone"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end_ts__gt=F("start_ts")), name="booking_end_after_start"),
        ]

    def __str__(self):
        # No time here: __str__ knows no salon zone, and a UTC time misleads an owner.
        return f"{self.code} {self.customer_name}".strip()

    @transition(field=status, source=BookingStatus.CONFIRMED, target=BookingStatus.IN_PROGRESS)
    def start(self):
        """The customer is in the chair."""

    @transition(field=status, source=BookingStatus.IN_PROGRESS, target=BookingStatus.COMPLETED)
    def complete(self):
        """The job is done; its price counts as revenue."""

    @transition(
        field=status, source=[BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS], target=BookingStatus.CANCELLED
    )
    def cancel(self, reason: str = ""):
        """The booking is called off and frees its time."""
        self.cancellation_reason = reason or ""

    @transition(field=status, source=BookingStatus.CONFIRMED, target=BookingStatus.NO_SHOW, conditions=[has_started])
    def no_show(self):
        """The customer did not come; only once the start time has passed."""


class ActorKind(models.TextChoices):
    USER = "user", _("User")
    BOT = "bot", _("Bot")
    SYSTEM = "system", _("System")


class BookingEventKind(models.TextChoices):
    CREATED = "created", _("Created")
    RESCHEDULED = "rescheduled", _("Rescheduled")
    STARTED = "started", _("Started")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


class BookingEvent(models.Model):
    """The audit trail of a booking: who did what, when, from which state to which."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    salon = models.ForeignKey(Salon, on_delete=models.CASCADE, related_name="+")
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    event = models.CharField(max_length=20, choices=BookingEventKind.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["booking", "created_at"])]

    def __str__(self):
        return f"{self.booking_id} {self.event} at {self.created_at:%Y-%m-%d %H:%M}"


class ReminderStatus(models.TextChoices):
    """Every reminder ends SENT, DELIVERED, READ, FAILED, UNKNOWN or CANCELLED; none is lost silently.

    UNKNOWN: the send was interrupted mid-request (the worker died) and no status from WhatsApp
    told us within the outcome window whether it went out; it is never sent again (no duplicates).
    """

    PENDING = "PENDING", _("Pending")
    QUEUED = "QUEUED", _("Queued")
    SENT = "SENT", _("Sent")
    DELIVERED = "DELIVERED", _("Delivered")
    READ = "READ", _("Read")
    FAILED = "FAILED", _("Failed")
    UNKNOWN = "UNKNOWN", _("Outcome unknown")
    CANCELLED = "CANCELLED", _("Cancelled")


class Reminder(TimestampedModel):
    """One reminder of one booking: a row that a beat task claims when due, not a delayed task."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    salon = models.ForeignKey(Salon, on_delete=models.CASCADE, related_name="+")
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="reminders")
    offset_minutes = models.PositiveIntegerField()
    scheduled_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # The outbound message that carries it is found by its idempotency key, `reminder:<id>`
    # (Reminder.message_key): no foreign key, so bookings' schema does not depend on messaging's.

    objects = TenantManager()

    class Meta:
        ordering = ["scheduled_at"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "offset_minutes"], name="reminder_unique_offset"),
        ]
        indexes = [
            models.Index(fields=["status", "scheduled_at"], name="reminder_due_idx"),
        ]

    def __str__(self):
        return f"{self.booking_id} -{self.offset_minutes}min {self.status}"

    @property
    def message_key(self) -> str:
        return f"{REMINDER_KEY_PREFIX}{self.pk}"


REMINDER_KEY_PREFIX = "reminder:"


class SlotHoldQuerySet(TenantQuerySet):
    def live(self, now=None):
        """Holds that still keep their interval: a hold ends by its timestamp alone, no task needed."""
        return self.filter(expires_at__gt=now or timezone.now())


class SlotHold(TimestampedModel):
    """A master's interval kept for one customer while they look at the bot's confirm step.

    Busy time everywhere (slots, create, any master, reschedule) counts the live holds of others
    (`slots.busy_by_master`); confirming turns the hold into the booking in one transaction.
    `holder` names who holds it (the bot uses its conversation), as bookings knows no messaging.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    salon = models.ForeignKey(Salon, on_delete=models.CASCADE, related_name="+")
    master = models.ForeignKey(Master, on_delete=models.CASCADE, related_name="holds")
    service = models.ForeignKey(Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    holder = models.CharField(max_length=100)
    start_ts = models.DateTimeField(_("starts"))
    end_ts = models.DateTimeField(_("ends"))
    expires_at = models.DateTimeField(_("held until"))

    objects = TenantManager.from_queryset(SlotHoldQuerySet)()

    class Meta:
        ordering = ["start_ts"]
        indexes = [
            models.Index(fields=["master", "expires_at"], name="hold_master_live_idx"),
            models.Index(fields=["holder"], name="hold_holder_idx"),
        ]
        constraints = [models.CheckConstraint(condition=Q(end_ts__gt=F("start_ts")), name="hold_end_after_start")]

    def __str__(self):
        return f"{self.master_id} held for {self.holder}"


class DayPart(models.TextChoices):
    """Parts of a salon's day, in its wall time: morning until 12:00, afternoon until 17:00."""

    MORNING = "morning", _("Morning")
    AFTERNOON = "afternoon", _("Afternoon")
    EVENING = "evening", _("Evening")


class WaitlistStatus(models.TextChoices):
    WAITING = "WAITING", _("Waiting")
    BOOKED = "BOOKED", _("Booked")
    REMOVED = "REMOVED", _("Removed")
    EXPIRED = "EXPIRED", _("Expired")


class WaitlistEntry(TimestampedModel):
    """A customer waiting for a time on a day (optionally a part of it and a master) to free up.

    Offered in the order they joined (`created_at`) whenever a cancellation, no-show or reschedule
    frees matching time; the first to confirm books it, the others keep their place.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    salon = models.ForeignKey(Salon, on_delete=models.CASCADE, related_name="waitlist")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="waitlist")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    master = models.ForeignKey(Master, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    day = models.DateField(_("day"), help_text=_("The salon-local day the customer waits for."))
    part = models.CharField(_("part of the day"), max_length=10, choices=DayPart.choices, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    booking = models.ForeignKey(Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    offers_sent = models.PositiveSmallIntegerField(_("offers sent"), default=0)
    last_offered_at = models.DateTimeField(_("last offered"), null=True, blank=True)

    objects = TenantManager()

    class Meta:
        ordering = ["day", "created_at", "id"]
        verbose_name = _("waiting list entry")
        verbose_name_plural = _("waiting list")
        indexes = [models.Index(fields=["salon", "day", "status"], name="waitlist_match_idx")]

    def __str__(self):
        return f"{self.customer} {self.day}"
