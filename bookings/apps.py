from django.apps import AppConfig


class BookingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "bookings"

    def ready(self):
        from salonbot import metrics

        from .signals import booking_changed

        booking_changed.connect(metrics.count_booking_change, dispatch_uid="salonbot.metrics.bookings")
