from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from salonbot.api.fields import StrictDateTimeField, TenantPrimaryKeyRelatedField
from salons.models import Master, Service
from salons.serializers import PhoneField

from .models import Booking, BookingEvent, DayPart, Reminder, WaitlistEntry


class MasterRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class ServiceRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    price = serializers.DecimalField(max_digits=10, decimal_places=2)


class CustomerRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    phone = serializers.CharField()


class BookingSerializer(serializers.ModelSerializer):
    salon_id = serializers.UUIDField(read_only=True)
    master = MasterRefSerializer(read_only=True, allow_null=True)
    service = ServiceRefSerializer(read_only=True, allow_null=True)
    customer = CustomerRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Booking
        fields = [
            "id",
            "code",
            "salon_id",
            "status",
            "start_ts",
            "end_ts",
            "price",
            "source",
            "notes",
            "master",
            "service",
            "customer",
            "customer_name",
            "customer_phone",
            "cancellation_reason",
            "outside_working_hours",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class BookingCreateSerializer(serializers.Serializer):
    # Ids, not rows: the service reads salon, master and service in one statement, with the
    # tenancy check (another tenant's id is refused like a missing one, on its field).
    salon_id = serializers.UUIDField()
    master_id = serializers.UUIDField(required=False, allow_null=True)
    service_id = serializers.UUIDField(required=False, allow_null=True)
    customer_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    customer_phone = PhoneField(required=False, allow_blank=True, default="")
    start_ts = StrictDateTimeField()
    end_ts = StrictDateTimeField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if not attrs.get("master_id") and not attrs.get("service_id"):
            raise serializers.ValidationError({"master_id": [_("Give master_id, or service_id for any master.")]})
        return attrs


class BookingUpdateSerializer(serializers.Serializer):
    master_id = TenantPrimaryKeyRelatedField(queryset=Master.objects.all(), required=False)
    service_id = TenantPrimaryKeyRelatedField(queryset=Service.objects.all(), required=False)
    start_ts = StrictDateTimeField(required=False)
    end_ts = StrictDateTimeField(required=False)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    customer_name = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields)
        if "status" in unknown:
            raise serializers.ValidationError(
                {"status": [_("Status changes through /start, /complete, /cancel or /no-show.")]}
            )
        return attrs


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class BookingEventSerializer(serializers.ModelSerializer):
    at = serializers.DateTimeField(source="created_at")
    actor = serializers.SerializerMethodField()

    class Meta:
        model = BookingEvent
        fields = ["at", "actor", "event", "from_status", "to_status", "changes", "reason"]

    def get_actor(self, event) -> str:
        """The acting user's e-mail, or `bot` / `system`."""
        if event.actor_id:
            return event.actor.email
        return event.actor_kind


class ReminderSerializer(serializers.ModelSerializer):
    booking_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = Reminder
        fields = ["id", "booking_id", "offset_minutes", "scheduled_at", "status", "attempts", "sent_at", "last_error"]
        read_only_fields = fields


class WaitlistEntrySerializer(serializers.ModelSerializer):
    salon_id = serializers.UUIDField(read_only=True)
    part = serializers.SerializerMethodField()
    customer = CustomerRefSerializer(read_only=True)
    service = ServiceRefSerializer(read_only=True)
    master = MasterRefSerializer(read_only=True, allow_null=True)
    booking_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = WaitlistEntry
        fields = [
            "id",
            "salon_id",
            "customer",
            "service",
            "master",
            "day",
            "part",
            "status",
            "booking_id",
            "offers_sent",
            "last_offered_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=DayPart.choices, allow_null=True))
    def get_part(self, entry) -> str | None:
        """morning, afternoon, evening, or null: the whole day."""
        return entry.part or None
