import uuid
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from salonbot import timebounds
from salonbot.tenancy import TenantManager, TenantQuerySet, TimestampedModel

from .validation import validate_timezone, validate_working_hours


def default_reminder_offsets():
    return [1440, 120]


class SalonQuerySet(TenantQuerySet):
    salon_path = ""  # a salon is its own tenant

    def for_user(self, user):
        if user is None or not user.is_authenticated:
            return self.none()
        if user.is_super_admin:
            return self
        return self.filter(owner=user)

    def for_salon(self, salon):
        return self.filter(pk=salon.pk)


class Language(models.TextChoices):
    EN = "en", "English"
    RU = "ru", "Русский"


class Salon(TimestampedModel):
    """A tenant: one beauty salon with its own masters, services, customers and WhatsApp number."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="salons")
    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.EN)
    currency = models.CharField(max_length=3, default="EUR")
    phone = models.CharField(max_length=20, blank=True)
    address = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True)
    whatsapp_phone_number_id = models.CharField(max_length=64, unique=True, null=True, blank=True)

    slot_interval_minutes = models.PositiveSmallIntegerField(
        default=15, validators=[MinValueValidator(5), MaxValueValidator(240)]
    )
    min_notice_minutes = models.PositiveIntegerField(default=60, validators=[MaxValueValidator(60 * 24 * 30)])
    max_advance_days = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    reminder_offsets_minutes = models.JSONField(default=default_reminder_offsets, blank=True)
    # How long the bot keeps a slot for a customer who sees the confirm step (bookings.holds).
    hold_minutes = models.PositiveSmallIntegerField(default=5, validators=[MinValueValidator(1), MaxValueValidator(60)])

    max_bookings_per_month = models.PositiveIntegerField(default=1000)
    max_messages_per_month = models.PositiveIntegerField(default=10000)
    max_masters = models.PositiveSmallIntegerField(default=20)

    objects = TenantManager.from_queryset(SalonQuerySet)()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def salon_id(self):
        return self.id


class Service(TimestampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    salon = models.ForeignKey(Salon, on_delete=models.CASCADE, related_name="services")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    duration_minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(5), MaxValueValidator(720)])
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    category = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)

    objects = TenantManager()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["salon", "is_active"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5, duration_minutes__lte=720), name="service_duration_range"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="service_price_non_negative"),
        ]

    def __str__(self):
        return self.name


class Master(TimestampedModel):
    """A stylist with weekly working hours who performs some of the salon's services."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    salon = models.ForeignKey(Salon, on_delete=models.CASCADE, related_name="masters")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    specialization = models.CharField(max_length=200, blank=True)
    working_hours = models.JSONField(default=dict, blank=True, validators=[validate_working_hours])
    services = models.ManyToManyField(Service, related_name="masters", blank=True)
    is_active = models.BooleanField(default=True)

    objects = TenantManager()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["salon", "is_active"])]

    def __str__(self):
        return self.name


class MasterTimeOff(TimestampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    salon = models.ForeignKey(Salon, on_delete=models.CASCADE, related_name="+")
    master = models.ForeignKey(Master, on_delete=models.CASCADE, related_name="time_off")
    start_ts = models.DateTimeField()
    end_ts = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    objects = TenantManager()

    class Meta:
        ordering = ["start_ts"]
        indexes = [models.Index(fields=["master", "start_ts", "end_ts"])]
        constraints = [models.CheckConstraint(condition=Q(end_ts__gt=F("start_ts")), name="time_off_end_after_start")]
        verbose_name_plural = _("master time off")

    def clean(self):
        errors = {
            field: timebounds.OUT_OF_RANGE
            for field in ("start_ts", "end_ts")
            if getattr(self, field) is not None and not timebounds.is_within(getattr(self, field))
        }
        if errors:
            raise ValidationError(errors)

    def __str__(self):
        # In the salon's wall time, as every page shows it (the salon is one query, or select_related).
        zone = zoneinfo.ZoneInfo(self.salon.timezone)
        start, end = self.start_ts.astimezone(zone), self.end_ts.astimezone(zone)
        until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
        return f"{self.master} off {start:%Y-%m-%d %H:%M}–{until}"


class Customer(TimestampedModel):
    """A salon's customer; bookings and WhatsApp conversations of one person meet here."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    salon = models.ForeignKey(Salon, on_delete=models.CASCADE, related_name="customers")
    phone = models.CharField(max_length=20)
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    wa_id = models.CharField(max_length=64, blank=True)
    # The name is the customer's own (told to the bot, or typed in by staff), not a guess from
    # their WhatsApp profile: the bot asks once while this is False.
    name_confirmed = models.BooleanField(default=False)

    objects = TenantManager()

    class Meta:
        ordering = ["name", "phone"]
        constraints = [models.UniqueConstraint(fields=["salon", "phone"], name="customer_phone_unique_per_salon")]
        indexes = [models.Index(fields=["salon", "created_at"])]

    def __str__(self):
        return f"{self.name} ({self.phone})" if self.name else self.phone


class UsageCounter(TimestampedModel):
    """Monthly plan usage of a salon; incremented by conditional UPDATE against the limit."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    salon = models.ForeignKey(Salon, on_delete=models.CASCADE, related_name="usage_counters")
    period = models.DateField(help_text=_("First day of the month, salon-local."))
    bookings = models.PositiveIntegerField(default=0)
    messages = models.PositiveIntegerField(default=0)

    objects = TenantManager()

    class Meta:
        ordering = ["-period"]
        constraints = [models.UniqueConstraint(fields=["salon", "period"], name="usage_counter_unique_period")]

    def __str__(self):
        return f"{self.salon} {self.period:%Y-%m}"
