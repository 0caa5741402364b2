from salonbot.api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("salons", views.SalonViewSet, basename="salon")
router.register("masters", views.MasterViewSet, basename="master")
router.register("services", views.ServiceViewSet, basename="service")
router.register("customers", views.CustomerViewSet, basename="customer")

urlpatterns = router.urls
