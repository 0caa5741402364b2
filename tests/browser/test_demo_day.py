"""The demo salon as a newcomer first sees it after `make run`: today's calendar, the index, the inbox."""

import zoneinfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from bookings.models import Booking, BookingStatus
from messaging import demo

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_owner_sees_a_live_day(page):
    call_command("seed_demo", verbosity=0)
    zone = zoneinfo.ZoneInfo("Europe/Berlin")
    today = timezone.now().astimezone(zone).date()
    todays = [
        b
        for b in Booking.objects.exclude(status=BookingStatus.CANCELLED)
        if b.start_ts.astimezone(zone).date() <= today <= b.end_ts.astimezone(zone).date()
    ]
    page.login(demo.OWNER_EMAIL, demo.PASSWORD)
    assert "Demo Salon today" in page.inner_text(".today-agenda")
    page.screenshot("index")

    page.click("#salon-nav >> text=Calendar")
    page.wait_for_selector(".cal")
    blocks = page.locator("a.booking")
    assert blocks.count() == len(todays)
    for booking in todays:
        block = page.locator(f"a.booking[data-code='{booking.code}']")
        start = booking.start_ts.astimezone(zone).strftime("%H:%M")
        assert block.inner_text().startswith(start), (booking.code, block.inner_text())
    page.screenshot("calendar")

    page.click("#salon-nav >> text=Conversations")
    waiting = page.locator("#result_list tbody tr", has_text="Mehmet Kaya")
    assert "Waiting" in waiting.inner_text()
    page.screenshot("inbox")
    waiting.locator("a").first.click()
    page.wait_for_selector("text=hello? is anyone there")
    page.screenshot("conversation")
