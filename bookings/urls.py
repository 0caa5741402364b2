from django.urls import re_path

from salonbot.api.routers import OptionalSlashRouter

from . import availability_views, views

router = OptionalSlashRouter()
router.register("bookings", views.BookingViewSet, basename="booking")
router.register("reminders", views.ReminderViewSet, basename="reminder")
router.register("waitlist", views.WaitlistViewSet, basename="waitlist")

UUID = r"(?P<pk>[0-9a-fA-F-]{36})"

urlpatterns = [
    re_path(
        rf"^masters/{UUID}/availability/?$",
        availability_views.MasterAvailabilityView.as_view(),
        name="master-availability",
    ),
    re_path(
        rf"^salons/{UUID}/availability/?$",
        availability_views.SalonAvailabilityView.as_view(),
        name="salon-availability",
    ),
    *router.urls,
]
