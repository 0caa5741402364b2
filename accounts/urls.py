from django.urls import re_path

from . import api

urlpatterns = [
    re_path(r"^register/?$", api.RegisterView.as_view(), name="auth-register"),
    re_path(r"^login/?$", api.LoginView.as_view(), name="auth-login"),
    re_path(r"^refresh/?$", api.RefreshView.as_view(), name="auth-refresh"),
    re_path(r"^logout/?$", api.LogoutView.as_view(), name="auth-logout"),
    re_path(r"^me/?$", api.MeView.as_view(), name="auth-me"),
]
