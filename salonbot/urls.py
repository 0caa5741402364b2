from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

api_patterns = [
    path("auth/", include("accounts.urls")),
    # bookings first: it adds sub-routes (availability) under salons/ and masters/
    path("", include("bookings.urls")),
    path("", include("messaging.urls")),
    path("", include("analytics.urls")),
    path("", include("salons.urls")),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("", include("salonbot.health")),
]
