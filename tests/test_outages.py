"""A database that went away: 503 `database_unavailable` with Retry-After, not a 500; a GET retried once.

The PostgreSQL tests break the test's own connection for real: its backend terminated from
another session (a restart that has finished), or the connection pointed at a port nobody
listens on (PostgreSQL down). The full restart under load is tests/faults (make test-faults).
"""

import contextlib
import logging

import psycopg
import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import Client
from psycopg import errors as pg_errors

from salonbot import outages
from tests import factories
from tests.conftest import client_for
from tests.scale.stack import free_port

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="breaks a PostgreSQL connection")


def django_error(cause: BaseException, kind=OperationalError) -> BaseException:
    try:
        raise kind(str(cause)) from cause
    except kind as exc:
        return exc


@pytest.mark.parametrize(
    ("cause", "outage"),
    [
        (psycopg.OperationalError("connection refused"), True),  # no SQLSTATE: the connection failed
        (pg_errors.AdminShutdown("terminating connection due to administrator command"), True),
        (pg_errors.CannotConnectNow("the database system is starting up"), True),
        (pg_errors.DeadlockDetected("deadlock detected"), False),  # ours to fix: stays a 500
        (pg_errors.SerializationFailure("could not serialize access"), False),
        (pg_errors.QueryCanceled("canceling statement due to statement timeout"), False),
    ],
)
def test_an_outage_is_a_lost_connection_not_a_refused_statement(cause, outage):
    assert outages.is_outage(django_error(cause)) is outage


def test_an_interface_error_is_an_outage_and_other_errors_are_not():
    assert outages.is_outage(django_error(psycopg.InterfaceError("connection already closed"), InterfaceError))
    assert not outages.is_outage(ValueError("no"))
    assert not outages.is_outage(None)


def _terminate(conn) -> None:
    """End `conn`'s server process from another session, as a restart does."""
    pid = conn.connection.info.backend_pid
    db = conn.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"], autocommit=True
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_get_on_a_connection_a_restart_broke_is_retried_on_a_fresh_one(caplog):
    salon = factories.SalonFactory()
    api = client_for(salon.owner)
    assert api.get("/api/salons").status_code == 200
    connection.ensure_connection()
    _terminate(connection)

    with caplog.at_level(logging.INFO, logger="salonbot.outages"):
        response = api.get("/api/salons")

    assert response.status_code == 200, response.content
    assert [r.levelname for r in caplog.records if r.name == "salonbot.outages"] == ["WARNING", "INFO"]


@contextlib.contextmanager
def database_down():
    """The connection pointed at a port nobody listens on (PostgreSQL stopped); put back afterwards."""
    original = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(free_port())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = original


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_with_the_database_down_the_api_and_admin_answer_503_and_log_it_once(caplog):
    salon = factories.SalonFactory()
    api = client_for(salon.owner)
    api.raise_request_exception = False
    admin = Client(raise_request_exception=False)
    admin.force_login(factories.UserFactory(super_admin=True))
    with caplog.at_level(logging.INFO):
        with database_down():
            reads = [api.get("/api/salons"), api.get(f"/api/salons/{salon.pk}")]
            write = api.post("/api/salons", {"name": "New", "timezone": "UTC"}, format="json")
            page = admin.get("/admin/")
        back = api.get("/api/salons")

    for response in [*reads, write]:
        assert response.status_code == 503, response.content
        assert response.json()["code"] == "database_unavailable"
        assert response.json()["detail"]
        assert response["Retry-After"] == str(outages.RETRY_AFTER_SECONDS)
    assert page.status_code == 503
    assert page["Content-Type"].startswith("text/html")
    assert b"Service unavailable" in page.content
    assert back.status_code == 200
    outage_lines = [r.levelname for r in caplog.records if r.name == "salonbot.outages"]
    assert outage_lines == ["WARNING", "INFO"]
    # Not one "Internal Server Error" traceback per request.
    assert not [r for r in caplog.records if r.name == "django.request" and r.levelno >= logging.ERROR]


def test_handler500_answers_an_outage_503_json_under_the_api_and_html_elsewhere(rf):
    for path, content_type in (("/api/bookings", "application/json"), ("/admin/", "text/html")):
        try:
            raise django_error(psycopg.OperationalError("connection refused"))
        except OperationalError:
            response = outages.server_error(rf.get(path))
        assert response.status_code == 503
        assert response["Content-Type"].startswith(content_type)
        assert response["Retry-After"] == str(outages.RETRY_AFTER_SECONDS)
    outages.outage.recovered()


def test_handler500_leaves_any_other_error_a_500(rf):
    try:
        raise django_error(pg_errors.DeadlockDetected("deadlock detected"))
    except OperationalError:
        response = outages.server_error(rf.get("/admin/"))
    assert response.status_code == 500
    try:
        raise ValueError("a bug")
    except ValueError:
        response = outages.server_error(rf.get("/api/bookings"))
    assert response.status_code == 500
