"""An owner edits a master's week in the admin: seven rows, breaks added with a button, errors on their day."""

import pytest

from salons.models import Master
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def master():
    owner = factories.UserFactory(email="hours@example.com")
    salon = factories.SalonFactory(owner=owner, name="Hours Salon", timezone="Europe/Berlin")
    return factories.MasterFactory(salon=salon, name="Anna")


def open_master(page, master):
    page.login("hours@example.com")
    page.goto(f"/admin/salons/master/{master.pk}/change/")
    page.wait_for_selector("#id_working_hours")


def day(page, name):
    return page.locator(f"#id_working_hours-{name}")


def problems(page, name):
    row = page.locator(f"#id_working_hours-{name} + tr.wh-problems")
    return row.inner_text().strip()


def test_owner_edits_the_week_and_the_stored_json_is_what_they_meant(page, master):
    open_master(page, master)
    assert page.locator("tr.wh-day").count() == 7
    assert page.locator("textarea[name=working_hours]").count() == 0  # no raw JSON
    # With the script, a day's blank break row waits behind "Add a break".
    assert day(page, "wednesday").locator(".wh-break").nth(1).is_hidden()
    page.screenshot("week-as-stored")

    day(page, "tuesday").locator("input[name$=-end]").first.fill("17:00")
    day(page, "wednesday").get_by_role("button", name="Add a break").click()
    day(page, "wednesday").locator("input[name=working_hours-wednesday-break-1-start]").fill("16:00")
    day(page, "wednesday").locator("input[name=working_hours-wednesday-break-1-end]").fill("16:15")
    day(page, "wednesday").get_by_role("button", name="Add a break").click()  # a second one, copied by the script
    assert day(page, "wednesday").locator("input[name=working_hours-wednesday-break-2-start]").is_visible()
    day(page, "saturday").get_by_role("checkbox", name="Saturday", exact=True).uncheck()
    day(page, "monday").get_by_role("checkbox", name="remove").check()
    page.screenshot("week-edited")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")

    hours = Master.objects.get(pk=master.pk).working_hours
    standard = {"enabled": True, "start": "09:00", "end": "18:00", "breaks": [{"start": "13:00", "end": "14:00"}]}
    assert hours == {
        "monday": {**standard, "breaks": []},
        "tuesday": {**standard, "end": "17:00"},
        "wednesday": {**standard, "breaks": [{"start": "13:00", "end": "14:00"}, {"start": "16:00", "end": "16:15"}]},
        "thursday": standard,
        "friday": standard,
        "saturday": {"enabled": False},
        "sunday": {"enabled": False},
    }
    assert day(page, "saturday").locator(".wh-enabled").is_checked() is False
    assert day(page, "wednesday").locator(".wh-break:not(.wh-blank)").count() == 2
    page.screenshot("week-saved")


def test_an_end_before_the_start_is_shown_beside_that_day_and_nothing_is_saved(page, master):
    open_master(page, master)
    day(page, "tuesday").locator("input[name=working_hours-tuesday-end]").fill("08:00")
    day(page, "thursday").get_by_role("button", name="Add a break").click()
    day(page, "thursday").locator("input[name=working_hours-thursday-break-1-start]").fill("19:00")
    day(page, "thursday").locator("input[name=working_hours-thursday-break-1-end]").fill("20:00")
    page.click("input[name=_continue]")
    page.wait_for_selector("tr.wh-invalid")

    tuesday = day(page, "tuesday")
    assert "wh-invalid" in tuesday.get_attribute("class")
    # The problem sits in the row right below its day, and names what is wrong.
    assert problems(page, "tuesday") == "The end must be after the start."
    assert problems(page, "thursday") == "The break 19:00–20:00 must lie inside the working day."
    assert page.locator("#id_working_hours-monday-problems-row").count() == 0
    # What the owner typed is still there to correct.
    assert tuesday.locator("input[name=working_hours-tuesday-end]").input_value() == "08:00"
    assert day(page, "thursday").locator("input[name=working_hours-thursday-break-1-start]").is_visible()
    page.screenshot("week-refused")
    assert Master.objects.get(pk=master.pk).working_hours == factories.STANDARD_WEEK
