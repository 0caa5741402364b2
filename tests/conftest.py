import pytest
from django.core.cache import caches
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
