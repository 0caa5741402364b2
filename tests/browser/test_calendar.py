"""The owner's day in a real browser: the calendar, booking from an empty slot, the status buttons."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from bookings import services
from bookings.models import Booking, BookingEvent, BookingSource, BookingStatus
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
EVERY_DAY = {
    day: {"enabled": True, "start": "08:00", "end": "20:00", "breaks": [{"start": "13:00", "end": "14:00"}]}
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}


@dataclass
class SalonDay:
    owner: object
    salon: object
    day: date
    anna: object
    maria: object
    haircut: object
    confirmed: Booking
    in_progress: Booking


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def salon_day() -> SalonDay:
    owner = factories.UserFactory(email="owner.browser@example.com")
    salon = factories.SalonFactory(owner=owner, name="Studio Berlin", timezone="Europe/Berlin")
    haircut = factories.ServiceFactory(salon=salon, name="Haircut", duration_minutes=45)
    colour = factories.ServiceFactory(salon=salon, name="Colouring", duration_minutes=90)
    anna = factories.MasterFactory(salon=salon, name="Anna", services=[haircut, colour], working_hours=EVERY_DAY)
    maria = factories.MasterFactory(salon=salon, name="Maria", services=[haircut], working_hours=EVERY_DAY)
    day = timezone.now().astimezone(BERLIN).date()

    def book(master, service, start, name):
        return services.create_booking(
            actor=owner,
            salon=salon,
            master=master,
            service=service,
            start_ts=start,
            customer_name=name,
            customer_phone="+4917012345678",
            source=BookingSource.ADMIN,
        )

    confirmed = book(anna, haircut, at(day, 10), "Clara Confirmed")
    book(anna, colour, at(day, 15, 30), "Greta Colour")
    # Started half an hour ago: the customer is in the chair now.
    started_at = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=30)
    in_progress = book(maria, haircut, started_at, "Ina Inprogress")
    in_progress = services.transition_booking(actor=owner, booking=in_progress, action="start")
    return SalonDay(owner, salon, day, anna, maria, haircut, confirmed, in_progress)


def calendar_url(data: SalonDay) -> str:
    return f"/admin/bookings/booking/calendar/?salon={data.salon.pk}&date={data.day.isoformat()}"


def test_owner_sees_today_and_books_an_empty_slot(page, salon_day):
    page.login(salon_day.owner.email)
    page.goto(calendar_url(salon_day))
    page.screenshot("calendar")

    # The seeded bookings stand in their masters' columns at Berlin wall time.
    anna = page.locator("section.cal-col[aria-label='Anna']")
    block = anna.locator(f"a.booking[data-code='{salon_day.confirmed.code}']")
    assert "10:00–10:45" in block.inner_text() and "Clara Confirmed" in block.inner_text()
    assert "st-confirmed" in block.get_attribute("class")
    maria = page.locator("section.cal-col[aria-label='Maria']")
    maria_block = maria.locator(f"a.booking[data-code='{salon_day.in_progress.code}']")
    assert "st-in_progress" in maria_block.get_attribute("class")

    # An empty slot at 17:00 on Anna's column opens the add form with salon, master and start prefilled.
    slot = anna.locator(f"a.cell[data-start='{at(salon_day.day, 17).isoformat()}']")
    slot.click()
    page.wait_for_url("**/admin/bookings/booking/add/**")
    assert page.input_value("#id_start_ts_1").startswith("17:00")
    assert page.input_value("#id_start_ts_0") == salon_day.day.isoformat()
    assert page.locator("#id_master option:checked").inner_text() == "Anna"
    page.select_option("#id_service", label="Haircut")
    page.fill("#id_customer_name", "Walk-in Wanda")
    page.fill("#id_customer_phone", "+491701234599")
    page.screenshot("add-form")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/bookings/booking/")
    created = Booking.objects.get(customer_name="Walk-in Wanda")
    assert created.start_ts == at(salon_day.day, 17) and created.master == salon_day.anna
    assert created.source == BookingSource.ADMIN and not created.outside_working_hours

    page.goto(calendar_url(salon_day))
    assert "17:00–17:45" in anna.locator(f"a.booking[data-code='{created.code}']").inner_text()
    page.screenshot("calendar-after")


def test_owner_completes_a_started_booking_and_cancels_one_with_a_reason(page, salon_day):
    page.login(salon_day.owner.email)
    page.goto(calendar_url(salon_day))
    page.click(f"a.booking[data-code='{salon_day.in_progress.code}']")
    page.wait_for_url(f"**/{salon_day.in_progress.pk}/change/")
    page.screenshot("in-progress")
    page.click("button.action-complete")
    page.wait_for_selector(".messagelist .success")
    assert "Completed" in page.inner_text(".booking-panel .badge")
    salon_day.in_progress.refresh_from_db()
    assert salon_day.in_progress.status == BookingStatus.COMPLETED

    page.goto(f"/admin/bookings/booking/{salon_day.confirmed.pk}/change/")
    page.click("summary.action-cancel")
    page.fill("textarea[name=reason]", "Client is ill")
    page.screenshot("cancel-reason")
    page.click("button.action-cancel-confirm")
    page.wait_for_selector(".messagelist .success")
    page.screenshot("cancelled")
    salon_day.confirmed.refresh_from_db()
    assert salon_day.confirmed.status == BookingStatus.CANCELLED
    assert salon_day.confirmed.cancellation_reason == "Client is ill"
    history = page.inner_text(".booking-history")
    assert f"Cancelled by {salon_day.owner.email}" in history and "Client is ill" in history
    event = BookingEvent.objects.get(booking=salon_day.confirmed, event="cancelled")
    assert event.actor == salon_day.owner


def test_the_index_leads_with_todays_agenda_and_the_list_fits_1280_pixels(page, salon_day):
    page.login(salon_day.owner.email)
    agenda = page.inner_text(".today-agenda")
    assert "Clara Confirmed" in agenda and "10:00–10:45" in agenda and "Maria" in agenda
    page.screenshot("index")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/admin/bookings/booking/")
    table = page.locator("#result_list")
    widths = page.evaluate(
        "() => [document.querySelector('#result_list').scrollWidth, document.querySelector('.results').clientWidth]"
    )
    assert widths[0] <= widths[1], f"the bookings table is clipped: {widths}"
    headers = table.locator("thead th").all_inner_texts()
    for title in ("CODE", "WHEN", "MASTER", "SERVICE", "CUSTOMER", "PHONE", "STATUS", "SOURCE"):
        assert any(title in h.upper() for h in headers), headers
    rows = table.inner_text()
    assert "10:00–10:45" in rows and "Greta Colour" in rows and "Clara Confirmed (" not in rows
    page.screenshot("list-1280")
