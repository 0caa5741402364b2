import contextvars
import os
import threading

import pytest
from django.core.cache import caches
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from salonbot.celery import app as celery_app
from tests import factories

# Unit and API tests run tasks in-process; the worker tests start a real worker and undo this.
celery_app.conf.task_always_eager = True


def clear_cache(alias: str) -> None:
    cache = caches[alias]
    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")  # only our prefix: the broker may share the Redis database
    else:
        cache.clear()


# Without Redis the product's cache is a database table (salonbot/dbcache.py). In-process tests
# use an in-memory cache instead, as they did before: their query counts are the code's, not the
# cache's, and a test without a database still has a cache. The database cache itself is tested
# in tests/test_dbcache.py and, across real processes, in tests/test_embedded_processes.py.
LOCMEM_CACHES = {
    alias: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"tests-{alias}"}
    for alias in ("default", "ratelimit")
}


APP_ROLE_MODE = os.environ.get("SALONBOT_TEST_AS_APP_ROLE") == "1"

if APP_ROLE_MODE:
    # Threads a test starts (races, a lock holder) run its code in its scope, as if in its own thread;
    # a new thread's context is otherwise empty, and the app role would see no rows from it.
    _start_thread = threading.Thread.start

    def _start_in_creator_context(self):
        context, run = contextvars.copy_context(), self.run
        self.run = lambda: context.run(run)
        _start_thread(self)

    threading.Thread.start = _start_in_creator_context


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """SALONBOT_TEST_AS_APP_ROLE=1 (PostgreSQL): after migrating as the superuser, every test connection
    assumes a role like production's app role (no BYPASSRLS, owns nothing), so row-level security
    applies to the whole suite and a path that forgets to set the tenant scope sees no rows."""
    if not APP_ROLE_MODE or connection.vendor != "postgresql":
        yield
        return
    from salonbot.db.rls import grant_app_privileges

    role = f"{connection.settings_dict['NAME']}_suite_app"[:63]
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE ROLE "{role}" NOLOGIN NOSUPERUSER NOBYPASSRLS')
            cursor.execute(f'GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "{role}"')  # transactional tests flush
        grant_app_privileges(connection, role)
        connection.settings_dict["OPTIONS"]["assume_role"] = role
        connection.close()
    yield
    with django_db_blocker.unblock():
        connection.settings_dict["OPTIONS"].pop("assume_role", None)
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.fixture(autouse=True)
def _platform_scope_for_test_code():
    """Test code itself (factories, assertions) acts for the platform; requests and tasks it makes set their own."""
    if not APP_ROLE_MODE:
        yield
        return
    from salonbot.scope import platform_scope

    with platform_scope():
        yield


@pytest.fixture(autouse=True)
def _isolated_state(settings, request):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if "dbcache" in settings.CACHES["default"]["BACKEND"] and "database_cache" not in request.keywords:
        settings.CACHES = LOCMEM_CACHES
    for alias in ("default", "ratelimit"):
        clear_cache(alias)
    yield


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def owner(db):
    return factories.UserFactory()


@pytest.fixture
def other_owner(db):
    return factories.UserFactory()


@pytest.fixture
def super_admin(db):
    return factories.UserFactory(super_admin=True)


@pytest.fixture
def api(owner):
    return client_for(owner)


@pytest.fixture
def other_api(other_owner):
    return client_for(other_owner)


@pytest.fixture
def admin_api(super_admin):
    return client_for(super_admin)


@pytest.fixture
def anon_api():
    return APIClient()


@pytest.fixture
def salon(owner):
    return factories.SalonFactory(owner=owner)


@pytest.fixture
def other_salon(other_owner):
    return factories.SalonFactory(owner=other_owner)


def purge_broker(url: str | None = None) -> int:
    """Empty the default task queue of `url` (settings' broker by default) before a real worker starts.

    The broker outlives test runs (Redis on the machine, var/ on disk): tasks that an earlier run or
    a benchmark left there would otherwise keep the new worker busy past the test's deadline.
    """
    with celery_app.connection_for_write(url) as conn:
        return conn.default_channel.queue_purge(celery_app.conf.task_default_queue) or 0


def database_url() -> str:
    """The test database as a DATABASE_URL, for the real processes (worker, gunicorn) a test starts."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"
