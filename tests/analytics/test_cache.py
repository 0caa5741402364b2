"""The per-salon cache entry: hits cost no query, versions keep stale figures out, Redis may be down."""

import logging
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from analytics import cache as dashboard_cache
from analytics import receivers, selectors, services
from salons.signals import salon_changed
from tests import factories
from tests.analytics.conftest import MISS_QUERIES, make_booking

pytestmark = pytest.mark.django_db


def book(salon, master, service, start=None):
    return factories.BookingFactory(
        actor=salon.owner,
        salon=salon,
        master=master,
        service=service,
        start_ts=start or timezone.now() + timedelta(days=3),
    )


def test_a_hit_runs_no_query_and_keeps_generated_at(salon, django_assert_num_queries):
    with django_assert_num_queries(MISS_QUERIES):
        first = selectors.cached_salon_dashboard(salon)
    with django_assert_num_queries(0):
        second = selectors.cached_salon_dashboard(salon)
    assert second == first
    assert second["generated_at"] == first["generated_at"]


def test_a_miss_costs_the_same_queries_however_many_bookings(salon, django_assert_num_queries):
    now = timezone.now()
    for hours in range(40):
        make_booking(salon, now - timedelta(hours=hours * 7))
    with django_assert_num_queries(MISS_QUERIES):
        figures = selectors.cached_salon_dashboard(salon)
    assert figures["total_bookings"] == 40


def test_a_computation_that_started_before_an_invalidation_does_not_store_its_figures(
    salon, master, service, monkeypatch, django_capture_on_commit_callbacks
):
    # The race, made deterministic: a booking is committed (and invalidates) while a reader is
    # between reading the version and storing what it computed from the older data.
    compute = selectors.salon_dashboard

    def compute_then_someone_books(salon_, **kwargs):
        figures = compute(salon_, **kwargs)
        with django_capture_on_commit_callbacks(execute=True):
            book(salon, master, service)
        return figures

    monkeypatch.setattr(selectors, "salon_dashboard", compute_then_someone_books)
    assert selectors.cached_salon_dashboard(salon)["total_bookings"] == 0  # that reader's own answer
    monkeypatch.setattr(selectors, "salon_dashboard", compute)
    assert selectors.cached_salon_dashboard(salon)["total_bookings"] == 1


def test_an_entry_stored_under_an_older_version_is_never_read(salon):
    version, entry = dashboard_cache.read(salon.pk)
    assert entry is None
    dashboard_cache.bump(salon.pk)
    dashboard_cache.store(salon.pk, version, {"stale": True})
    assert dashboard_cache.read(salon.pk)[1] is None


def test_bump_creates_a_missing_version_key_atomically(salon):
    cache.delete(dashboard_cache.version_key(salon.pk))
    assert dashboard_cache.bump(salon.pk) is False  # nobody read it: nothing to re-warm
    created = cache.get(dashboard_cache.version_key(salon.pk))
    assert isinstance(created, int)
    dashboard_cache.bump(salon.pk)
    assert cache.get(dashboard_cache.version_key(salon.pk)) == created + 1


def test_readers_that_find_no_version_agree_on_one(salon):
    cache.delete(dashboard_cache.version_key(salon.pk))
    assert dashboard_cache.current_version(salon.pk) == dashboard_cache.current_version(salon.pk)


def test_an_evicted_version_key_does_not_bring_old_entries_back(salon):
    selectors.cached_salon_dashboard(salon)
    version = cache.get(dashboard_cache.version_key(salon.pk))
    cache.delete(dashboard_cache.version_key(salon.pk))  # as an LRU eviction would
    dashboard_cache._version_hints.clear()  # a fresh process
    new_version, entry = dashboard_cache.read(salon.pk)
    assert new_version != version and entry is None


def test_a_stale_local_hint_costs_a_round_trip_not_a_stale_answer(salon):
    before = selectors.cached_salon_dashboard(salon)  # this process now hints the current version
    make_booking(salon, timezone.now())
    cache.incr(dashboard_cache.version_key(salon.pk))  # another process invalidated
    after = selectors.cached_salon_dashboard(salon)
    assert (before["total_bookings"], after["total_bookings"]) == (0, 1)


def test_a_read_dashboard_is_rewarmed_after_a_write(
    salon, master, service, django_capture_on_commit_callbacks, django_assert_num_queries
):
    first = selectors.cached_salon_dashboard(salon)
    with django_capture_on_commit_callbacks(execute=True):
        book(salon, master, service)  # Celery runs eagerly in tests: the warm-up happens here
    with django_assert_num_queries(0):
        warmed = selectors.cached_salon_dashboard(salon)
    assert warmed["total_bookings"] == 1
    assert warmed["generated_at"] >= first["generated_at"]


def test_an_unread_dashboard_is_not_rewarmed(salon, master, service, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        book(salon, master, service)
    assert dashboard_cache.read(salon.pk)[1] is None


def test_the_warm_task_is_idempotent(salon, django_assert_num_queries):
    services.warm_salon_dashboard(salon_id=salon.pk)
    with django_assert_num_queries(1):  # loads the salon, finds the entry, computes nothing
        services.warm_salon_dashboard(salon_id=salon.pk)


def test_the_platform_entry_is_cached_for_a_minute(dataset, django_assert_num_queries):
    first = selectors.cached_platform_dashboard()
    with django_assert_num_queries(0):
        assert selectors.cached_platform_dashboard() == first
    services.drop_dashboard(salon_id=None)
    assert selectors.cached_platform_dashboard()["generated_at"] > first["generated_at"]


def test_with_redis_down_figures_come_from_the_database_and_nothing_raises(dead_cache, salon, caplog):
    make_booking(salon, timezone.now())
    with caplog.at_level(logging.WARNING):
        figures = selectors.cached_salon_dashboard(salon)
        again = selectors.cached_salon_dashboard(salon)
    assert figures["total_bookings"] == again["total_bookings"] == 1
    # Found down once, then skipped for a few seconds instead of waiting on every call.
    assert caplog.text.count("dashboard cache unreachable") == 1
    assert dashboard_cache.bump(salon.pk) is False  # incr on a dead cache must not raise out
    receivers.invalidate(salon.pk)
    services.drop_dashboard(salon_id=salon.pk)
    services.drop_dashboard(salon_id=None)
    assert selectors.cached_platform_dashboard()["total_bookings"] == 1


def test_a_salon_change_inside_a_transaction_invalidates_after_commit(salon, django_capture_on_commit_callbacks):
    # The salon admin sends salon_changed inside its transaction: bumping then would let a reader
    # store pre-commit figures under the new version.
    before = dashboard_cache.read(salon.pk)[0]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        salon.timezone = "Asia/Tokyo"
        salon.save()
        salon_changed.send(sender=type(salon), salon=salon)
        assert dashboard_cache.read(salon.pk)[0] == before  # not yet
    assert dashboard_cache.read(salon.pk)[0] != before
