import pytest
from django.test import Client

from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def admin_client(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def test_owner_changelists_show_only_their_rows(owner, other_owner):
    mine, theirs = (
        factories.SalonFactory(owner=owner, name="Mine"),
        factories.SalonFactory(owner=other_owner, name="Theirs"),
    )
    factories.MasterFactory(salon=mine, name="My master")
    factories.MasterFactory(salon=theirs, name="Their master")
    factories.CustomerFactory(salon=theirs, name="Their customer")
    client = admin_client(owner)
    salons = client.get("/admin/salons/salon/").content.decode()
    assert "Mine" in salons and "Theirs" not in salons
    masters = client.get("/admin/salons/master/").content.decode()
    assert "My master" in masters and "Their master" not in masters
    assert "Their customer" not in client.get("/admin/salons/customer/").content.decode()
    theirs_url = f"/admin/salons/salon/{theirs.pk}/change/"
    assert client.get(theirs_url).status_code == 404


def test_owner_foreign_key_choices_are_scoped(owner, other_owner):
    factories.SalonFactory(owner=owner, name="Mine")
    factories.SalonFactory(owner=other_owner, name="Theirs")
    page = admin_client(owner).get("/admin/salons/master/add/").content.decode()
    assert "Mine" in page and "Theirs" not in page


def test_owner_cannot_edit_platform_fields_in_admin(owner):
    salon = factories.SalonFactory(owner=owner)
    page = admin_client(owner).get(f"/admin/salons/salon/{salon.pk}/change/").content.decode()
    assert 'name="max_masters"' not in page
    assert 'name="name"' in page


def test_owner_cannot_reach_user_admin_but_super_admin_sees_all(owner, super_admin, other_owner):
    factories.SalonFactory(owner=other_owner, name="Theirs")
    assert admin_client(owner).get("/admin/accounts/user/").status_code == 403
    page = admin_client(super_admin).get("/admin/salons/salon/").content.decode()
    assert "Theirs" in page


def test_an_owner_is_not_shown_a_link_to_the_user_admin(owner):
    salon = factories.SalonFactory(owner=owner)
    page = admin_client(owner).get(f"/admin/salons/salon/{salon.pk}/change/").content.decode()
    assert "/admin/accounts/user/" not in page
