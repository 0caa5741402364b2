"""Row-level security (PostgreSQL): the database confines a query that forgot `for_user`.

The suite connects as a superuser, which PostgreSQL exempts from every policy; these tests switch
the test transaction to a role like the production app role (owns no table, no BYPASSRLS) with
SET LOCAL ROLE, so the policies apply, and undo it with the transaction.
"""

from datetime import timedelta

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from bookings.models import Booking
from messaging.models import WebhookEvent
from salonbot.db.rls import grant_app_privileges, policy_tables
from salonbot.scope import NO_SCOPE, PLATFORM, acting_for, platform_scope, tenant_scope
from salons.models import Customer, Master, Salon, Service
from tests import factories
from tests.conftest import APP_ROLE_MODE, client_for
from tests.test_tenant_models import tenant_models

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="session")
def app_role(django_db_setup, django_db_blocker):
    if connection.vendor != "postgresql":
        pytest.skip("row-level security is PostgreSQL's; the embedded SQLite default has none")
    if APP_ROLE_MODE:  # the whole suite runs as an app role already (tests/conftest.py)
        yield connection.settings_dict["OPTIONS"]["assume_role"]
        return
    with django_db_blocker.unblock():
        role = f"{connection.settings_dict['NAME']}_app"[:63]
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE ROLE "{role}" NOLOGIN NOSUPERUSER NOBYPASSRLS')
        grant_app_privileges(connection, role)
    yield role
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{role}"')
        cursor.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.fixture
def as_app_role(app_role, db):
    """The rest of the test runs as the app role (undone with the test's transaction)."""
    with connection.cursor() as cursor:
        if not APP_ROLE_MODE:
            cursor.execute(f'SET LOCAL ROLE "{app_role}"')
        cursor.execute(
            "SELECT current_user, (SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = current_user)"
        )
        assert cursor.fetchone() == (app_role, False)
    return app_role


@pytest.fixture
def two_salons(db):
    """Owner A's and owner B's salon, each with a master, a service, a customer and a booking."""
    made = {}
    for key in ("a", "b"):
        salon = factories.SalonFactory()
        master = factories.MasterFactory(salon=salon)
        service = factories.ServiceFactory(salon=salon)
        master.services.add(service)
        customer = Customer.objects.create(salon=salon, phone=f"+49151000000{len(made)}", name=key)
        start = timezone.now() + timedelta(days=1)
        booking = Booking.objects.create(
            salon=salon,
            master=master,
            service=service,
            customer=customer,
            start_ts=start,
            end_ts=start + timedelta(hours=1),
            customer_name=key,
            customer_phone=customer.phone,
            code=f"CODE{key.upper()}234",
        )
        made[key] = {"salon": salon, "owner": salon.owner, "booking": booking, "master": master, "service": service}
    return made


def test_every_tenant_table_has_a_policy(app_role, db):
    tables = {m._meta.db_table for m in tenant_models()}
    tables |= {
        f.remote_field.through._meta.db_table
        for m in tenant_models()
        for f in m._meta.local_many_to_many
        if f.remote_field.through._meta.auto_created
    }
    with connection.cursor() as cursor:
        enabled = policy_tables(cursor)
    missing = sorted(t for t in tables if not enabled.get(t))
    assert not missing, f"tenant tables without row-level security: {missing}"
    assert "accounts_user" not in enabled  # users are not a tenant's rows: login reads them unscoped


def test_unscoped_query_inside_owner_a_scope_gets_none_of_b_rows(two_salons, as_app_role):
    a, b = two_salons["a"], two_salons["b"]
    with acting_for(a["owner"]):
        # Deliberately without for_user(): the database alone decides.
        assert list(Booking.objects.values_list("pk", flat=True)) == [a["booking"].pk]
        assert list(Salon.objects.values_list("pk", flat=True)) == [a["salon"].pk]
        assert set(Master.objects.values_list("salon_id", flat=True)) == {a["salon"].pk}
        assert set(Customer.objects.values_list("salon_id", flat=True)) == {a["salon"].pk}
        assert not Booking.objects.filter(pk=b["booking"].pk).exists()
        assert a["master"].services.count() == 1
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM bookings_booking")
            assert cursor.fetchone() == (1,)
            cursor.execute("SELECT count(*) FROM salons_master_services WHERE master_id = %s", [b["master"].pk])
            assert cursor.fetchone() == (0,)


def test_a_query_without_any_scope_gets_nothing(two_salons, as_app_role):
    with tenant_scope(NO_SCOPE):
        assert Booking.objects.count() == 0
        assert Salon.objects.count() == 0
        assert Service.objects.count() == 0
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM bookings_booking")
            assert cursor.fetchone() == (0,)


def test_the_platform_scope_sees_every_salon(two_salons, as_app_role):
    with tenant_scope(PLATFORM):
        assert Booking.objects.count() == 2
        assert Salon.objects.count() == 2


def test_an_owner_cannot_write_into_another_salon(two_salons, as_app_role):
    a, b = two_salons["a"], two_salons["b"]
    with acting_for(a["owner"]):
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            Service.objects.create(salon=b["salon"], name="Smuggled", duration_minutes=30, price=1)
        # An UPDATE of B's row matches nothing: it is not there for A.
        assert Booking.objects.filter(pk=b["booking"].pk).update(notes="x") == 0
    with platform_scope():
        assert Booking.objects.get(pk=b["booking"].pk).notes == ""


def test_scope_survives_a_rolled_back_transaction(two_salons, as_app_role):
    a = two_salons["a"]
    with acting_for(a["owner"]):
        with pytest.raises(RuntimeError), transaction.atomic():
            assert Booking.objects.count() == 1
            raise RuntimeError  # PostgreSQL undoes settings made in a rolled-back transaction
        assert Booking.objects.count() == 1
    with tenant_scope(NO_SCOPE):
        assert Booking.objects.count() == 0


def test_an_api_request_runs_in_its_user_scope(two_salons, as_app_role):
    a, b = two_salons["a"], two_salons["b"]
    response = client_for(a["owner"]).get("/api/bookings")
    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["results"]] == [str(a["booking"].pk)]
    assert client_for(a["owner"]).get(f"/api/bookings/{b['booking'].pk}").status_code == 404
    admin = factories.UserFactory(super_admin=True)
    everything = client_for(admin).get("/api/bookings").json()
    assert everything["count"] == 2


def test_an_owner_creates_a_booking_through_the_api_under_the_app_role(two_salons, as_app_role):
    a = two_salons["a"]
    start = (timezone.now() + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    while start.weekday() == 6:
        start += timedelta(days=1)
    response = client_for(a["owner"]).post(
        "/api/bookings",
        {
            "salon_id": str(a["salon"].pk),
            "master_id": str(a["master"].pk),
            "service_id": str(a["service"].pk),
            "start_ts": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "customer_name": "Ann",
            "customer_phone": "+4915112345699",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    with platform_scope():
        assert Booking.objects.filter(salon=a["salon"]).count() == 2


def test_the_webhook_stores_its_event_in_the_platform_scope(settings, as_app_role):
    from messaging.whatsapp.signature import sign

    settings.WHATSAPP_APP_SECRET = "rls-secret"
    body = b'{"object": "whatsapp_business_account", "entry": []}'
    client = client_for(None)
    response = client.post(
        "/api/whatsapp/webhook",
        data=body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=sign(body, "rls-secret"),
    )
    assert response.status_code == 200
    with platform_scope():
        assert WebhookEvent.objects.count() == 1


def test_every_app_with_tenant_models_is_covered():
    # A new app holding salon rows must be added to the walk (tests/test_tenant_models.py).
    labels = {m._meta.app_label for m in apps.get_models() if any(f.name == "salon" for f in m._meta.fields)}
    assert labels <= {"salons", "bookings", "messaging", "analytics"}


def test_a_number_another_owner_uses_is_a_400_not_a_database_error(two_salons, as_app_role):
    a, b = two_salons["a"], two_salons["b"]
    response = client_for(b["owner"]).patch(
        f"/api/salons/{b['salon'].pk}",
        {"whatsapp_phone_number_id": a["salon"].whatsapp_phone_number_id},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "whatsapp_phone_number_id" in response.json()


def test_an_owner_s_admin_pages_run_in_their_scope(two_salons, as_app_role):
    from django.test import Client

    from tests.factories import PASSWORD

    a, b = two_salons["a"], two_salons["b"]
    client = Client()
    assert client.login(email=a["owner"].email, password=PASSWORD)
    page = client.get("/admin/bookings/booking/")
    assert page.status_code == 200
    assert a["booking"].code in page.content.decode()
    assert b["booking"].code not in page.content.decode()
    assert client.get(f"/admin/bookings/booking/{b['booking'].pk}/change/").status_code in (302, 404)
