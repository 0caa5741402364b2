import zoneinfo
from datetime import datetime, time, timedelta

import django_filters
from django.core.exceptions import ValidationError

from salonbot.api.filters import DateFilter, FilterSet
from salons.models import Salon
from salons.validation import normalize_phone

from .models import Booking, BookingStatus, DayPart, Reminder, ReminderStatus, WaitlistEntry, WaitlistStatus


class BookingFilter(FilterSet):
    salon_id = django_filters.UUIDFilter(field_name="salon_id")
    master_id = django_filters.UUIDFilter(field_name="master_id")
    service_id = django_filters.UUIDFilter(field_name="service_id")
    customer_id = django_filters.UUIDFilter(field_name="customer_id")
    status = django_filters.MultipleChoiceFilter(choices=BookingStatus.choices)
    date_from = DateFilter(method="filter_date_from")
    date_to = DateFilter(method="filter_date_to")
    customer_phone = django_filters.CharFilter(method="filter_phone")

    class Meta:
        model = Booking
        fields = ["salon_id", "master_id", "service_id", "customer_id", "status"]

    def _zone(self):
        """Dates are read in the salon's zone: the filtered salon's, else the one all visible salons share."""
        salon_id = self.form.cleaned_data.get("salon_id")
        salons = Salon.objects.for_user(getattr(self.request, "user", None))
        if salon_id:
            salons = salons.filter(pk=salon_id)
        zones = set(salons.values_list("timezone", flat=True)[:50])
        return zoneinfo.ZoneInfo(zones.pop() if len(zones) == 1 else "UTC")

    def _midnight(self, day):
        return datetime.combine(day, time.min, tzinfo=self._zone())

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(start_ts__gte=self._midnight(value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(start_ts__lt=self._midnight(value + timedelta(days=1)))

    def filter_phone(self, queryset, name, value):
        try:
            return queryset.filter(customer_phone=normalize_phone(value))
        except ValidationError:
            return queryset.none()


class ReminderFilter(FilterSet):
    booking_id = django_filters.UUIDFilter(field_name="booking_id")
    salon_id = django_filters.UUIDFilter(field_name="salon_id")
    status = django_filters.MultipleChoiceFilter(choices=ReminderStatus.choices)

    class Meta:
        model = Reminder
        fields = ["booking_id", "salon_id", "status"]


class WaitlistFilter(FilterSet):
    """Days are salon-local dates already: no zone to apply."""

    salon_id = django_filters.UUIDFilter(field_name="salon_id")
    customer_id = django_filters.UUIDFilter(field_name="customer_id")
    service_id = django_filters.UUIDFilter(field_name="service_id")
    master_id = django_filters.UUIDFilter(field_name="master_id")
    status = django_filters.MultipleChoiceFilter(choices=WaitlistStatus.choices)
    part = django_filters.ChoiceFilter(choices=DayPart.choices)
    day = DateFilter(field_name="day")
    date_from = DateFilter(field_name="day", lookup_expr="gte")
    date_to = DateFilter(field_name="day", lookup_expr="lte")

    class Meta:
        model = WaitlistEntry
        fields = ["salon_id", "customer_id", "service_id", "master_id", "status", "part", "day"]
