"""Reads shared by the API, the admin and the bot."""

from django.db.models import Count, Max, Prefetch

from .models import Customer, Master, Salon, Service, UsageCounter
from .services import usage_period


def masters_with_services():
    return Master.objects.select_related("salon").prefetch_related(
        Prefetch("services", queryset=Service.objects.only("id"))
    )


def customers_with_stats():
    """Customers with `bookings_count` and `last_booking_at`, counted in the database."""
    return Customer.objects.annotate(bookings_count=Count("bookings"), last_booking_at=Max("bookings__start_ts"))


def salon_usage(salon: Salon) -> dict:
    period = usage_period(salon)
    counter = UsageCounter.objects.filter(salon=salon, period=period).first()
    return {
        "period": period.strftime("%Y-%m"),
        "bookings": {"used": counter.bookings if counter else 0, "limit": salon.max_bookings_per_month},
        "messages": {"used": counter.messages if counter else 0, "limit": salon.max_messages_per_month},
    }
