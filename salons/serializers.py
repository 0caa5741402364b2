from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User
from salonbot.api.fields import StrictDateTimeField, TenantPrimaryKeyRelatedField

from .models import Customer, Master, MasterTimeOff, Salon, Service
from .validation import normalize_phone, validate_timezone


class PhoneField(serializers.CharField):
    """A phone number normalised to E.164; anything `phonenumbers` rejects is a 400."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not value:
            return value
        try:
            return normalize_phone(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


class SalonSerializer(serializers.ModelSerializer):
    owner_id = serializers.PrimaryKeyRelatedField(source="owner", queryset=User.objects.all(), required=False)
    phone = PhoneField(required=False, allow_blank=True)
    timezone = serializers.CharField(max_length=64, validators=[validate_timezone])
    whatsapp_phone_number_id = serializers.CharField(max_length=64, required=False, allow_null=True, allow_blank=True)
    reminder_offsets_minutes = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=60 * 24 * 30), max_length=5, required=False
    )

    class Meta:
        model = Salon
        fields = [
            "id",
            "name",
            "owner_id",
            "timezone",
            "language",
            "currency",
            "phone",
            "address",
            "is_active",
            "whatsapp_phone_number_id",
            "slot_interval_minutes",
            "min_notice_minutes",
            "max_advance_days",
            "reminder_offsets_minutes",
            "hold_minutes",
            "max_bookings_per_month",
            "max_messages_per_month",
            "max_masters",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_currency(self, value):
        if len(value) != 3 or not value.isalpha():
            raise serializers.ValidationError(_("Use a three-letter ISO 4217 code, e.g. EUR."))
        return value.upper()

    def validate_reminder_offsets_minutes(self, value):
        return sorted(set(value), reverse=True)

    def validate_whatsapp_phone_number_id(self, value):
        # Who may set it, and with what proof, is the service's rule (salons.numbers).
        return (value or "").strip() or None

    def get_fields(self):
        """API.md: `owner_id`, `is_active` and the limits are read-only for owners, not merely ignored.

        Read-only, an owner's `owner_id` is never looked up, so the answer is the same for a real
        user's id and a random one (it used to say "does not exist" only for the latter).
        """
        fields = super().get_fields()
        user = getattr(self.context.get("request"), "user", None)
        if user is not None and user.is_authenticated and not user.is_super_admin:
            for name in ("owner_id", "is_active", "max_bookings_per_month", "max_messages_per_month", "max_masters"):
                fields[name].read_only = True
        return fields


class UsageSerializer(serializers.Serializer):
    class Figure(serializers.Serializer):
        used = serializers.IntegerField()
        limit = serializers.IntegerField()

    period = serializers.CharField(help_text="YYYY-MM")
    bookings = Figure()
    messages = Figure()


class ServiceSerializer(serializers.ModelSerializer):
    salon_id = TenantPrimaryKeyRelatedField(source="salon", queryset=Salon.objects.all())
    price = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    duration_minutes = serializers.IntegerField(min_value=5, max_value=720)

    class Meta:
        model = Service
        fields = [
            "id",
            "salon_id",
            "name",
            "description",
            "duration_minutes",
            "price",
            "category",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_salon_id(self, salon):
        if self.instance is not None and salon.pk != self.instance.salon_id:
            raise serializers.ValidationError(_("A service cannot move to another salon."))
        return salon


class MasterSerializer(serializers.ModelSerializer):
    salon_id = TenantPrimaryKeyRelatedField(source="salon", queryset=Salon.objects.all())
    service_ids = TenantPrimaryKeyRelatedField(
        source="services", queryset=Service.objects.all(), many=True, required=False
    )
    phone = PhoneField(required=False, allow_blank=True)

    class Meta:
        model = Master
        fields = [
            "id",
            "salon_id",
            "name",
            "email",
            "phone",
            "specialization",
            "working_hours",
            "service_ids",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate(self, attrs):
        salon = attrs.get("salon") or getattr(self.instance, "salon", None)
        if self.instance is not None and "salon" in attrs and attrs["salon"].pk != self.instance.salon_id:
            raise serializers.ValidationError({"salon_id": [_("A master cannot move to another salon.")]})
        foreign = [str(s.pk) for s in attrs.get("services", []) if s.salon_id != salon.pk]
        if foreign:
            raise serializers.ValidationError(
                {"service_ids": [_("Services of another salon: %s") % ", ".join(foreign)]}
            )
        return attrs


class TimeOffSerializer(serializers.ModelSerializer):
    start_ts = StrictDateTimeField()
    end_ts = StrictDateTimeField()

    class Meta:
        model = MasterTimeOff
        fields = ["id", "start_ts", "end_ts", "reason", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate(self, attrs):
        if attrs["end_ts"] <= attrs["start_ts"]:
            raise serializers.ValidationError({"end_ts": [_("end_ts must be after start_ts.")]})
        return attrs


class CustomerSerializer(serializers.ModelSerializer):
    salon_id = serializers.UUIDField(read_only=True)
    phone = PhoneField()
    bookings_count = serializers.IntegerField(read_only=True)
    last_booking_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "salon_id",
            "name",
            "phone",
            "email",
            "wa_id",
            "bookings_count",
            "last_booking_at",
            "created_at",
        ]
        read_only_fields = ["id", "salon_id", "wa_id", "created_at"]

    def validate_phone(self, value):
        if (
            self.instance
            and Customer.objects.filter(salon_id=self.instance.salon_id, phone=value)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            raise serializers.ValidationError(_("Another customer of this salon has this phone number."))
        return value
