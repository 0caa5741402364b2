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
    assert page.count("<rect ") == 60  # 30 days for each salon
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
    assert page.count('height="0.00"') == 29


def test_super_admin_sees_the_platform(super_admin, salon, other_salon):
    make_booking(other_salon, timezone.now())
    page = admin_index(super_admin)
    assert "All salons" in page
    assert page.count('class="module analytics-dashboard"') == 1


def test_the_app_list_is_still_there(owner, salon):
    assert 'id="content-main"' in admin_index(owner)
