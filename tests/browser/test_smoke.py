"""The browser harness itself: Debian's Chromium, driven by Playwright, reaches the live admin."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_owner_logs_in_and_sees_the_salon_and_its_zone_in_the_header(page):
    owner = factories.UserFactory(email="smoke@example.com")
    factories.SalonFactory(owner=owner, name="Smoke Salon", timezone="Europe/Berlin")
    page.login(owner.email)
    header = page.inner_text("#header")
    assert "Smoke Salon" in header and "Europe/Berlin" in header
    assert page.locator("text=View site").count() == 0
    page.screenshot("index")
