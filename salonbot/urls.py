from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

api_patterns = [
    path("auth/", include("accounts.urls")),
    # bookings first: it adds sub-routes (availability) under salons/ and masters/
    path("", include("bookings.urls")),
    path("", include("messaging.urls")),
    path("", include("analytics.urls")),
    path("", include("salons.urls")),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    # The split view loads its init script from `?script` (a 'self' URL) instead of inlining it,
    # so the Content-Security-Policy needs no 'unsafe-inline' for scripts.
    path(
        "docs",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="salonbot/swagger_ui.html"),
        name="docs",
    ),
]

# A database outage is a 503, JSON under /api/ and an HTML page elsewhere; anything else stays a 500.
handler500 = "salonbot.outages.server_error"

# /healthz and /readyz are answered by salonbot.health.HealthCheckMiddleware, before routing.
urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
]
