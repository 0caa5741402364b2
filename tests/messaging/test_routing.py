"""The per-process memo behind phone_number_id → salon routing (salonbot.localcache)."""

import threading

import pytest

from messaging.services import routing
from salonbot.localcache import LocalCache
from tests import factories


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_loaded_value_is_served_until_it_expires():
    clock, calls = Clock(), []
    cache = LocalCache(ttl=600, clock=clock)

    def load():
        calls.append(1)
        return len(calls)

    assert cache.get_or_load("k", load) == 1
    clock.now += 599
    assert cache.get_or_load("k", load) == 1
    clock.now += 2
    assert cache.get_or_load("k", load) == 2
    assert len(calls) == 2


def test_invalidation_and_clear():
    cache = LocalCache(ttl=600)
    cache.set("a", 1)
    cache.set("b", 2)
    cache.invalidate("a")
    assert cache.get("a") is None and cache.get("b") == 2
    assert cache.invalidate_where(lambda key, value: value == 2) == 1
    cache.set("c", 3)
    cache.clear()
    assert len(cache) == 0


def test_none_is_not_memoised_unless_asked():
    calls = []
    cache = LocalCache(ttl=600)
    for _ in range(2):
        cache.get_or_load("missing", lambda: calls.append(1))
    assert len(calls) == 2
    memo_none = LocalCache(ttl=600, cache_none=True)
    for _ in range(2):
        memo_none.get_or_load("missing", lambda: calls.append(1))
    assert len(calls) == 3


def test_a_load_overlapping_an_invalidation_is_not_stored():
    cache = LocalCache(ttl=600)

    def load_then_someone_invalidates():
        cache.invalidate("k")  # the value being loaded is already stale
        return "old"

    assert cache.get_or_load("k", load_then_someone_invalidates) == "old"
    assert cache.get("k") is None


def test_the_oldest_entry_makes_room():
    cache = LocalCache(ttl=600, max_entries=2)
    cache.set("a", 1)
    cache.set("b", 2)
    cache.set("c", 3)
    assert cache.get("a") is None and cache.get("b") == 2 and cache.get("c") == 3


def test_threads_share_one_consistent_memo():
    cache = LocalCache(ttl=600)
    errors = []

    def work(n):
        try:
            for i in range(500):
                cache.get_or_load(i % 50, lambda i=i: i % 50)
                if i % 97 == 0:
                    cache.invalidate(n)
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(cache.get(k) in (None, k) for k in range(50))


def test_ttl_must_be_positive():
    with pytest.raises(ValueError):
        LocalCache(ttl=0)


@pytest.mark.django_db
def test_routing_memoises_the_salon_and_forgets_it_on_change(django_assert_num_queries):
    salon = factories.SalonFactory(whatsapp_phone_number_id="420000000000555")
    with django_assert_num_queries(1):
        assert routing.salon_for_phone_number_id("420000000000555") == salon
        assert routing.salon_for_phone_number_id("420000000000555") == salon
    routing.forget_salon(salon)
    with django_assert_num_queries(1):
        routing.salon_for_phone_number_id("420000000000555")


@pytest.mark.django_db
def test_a_deleted_salon_is_forgotten():
    salon = factories.SalonFactory(whatsapp_phone_number_id="420000000000556")
    assert routing.salon_for_phone_number_id("420000000000556") == salon
    salon.delete()
    assert routing.salon_for_phone_number_id("420000000000556") is None


@pytest.mark.django_db
def test_admin_save_of_a_salon_forgets_its_old_number(owner, django_capture_on_commit_callbacks):
    from django.test import Client

    from tests.factories import PASSWORD

    salon = factories.SalonFactory(owner=owner, whatsapp_phone_number_id="420000000000557")
    assert routing.salon_for_phone_number_id("420000000000557") == salon
    client = Client()
    client.login(email=owner.email, password=PASSWORD)
    page = client.get(f"/admin/salons/salon/{salon.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() if form[name].value() is not None else "" for name in form.fields}
    data["whatsapp_phone_number_id"] = "420000000000558"
    data["reminder_offsets_minutes"] = "1440, 120"
    with django_capture_on_commit_callbacks(execute=True):  # the service announces the change on commit
        response = client.post(f"/admin/salons/salon/{salon.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert routing.salon_for_phone_number_id("420000000000557") is None
    assert routing.salon_for_phone_number_id("420000000000558") == salon


class SharedDict:
    """A SharedVersion stand-in: one counter two memos (two 'processes') read."""

    def __init__(self):
        self.value = 1

    def read(self):
        return self.value

    def bump(self):
        self.value += 1


def test_an_invalidation_published_in_one_process_reaches_the_other_within_check_every():
    clock, shared = Clock(), SharedDict()
    here = LocalCache(ttl=600, clock=clock, shared=shared, check_every=0.25)
    there = LocalCache(ttl=600, clock=clock, shared=shared, check_every=0.25)
    here.set("420", "salon A")
    assert there.get_or_load("420", lambda: "salon A") == "salon A"
    here.invalidate("420")
    here.publish()  # after the commit
    assert there.get("420") == "salon A"  # looked less than check_every ago
    clock.now += 0.25
    assert there.get("420") is None
    assert there.get_or_load("420", lambda: "salon B") == "salon B"
    clock.now += 10
    assert there.get("420") == "salon B"  # nothing published since


def test_an_unreachable_shared_version_keeps_nothing_past_check_every():
    clock = Clock()

    class Down:
        def read(self):
            return None

    memo = LocalCache(ttl=600, clock=clock, shared=Down(), check_every=0.25)
    memo.get_or_load("k", lambda: 1)
    assert memo.get("k") == 1
    clock.now += 0.3
    assert memo.get("k") is None


@pytest.mark.django_db
def test_forgetting_a_salon_publishes_after_commit(django_capture_on_commit_callbacks):
    from django.core.cache import cache

    salon = factories.SalonFactory(whatsapp_phone_number_id="420000000000559")
    key = routing._salons_by_number._shared.key
    before = routing._salons_by_number._shared.read()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        routing.forget_salon(salon)
    assert cache.get(key) == before  # not before the commit: others would reload the old row
    for callback in callbacks:
        callback()
    assert cache.get(key) == before + 1
