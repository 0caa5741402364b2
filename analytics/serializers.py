"""Input and output shapes of the analytics API (API.md, Analytics)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class DashboardQuerySerializer(serializers.Serializer):
    salon_id = serializers.UUIDField(required=False, help_text=_("Required for salon owners."))


class BookingsByStatusSerializer(serializers.Serializer):
    CONFIRMED = serializers.IntegerField()
    IN_PROGRESS = serializers.IntegerField()
    COMPLETED = serializers.IntegerField()
    CANCELLED = serializers.IntegerField()
    NO_SHOW = serializers.IntegerField()


class RecentActivitySerializer(serializers.Serializer):
    bookings_last_24h = serializers.IntegerField(help_text=_("Bookings created in the last 24 hours."))
    messages_last_24h = serializers.IntegerField(help_text=_("Messages in and out in the last 24 hours."))
    new_customers_last_7d = serializers.IntegerField()


class TrendsSerializer(serializers.Serializer):
    bookings_this_week = serializers.IntegerField(help_text=_("By start time, Monday to Sunday, salon-local."))
    bookings_last_week = serializers.IntegerField()
    bookings_change_percent = serializers.FloatField(
        allow_null=True, help_text=_("0.0 when both weeks are empty; null when only last week is.")
    )
    revenue_this_month = serializers.DecimalField(max_digits=14, decimal_places=2)
    revenue_last_month = serializers.DecimalField(max_digits=14, decimal_places=2)


class DashboardSerializer(serializers.Serializer):
    salon_id = serializers.UUIDField(allow_null=True, help_text=_("null for the platform-wide figures."))
    generated_at = serializers.DateTimeField(help_text=_("When these figures were computed (a cache miss)."))
    total_bookings = serializers.IntegerField()
    today_bookings = serializers.IntegerField(help_text=_("Bookings starting on the salon-local today."))
    active_chats = serializers.IntegerField(help_text=_("Conversations with an inbound message in the last 24 hours."))
    response_rate = serializers.FloatField(
        allow_null=True,
        help_text=_(
            "Percent of conversations with an inbound message in the last 7 days whose latest such message "
            "has an outbound message after it; null when there are none."
        ),
    )
    reminders_unknown = serializers.IntegerField(
        help_text=_(
            "Reminders of the last 7 days whose send was interrupted with no word from WhatsApp: "
            "they may not have reached the customer, and are never sent again."
        )
    )
    bookings_by_status = BookingsByStatusSerializer()
    recent_activity = RecentActivitySerializer()
    trends = TrendsSerializer()
