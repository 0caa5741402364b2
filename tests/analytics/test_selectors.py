"""Every dashboard figure against a dataset with known answers (tests/analytics/conftest.py)."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from analytics import selectors
from analytics.serializers import BookingsByStatusSerializer
from bookings.models import BookingStatus
from tests.analytics.conftest import MISS_QUERIES, NOW, make_booking, utc

pytestmark = pytest.mark.django_db


def test_salon_figures_follow_the_salons_local_calendar(dataset):
    figures = selectors.salon_dashboard(dataset, now=NOW)
    assert figures["salon_id"] == dataset.pk
    assert figures["generated_at"] == NOW
    assert figures["total_bookings"] == 12
    assert figures["bookings_by_status"] == {
        "CONFIRMED": 2,
        "IN_PROGRESS": 1,
        "COMPLETED": 7,
        "CANCELLED": 1,
        "NO_SHOW": 1,
    }
    # Monday 31 March in New York: b1 (21:00 local, already 1 April in UTC), b3, b4, b5.
    assert figures["today_bookings"] == 4
    assert figures["recent_activity"]["bookings_last_24h"] == 2  # b1, and b10 at exactly 24 h
    # make_customer's 3, and each make_chat's customer (created now, i.e. after NOW: not counted).
    assert figures["recent_activity"]["new_customers_last_7d"] == 2
    assert figures["recent_activity"]["messages_last_24h"] == 7  # A 2, D 1, E 1, G 3
    assert figures["active_chats"] == 3  # A, D, G
    assert figures["response_rate"] == 40.0  # of A B D F G, A and F were answered after their last inbound
    assert figures["trends"] == {
        "bookings_this_week": 5,  # b1 b3 b4 b5 b10
        "bookings_last_week": 3,  # b2 (Sunday night local) b6 b7
        "bookings_change_percent": 66.7,
        "revenue_this_month": Decimal("115.50"),  # March local: b2 b3 b7; b12 has no price
        "revenue_last_month": Decimal("160.00"),  # b8, and b9 which is 1 March only in UTC
    }


def test_platform_figures_use_the_utc_calendar_and_every_salon(dataset):
    figures = selectors.platform_dashboard(now=NOW)
    assert figures["salon_id"] is None
    assert figures["total_bookings"] == 13
    assert figures["today_bookings"] == 2  # 1 April UTC: b1 and the Berlin booking
    assert figures["recent_activity"]["new_customers_last_7d"] == 3
    assert figures["recent_activity"]["messages_last_24h"] == 8
    assert figures["active_chats"] == 4
    assert figures["response_rate"] == 33.3  # 2 of 6: the Berlin salon's chat waits too
    assert figures["trends"] == {
        "bookings_this_week": 7,  # b1 b2 b3 b4 b5 b10 and Berlin's
        "bookings_last_week": 2,
        "bookings_change_percent": 250.0,
        "revenue_this_month": Decimal("0.00"),  # nothing completed in April UTC
        "revenue_last_month": Decimal("175.50"),  # b2 b3 b7 b9
    }


def test_an_empty_salon_has_zeros_and_no_change_percent_to_divide_by(salon):
    figures = selectors.salon_dashboard(salon, now=NOW)
    assert figures["total_bookings"] == figures["today_bookings"] == 0
    assert set(figures["bookings_by_status"].values()) == {0}
    assert figures["trends"]["bookings_change_percent"] == 0.0
    assert figures["trends"]["revenue_this_month"] == Decimal("0.00")
    assert figures["response_rate"] is None


def test_change_percent_is_null_when_only_last_week_is_empty(salon):
    make_booking(salon, utc(2025, 4, 1, 10, 0))  # Berlin salon: this week
    assert selectors.salon_dashboard(salon, now=NOW)["trends"]["bookings_change_percent"] is None


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [(0, 0, 0.0), (3, 0, None), (0, 4, -100.0), (5, 3, 66.7), (1, 3, -66.7), (4, 4, 0.0)],
)
def test_change_percent(current, previous, expected):
    assert selectors.change_percent(current, previous) == expected


def test_local_calendar_weeks_start_on_monday_and_months_follow_dst():
    calendar = selectors.local_calendar(ZoneInfo("America/New_York"), NOW)
    assert calendar.today.start == utc(2025, 3, 31, 4, 0)
    assert calendar.this_week.start == utc(2025, 3, 31, 4, 0)
    assert calendar.this_week.end == utc(2025, 4, 7, 4, 0)
    assert calendar.last_week.start == utc(2025, 3, 24, 4, 0)
    assert calendar.this_month.start == utc(2025, 3, 1, 5, 0)  # EST before the 9 March switch
    assert calendar.last_month == selectors.Period(utc(2025, 2, 1, 5, 0), utc(2025, 3, 1, 5, 0))
    # A January "now" reaches back into December of the year before.
    january = selectors.local_calendar(UTC, datetime(2026, 1, 1, 0, 0, tzinfo=UTC))
    assert january.last_month.start == utc(2025, 12, 1)
    assert january.last_week.start == utc(2025, 12, 22)  # 1 Jan 2026 is a Thursday


def test_a_dst_day_is_23_hours_long():
    spring_forward = datetime(2025, 3, 9, 12, 0, tzinfo=UTC)
    today = selectors.local_calendar(ZoneInfo("America/New_York"), spring_forward).today
    assert (today.end - today.start).total_seconds() == 23 * 3600


def test_bookings_per_day_counts_by_local_day_with_zeros(dataset):
    per_day = selectors.bookings_per_day(dataset, days=30, now=NOW)
    assert len(per_day) == 30
    assert per_day[0][0] == date(2025, 3, 2) and per_day[-1][0] == date(2025, 3, 31)
    counts = dict(per_day)
    assert counts[date(2025, 3, 31)] == 4  # b1 counts on the local Monday
    assert counts[date(2025, 3, 30)] == 1  # b2 on the local Sunday
    assert counts[date(2025, 3, 10)] == 1
    assert sum(counts.values()) == 8  # b1-b7 and b12; b9 is 28 February locally; no other salon


def test_platform_bookings_per_day_is_utc(dataset):
    counts = dict(selectors.bookings_per_day(None, days=2, now=NOW))
    assert counts == {date(2025, 3, 31): 4, date(2025, 4, 1): 2}


def test_figures_are_computed_in_a_constant_number_of_queries(dataset, ny_salon, django_assert_num_queries):
    with django_assert_num_queries(MISS_QUERIES):
        selectors.salon_dashboard(ny_salon, now=NOW)
    for hour in range(50):
        make_booking(ny_salon, datetime(2025, 3, 20, 0, 0, tzinfo=UTC).replace(hour=hour % 24, day=10 + hour // 24))
    with django_assert_num_queries(MISS_QUERIES):
        selectors.salon_dashboard(ny_salon, now=NOW)
    with django_assert_num_queries(MISS_QUERIES):
        selectors.platform_dashboard(now=NOW)


def test_the_status_serializer_names_every_status():
    assert set(BookingsByStatusSerializer().fields) == set(BookingStatus.values)
