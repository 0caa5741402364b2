from salonbot.api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("bookings", views.BookingViewSet, basename="booking")
router.register("reminders", views.ReminderViewSet, basename="reminder")

urlpatterns = router.urls
