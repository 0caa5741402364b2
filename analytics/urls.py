from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^analytics/dashboard/?$", views.DashboardView.as_view(), name="analytics-dashboard"),
    re_path(r"^cache/dashboard/?$", views.DashboardCacheView.as_view(), name="dashboard-cache"),
]
