"""Users: one service creates them (API register, admin), and their admin access follows the role."""

import pytest
from django.core.management import call_command
from django.test import Client

from accounts import services
from accounts.models import Role, User
from salonbot.errors import InvalidInput
from tests.factories import PASSWORD, UserFactory
from tests.salons.html_forms import form_data, visible_text

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-Horse-77"


def admin_client(user, password=PASSWORD) -> Client:
    client = Client()
    assert client.login(email=user.email, password=password)
    return client


def can_use_the_admin(email: str, password: str) -> bool:
    client = Client()
    return client.login(email=email, password=password) and client.get("/admin/").status_code == 200


def add_user(client, **fields):
    data = form_data(client.get("/admin/accounts/user/add/").content, "user_form")
    data.update({name: [value] for name, value in fields.items()})
    return client.post("/admin/accounts/user/add/", data)


def test_an_owner_added_by_a_super_admin_can_log_in_to_the_admin(super_admin):
    response = add_user(
        admin_client(super_admin),
        email="New.Owner@Example.com",
        role=Role.SALON_OWNER,
        password1=NEW_PASSWORD,
        password2=NEW_PASSWORD,
    )
    assert response.status_code == 302, visible_text(response.content)[:1500]
    user = User.objects.get(email="new.owner@example.com")
    assert (user.role, user.is_staff, user.is_superuser) == (Role.SALON_OWNER, True, False)
    assert can_use_the_admin("new.owner@example.com", NEW_PASSWORD)


def test_a_super_admin_added_in_the_admin_is_a_django_superuser(super_admin):
    client = admin_client(super_admin)
    add_user(client, email="ops@example.com", role=Role.SUPER_ADMIN, password1=NEW_PASSWORD, password2=NEW_PASSWORD)
    user = User.objects.get(email="ops@example.com")
    assert (user.is_staff, user.is_superuser) == (True, True)


def test_the_add_form_refuses_a_taken_email_in_any_case_and_a_weak_password(super_admin, owner):
    client = admin_client(super_admin)
    taken = add_user(client, email=owner.email.upper(), role=Role.SALON_OWNER, password1="x", password2="x")
    assert taken.status_code == 200
    text = visible_text(taken.content)
    assert "A user with this e-mail already exists." in text
    weak = add_user(client, email="weak@example.com", role=Role.SALON_OWNER, password1="123", password2="123")
    assert weak.status_code == 200 and "too short" in visible_text(weak.content)
    assert not User.objects.filter(email="weak@example.com").exists()


def test_the_password_change_form_sets_the_password(super_admin, owner):
    url = f"/admin/accounts/user/{owner.pk}/password/"
    client = admin_client(super_admin)
    data = form_data(client.get(url).content, "user_form")
    data.update({"password1": [NEW_PASSWORD], "password2": [NEW_PASSWORD]})
    response = client.post(url, data)
    assert response.status_code == 302, visible_text(response.content)[:1500]
    assert can_use_the_admin(owner.email, NEW_PASSWORD)
    assert not Client().login(email=owner.email, password=PASSWORD)


def test_a_role_change_in_the_admin_brings_its_access_with_it(super_admin, owner):
    url = f"/admin/accounts/user/{owner.pk}/change/"
    client = admin_client(super_admin)
    page = client.get(url).content.decode()
    assert 'name="is_staff"' not in page and 'name="is_superuser"' not in page  # follow the role
    data = form_data(page, "user_form")
    data["role"] = [Role.SUPER_ADMIN]
    assert client.post(url, data).status_code == 302
    owner.refresh_from_db()
    assert (owner.role, owner.is_staff, owner.is_superuser) == (Role.SUPER_ADMIN, True, True)
    data["role"] = [Role.SALON_OWNER]
    assert client.post(url, data).status_code == 302
    owner.refresh_from_db()
    assert (owner.role, owner.is_staff, owner.is_superuser) == (Role.SALON_OWNER, True, False)


def test_the_change_form_refuses_another_users_email(super_admin, owner, other_owner):
    url = f"/admin/accounts/user/{owner.pk}/change/"
    client = admin_client(super_admin)
    data = form_data(client.get(url).content, "user_form")
    data["email"] = [other_owner.email.upper()]
    response = client.post(url, data)
    assert response.status_code == 200
    assert "A user with this e-mail already exists." in visible_text(response.content)


def test_create_user_sets_the_access_of_the_role_and_refuses_a_taken_email():
    owner = services.create_user(email="Anna@Example.com", password=PASSWORD, role=Role.SALON_OWNER)
    assert (owner.email, owner.is_staff, owner.is_superuser) == ("anna@example.com", True, False)
    assert owner.check_password(PASSWORD)
    with pytest.raises(InvalidInput) as taken:
        services.create_user(email="ANNA@example.com", password=PASSWORD, role=Role.SUPER_ADMIN)
    assert taken.value.field == "email"
    with pytest.raises(InvalidInput):
        services.create_user(email="x@example.com", password=PASSWORD, role="JANITOR")


def test_register_api_creates_its_owner_through_create_user(anon_api, monkeypatch):
    calls = []
    real = services.create_user
    monkeypatch.setattr(services, "create_user", lambda **kw: calls.append(kw) or real(**kw))
    body = {"email": "api@example.com", "password": "a-Strong-pass-123"}
    assert anon_api.post("/api/auth/register", body, format="json").status_code == 201
    assert [c["role"] for c in calls] == [Role.SALON_OWNER]
    assert can_use_the_admin("api@example.com", "a-Strong-pass-123")


def test_createsuperuser_needs_only_an_email(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", NEW_PASSWORD)
    call_command("createsuperuser", interactive=False, email="root@example.com", verbosity=0)
    user = User.objects.get(email="root@example.com")
    assert (user.role, user.is_staff, user.is_superuser, user.first_name) == (Role.SUPER_ADMIN, True, True, "")
    assert can_use_the_admin("root@example.com", NEW_PASSWORD)


def test_owners_cannot_reach_users_at_all(owner):
    client = admin_client(owner)
    assert client.get("/admin/accounts/user/").status_code == 403
    assert client.get("/admin/accounts/user/add/").status_code == 403
    assert client.get(f"/admin/accounts/user/{UserFactory().pk}/password/").status_code == 403
