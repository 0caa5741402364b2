import pytest
from django.core.management import call_command
from django.test import override_settings

from accounts.models import Role, User
from tests.conftest import client_for
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def register(client, **overrides):
    body = {"email": "Anna@Example.com", "password": "a-Strong-pass-123", "first_name": "Anna", "last_name": "K"}
    return client.post("/api/auth/register", {**body, **overrides}, format="json")


def test_register_creates_salon_owner_and_returns_tokens(anon_api):
    response = register(anon_api)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"]["email"] == "anna@example.com"
    assert body["user"]["role"] == "SALON_OWNER"
    assert set(body["user"]) == {"id", "email", "first_name", "last_name", "role"}
    me = anon_api.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.status_code == 200
    assert me.json()["id"] == body["user"]["id"]


def test_register_rejects_weak_password_and_taken_email_case_insensitively(anon_api):
    weak = register(anon_api, password="123")
    assert weak.status_code == 400
    assert "password" in weak.json()
    assert register(anon_api).status_code == 201
    taken = register(anon_api, email="ANNA@example.COM")
    assert taken.status_code == 400
    assert "email" in taken.json()
    assert User.objects.count() == 1


def test_register_rejects_missing_fields(anon_api):
    response = anon_api.post("/api/auth/register", {}, format="json")
    assert response.status_code == 400
    assert {"email", "password"} <= set(response.json())


def test_login_with_any_email_case_and_401_on_bad_credentials(anon_api, owner):
    ok = anon_api.post("/api/auth/login", {"email": owner.email.upper(), "password": PASSWORD}, format="json")
    assert ok.status_code == 200
    assert {"access", "refresh", "user"} <= set(ok.json())
    bad = anon_api.post("/api/auth/login", {"email": owner.email, "password": "wrong-password"}, format="json")
    assert bad.status_code == 401
    assert bad.json()["code"] == "authentication_failed"
    unknown = anon_api.post("/api/auth/login", {"email": "nobody@example.com", "password": "x"}, format="json")
    assert unknown.status_code == 401


def test_inactive_user_cannot_log_in(anon_api):
    user = UserFactory(is_active=False)
    response = anon_api.post("/api/auth/login", {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 401


def test_refresh_rotates_and_old_refresh_token_is_rejected(anon_api, owner):
    tokens = anon_api.post("/api/auth/login", {"email": owner.email, "password": PASSWORD}, format="json").json()
    rotated = anon_api.post("/api/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert rotated.status_code == 200
    assert {"access", "refresh"} <= set(rotated.json())
    assert rotated.json()["refresh"] != tokens["refresh"]
    reused = anon_api.post("/api/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert reused.status_code == 401
    again = anon_api.post("/api/auth/refresh", {"refresh": rotated.json()["refresh"]}, format="json")
    assert again.status_code == 200


def test_logout_blacklists_refresh_token(anon_api, owner):
    tokens = anon_api.post("/api/auth/login", {"email": owner.email, "password": PASSWORD}, format="json").json()
    out = anon_api.post("/api/auth/logout", {"refresh": tokens["refresh"]}, format="json")
    assert out.status_code == 204
    after = anon_api.post("/api/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert after.status_code == 401
    garbage = anon_api.post("/api/auth/logout", {"refresh": "not-a-token"}, format="json")
    assert garbage.status_code == 401


def test_me_requires_a_valid_token(anon_api, owner):
    assert anon_api.get("/api/auth/me").status_code == 401
    bad = anon_api.get("/api/auth/me", HTTP_AUTHORIZATION="Bearer nonsense")
    assert bad.status_code == 401
    assert client_for(owner).get("/api/auth/me").json()["email"] == owner.email


def test_access_token_lifetime_comes_from_settings(owner):
    from rest_framework_simplejwt.settings import api_settings

    assert api_settings.ACCESS_TOKEN_LIFETIME.total_seconds() == 15 * 60
    assert api_settings.REFRESH_TOKEN_LIFETIME.days == 7


@override_settings()
def test_createsuperuser_makes_a_super_admin(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-Strong-pass-123")
    call_command("createsuperuser", interactive=False, email="root@example.com", verbosity=0)  # names are optional
    user = User.objects.get(email="root@example.com")
    assert user.role == Role.SUPER_ADMIN
    assert user.is_super_admin and user.is_superuser and user.is_staff
