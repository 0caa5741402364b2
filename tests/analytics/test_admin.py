"""The admin index shows each of the owner's salons' figures and a 30-day chart, without scripts."""

import re
import zoneinfo
from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests import factories
from tests.analytics.conftest import make_booking
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def admin_index(user) -> str:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def test_owner_sees_each_of_their_salons_with_figures_and_a_chart(owner, salon, other_salon):
    second = factories.SalonFactory(owner=owner, name="Zweiter Salon", timezone="America/New_York")
    make_booking(salon, timezone.now())
    make_booking(salon, timezone.now() - timedelta(days=3))
    page = admin_index(owner)
    assert salon.name in page and second.name in page
    assert other_salon.name not in page
    assert page.count('class="module analytics-dashboard"') == 2
    assert page.count('<rect class="bar-') == 88  # 30 days up to today and 14 ahead, per salon
    assert page.count('class="bar-ahead"') == 28 and page.count('class="bar-today"') == 2
    assert "Bookings today" in page and "Response rate" in page
    assert "analytics/dashboard.css" in page
    assert not INLINE_SCRIPT.search(page), "the CSP forbids inline scripts"
    assert "Content-Security-Policy" in Client().get("/admin/login/").headers


def test_the_chart_scales_bars_to_the_busiest_day(owner, salon):
    noon = datetime.combine(timezone.now().astimezone(zoneinfo.ZoneInfo(salon.timezone)).date(), time(12))
    make_booking(salon, noon.replace(tzinfo=zoneinfo.ZoneInfo(salon.timezone)))
    make_booking(salon, noon.replace(hour=15, tzinfo=zoneinfo.ZoneInfo(salon.timezone)))
    page = admin_index(owner)
    assert 'height="100.00"' in page  # the busiest day fills the chart
    assert page.count('height="0.00"') == 43  # the 43 other days of 30 back and 14 ahead


def test_super_admin_sees_the_platform(super_admin, salon, other_salon):
    make_booking(other_salon, timezone.now())
    page = admin_index(super_admin)
    assert "All salons" in page
    assert page.count('class="module analytics-dashboard"') == 1


def test_the_app_list_is_still_there(owner, salon):
    assert 'id="content-main"' in admin_index(owner)


def test_the_chart_shows_the_next_fourteen_days_and_leaves_out_cancelled_future_bookings(owner, salon):
    zone = zoneinfo.ZoneInfo(salon.timezone)
    in_a_week = datetime.combine(timezone.now().astimezone(zone).date() + timedelta(days=7), time(11), tzinfo=zone)
    make_booking(salon, in_a_week)
    make_booking(salon, in_a_week + timedelta(hours=2))
    make_booking(salon, in_a_week + timedelta(hours=4), status="CANCELLED")
    page = admin_index(owner)
    bar = re.search(r'<rect class="bar-ahead"[^>]*height="100.00"><title>([^<]*)</title>', page)
    assert bar is not None and bar.group(1).endswith(": 2")


def test_the_index_opens_with_todays_agenda_per_master(owner, salon):
    from bookings import services
    from bookings.models import BookingSource

    service = factories.ServiceFactory(salon=salon, name="Haircut")
    anna = factories.MasterFactory(salon=salon, name="Anna", services=[service])
    factories.MasterFactory(salon=salon, name="Boris", services=[service])
    zone = zoneinfo.ZoneInfo(salon.timezone)
    today = timezone.now().astimezone(zone).date()
    start = datetime.combine(today, time(23, 0), tzinfo=zone)
    services.create_booking(
        actor=owner,
        salon=salon,
        master=anna,
        service=service,
        start_ts=start,
        customer_name="Tina Today",
        source=BookingSource.API,
    )
    page = admin_index(owner)
    agenda = page.split('class="module today-agenda"', 1)[1].split('class="module analytics-dashboard"', 1)[0]
    assert "Anna" in agenda and "23:00–00:00" in agenda and "Tina Today" in agenda and "Haircut" in agenda
    assert "Boris" in agenda and "Nothing booked." in agenda
    assert page.index("today-agenda") < page.index("analytics-dashboard")  # the day before the figures
