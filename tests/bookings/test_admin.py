"""The bookings admin: salon-local times, the status buttons, rescheduling, warnings, readable pages.

Regression tests for issue 12's problems 1, 2, 6, 8, 9 and 10 (the others live beside the
admins they concern: tenancy in tests/test_admin_tenancy.py, the inbox under tests/messaging,
users and working hours under tests/accounts and tests/salons).
"""

import re
import zoneinfo
from datetime import date, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from bookings import services
from bookings.models import Booking, BookingEvent, BookingSource, BookingStatus
from messaging.models import Direction, Message
from tests import factories
from tests.bookings.conftest import next_monday_at
from tests.factories import PASSWORD
from tests.messaging.factories import ConversationFactory

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def admin_client(owner):
    client = Client()
    assert client.login(email=owner.email, password=PASSWORD)
    return client


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def form_data(salon, master, service, start_local: datetime, **extra):
    """What the add form posts: the wall time the owner typed, read in the salon's zone."""
    data = {
        "salon": salon.pk,
        "master": master.pk if master else "",
        "service": service.pk if service else "",
        "customer_name": "Walk-in",
        "customer_phone": "+491701234567",
        "start_ts_0": start_local.strftime("%Y-%m-%d"),
        "start_ts_1": start_local.strftime("%H:%M"),
        "end_ts_0": "",
        "end_ts_1": "",
        "notes": "",
    }
    data.update(extra)
    return data


def book(owner, salon, master, service, start, **kwargs):
    return factories.BookingFactory(actor=owner, salon=salon, master=master, service=service, start_ts=start, **kwargs)


def next_weekday(weekday: int) -> date:
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=1)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


# --- 1. times are the salon's ------------------------------------------------------------------


def test_a_time_typed_in_the_form_is_the_salons_wall_time_and_the_confirmation_says_it(
    admin_client, salon, master, service, django_capture_on_commit_callbacks
):
    customer = factories.CustomerFactory(salon=salon, phone="+491701234567")
    ConversationFactory(salon=salon, customer=customer)  # the window is open: a text confirmation
    day = next_weekday(1)  # a Tuesday
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/bookings/booking/add/", form_data(salon, master, service, local(day, 15)))
    assert response.status_code == 302, response.content.decode()[:3000]
    booking = Booking.objects.get()
    assert booking.start_ts == local(day, 15)
    confirmation = Message.objects.get(direction=Direction.OUT)
    assert "15:00" in confirmation.text
    listing = admin_client.get("/admin/bookings/booking/").content.decode()
    assert "15:00–16:00" in listing


def test_a_bot_booking_at_ten_is_listed_at_ten_and_the_header_names_the_zone(
    admin_client, owner, salon, master, service
):
    day = next_weekday(2)
    services.create_booking(
        actor=None,
        actor_kind="bot",
        salon=salon,
        master=master,
        service=service,
        start_ts=local(day, 10),
        source=BookingSource.WHATSAPP,
    )
    page = admin_client.get("/admin/bookings/booking/").content.decode()
    assert "10:00–11:00" in page and "9:00" not in page
    assert "Times in Europe/Berlin" in page


def test_an_owner_with_two_salons_switches_and_times_follow_the_chosen_salons_zone(admin_client, owner, salon):
    york = factories.SalonFactory(owner=owner, name="New York Studio", timezone="America/New_York")
    # The first by name until the owner chooses.
    assert "Times in America/New_York" in admin_client.get("/admin/").content.decode()
    admin_client.post("/admin/salons/salon/choose/", {"salon": salon.pk, "next": "/admin/"})
    assert "Times in Europe/Berlin" in admin_client.get("/admin/").content.decode()
    admin_client.post("/admin/salons/salon/choose/", {"salon": york.pk, "next": "/admin/"})
    assert "Times in America/New_York" in admin_client.get("/admin/").content.decode()
    # Another owner's salon cannot be chosen.
    theirs = factories.SalonFactory()
    assert admin_client.post("/admin/salons/salon/choose/", {"salon": theirs.pk}).status_code == 404
    assert admin_client.post("/admin/salons/salon/choose/", {"salon": "not-a-uuid"}).status_code == 404


def test_a_booking_of_the_other_salon_is_edited_in_its_own_zone(admin_client, owner, salon):
    york = factories.SalonFactory(owner=owner, name="New York Studio", timezone="America/New_York")
    service = factories.ServiceFactory(salon=york, duration_minutes=60)
    master = factories.MasterFactory(salon=york, services=[service])
    ny = zoneinfo.ZoneInfo("America/New_York")
    day = next_weekday(3)
    booking = book(owner, york, master, service, datetime(day.year, day.month, day.day, 11, tzinfo=ny))
    page = admin_client.get(f"/admin/bookings/booking/{booking.pk}/change/").content.decode()
    assert 'value="11:00:00"' in page or 'value="11:00"' in page  # the Berlin page shows New York's clock


def test_an_add_form_for_a_salon_in_another_zone_reads_the_time_in_that_zone(admin_client, owner, salon):
    york = factories.SalonFactory(owner=owner, name="New York Studio", timezone="America/New_York")
    service = factories.ServiceFactory(salon=york, duration_minutes=60)
    master = factories.MasterFactory(salon=york, services=[service])
    day = next_weekday(3)
    response = admin_client.post(
        "/admin/bookings/booking/add/", form_data(york, master, service, local(day, 11), confirm_outside_hours="on")
    )
    assert response.status_code == 302
    ny = zoneinfo.ZoneInfo("America/New_York")
    assert Booking.objects.get().start_ts == datetime(day.year, day.month, day.day, 11, tzinfo=ny)


# --- 2. transitions from every state that allows them --------------------------------------------


def started_booking(owner, salon, master, service) -> Booking:
    start = timezone.now().replace(microsecond=0) - timedelta(minutes=20)
    booking = book(owner, salon, master, service, start)
    return services.transition_booking(actor=owner, booking=booking, action="start")


def test_an_in_progress_booking_completes_from_its_button(admin_client, owner, salon, master, service):
    booking = started_booking(owner, salon, master, service)
    page = admin_client.get(f"/admin/bookings/booking/{booking.pk}/change/").content.decode()
    assert "action-complete" in page and "action-cancel" in page and "action-start" not in page
    response = admin_client.post(f"/admin/bookings/booking/{booking.pk}/transition/complete/")
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED
    assert list(BookingEvent.objects.filter(booking=booking).values_list("event", flat=True)) == [
        "created",
        "started",
        "completed",
    ]


def test_a_plain_save_of_an_in_progress_booking_changes_nothing_and_answers_no_error(
    admin_client, owner, salon, master, service
):
    booking = started_booking(owner, salon, master, service)
    response = admin_client.post(f"/admin/bookings/booking/{booking.pk}/change/", {"_save": "Save"})
    assert response.status_code == 302, response.content.decode()[:2000]
    page = admin_client.get(f"/admin/bookings/booking/{booking.pk}/change/").content.decode()
    assert "Only a confirmed booking can be changed" not in page
    assert 'name="_save"' not in page  # a started booking is history: no save button
    assert BookingEvent.objects.filter(booking=booking, event="rescheduled").count() == 0


def test_cancel_asks_for_a_reason_and_records_it(admin_client, owner, salon, master, service):
    booking = book(owner, salon, master, service, next_monday_at(10))
    url = f"/admin/bookings/booking/{booking.pk}/transition/cancel/"
    admin_client.post(url, {"reason": ""})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED  # no reason, no cancellation
    admin_client.post(url, {"reason": "Client ill"})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED and booking.cancellation_reason == "Client ill"
    page = admin_client.get(f"/admin/bookings/booking/{booking.pk}/change/").content.decode()
    assert "Cancelled by " + booking.created_by.email in page and "Client ill" in page


def test_a_refused_transition_is_a_message_not_a_500(admin_client, owner, salon, master, service):
    booking = book(owner, salon, master, service, next_monday_at(10))
    response = admin_client.post(f"/admin/bookings/booking/{booking.pk}/transition/no_show/", follow=True)
    assert response.status_code == 200
    assert "only after its start time" in response.content.decode()
    assert admin_client.get(f"/admin/bookings/booking/{booking.pk}/transition/start/").status_code == 405


def test_transition_urls_of_another_tenant_are_404(admin_client, other_salon):
    service = factories.ServiceFactory(salon=other_salon)
    master = factories.MasterFactory(salon=other_salon, services=[service])
    theirs = book(other_salon.owner, other_salon, master, service, next_monday_at(10))
    assert (
        admin_client.post(f"/admin/bookings/booking/{theirs.pk}/transition/cancel/", {"reason": "x"}).status_code == 404
    )
    assert admin_client.post("/admin/bookings/booking/not-a-uuid/transition/start/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == BookingStatus.CONFIRMED


def test_bulk_complete_and_no_show_from_the_list(admin_client, owner, salon, master, service):
    in_chair = started_booking(owner, salon, master, service)
    second_master = factories.MasterFactory(salon=salon, services=[service])
    earlier = book(owner, salon, second_master, service, timezone.now().replace(microsecond=0) - timedelta(hours=3))
    future = book(owner, salon, master, service, next_monday_at(10))
    response = admin_client.post(
        "/admin/bookings/booking/",
        {"action": "mark_completed", "_selected_action": [in_chair.pk, earlier.pk, future.pk]},
        follow=True,
    )
    assert "2 booking(s) updated" in response.content.decode()
    statuses = dict(Booking.objects.values_list("pk", "status"))
    assert statuses[in_chair.pk] == statuses[earlier.pk] == BookingStatus.COMPLETED
    assert statuses[future.pk] == BookingStatus.CONFIRMED  # not started yet: refused, with its reason
    no_show = book(owner, salon, second_master, service, timezone.now().replace(microsecond=0) - timedelta(hours=6))
    admin_client.post("/admin/bookings/booking/", {"action": "mark_no_show", "_selected_action": [no_show.pk]})
    no_show.refresh_from_db()
    assert no_show.status == BookingStatus.NO_SHOW


# --- 8. rescheduling by the start alone ----------------------------------------------------------


def change_data(booking, **changes):
    start = booking.start_ts.astimezone(BERLIN)
    end = booking.end_ts.astimezone(BERLIN)
    data = {
        "master": booking.master_id,
        "service": booking.service_id,
        "start_ts_0": start.strftime("%Y-%m-%d"),
        "start_ts_1": start.strftime("%H:%M:%S"),
        "end_ts_0": end.strftime("%Y-%m-%d"),
        "end_ts_1": end.strftime("%H:%M:%S"),
        "customer_name": booking.customer_name,
        "notes": booking.notes,
        "_save": "Save",
    }
    data.update(changes)
    return data


def test_changing_only_the_start_keeps_the_length(admin_client, owner, salon, master, service):
    booking = book(owner, salon, master, service, next_monday_at(10), end_ts=next_monday_at(10) + timedelta(minutes=90))
    response = admin_client.post(
        f"/admin/bookings/booking/{booking.pk}/change/", change_data(booking, start_ts_1="14:00:00")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    booking.refresh_from_db()
    assert booking.start_ts.astimezone(BERLIN).hour == 14
    assert booking.end_ts - booking.start_ts == timedelta(minutes=90)
    event = BookingEvent.objects.get(booking=booking, event="rescheduled")
    assert set(event.changes) == {"start_ts", "end_ts"}


def test_rescheduling_past_the_old_end_is_no_constraint_error(admin_client, owner, salon, master, service):
    booking = book(owner, salon, master, service, next_monday_at(9))
    response = admin_client.post(
        f"/admin/bookings/booking/{booking.pk}/change/", change_data(booking, start_ts_1="16:00:00")
    )
    assert response.status_code == 302
    assert "booking_end_after_start" not in response.content.decode()


# --- 9. readable pages -------------------------------------------------------------------------


def test_pages_show_no_internals(admin_client, owner, salon, master, service):
    booking = book(owner, salon, master, service, next_monday_at(10), customer_phone="+491701234567")
    add = admin_client.get("/admin/bookings/booking/add/").content.decode()
    assert "Start ts" not in add and "Starts" in add and "Ends" in add
    assert 'name="source"' not in add and "field-code" not in add and "field-source" not in add
    change = admin_client.get(f"/admin/bookings/booking/{booking.pk}/change/").content.decode()
    body = change.split("<body", 1)[1]
    visible = re.sub(r'(href|action|formaction|value|data-[a-z-]+)="[^"]*"', "", body)
    assert not UUID.search(visible), UUID.search(visible)
    assert "{&quot;" not in change and '{"start_ts"' not in change  # no event JSON
    assert "Booked by " + owner.email in change
    assert "View site" not in change
    listing = admin_client.get("/admin/bookings/booking/").content.decode()
    for column in ("code", "when", "master", "service", "customer_col", "phone", "status_badge", "origin"):
        assert f"column-{column}" in listing


# --- 10. staff bookings off the master's hours ------------------------------------------------


@pytest.mark.parametrize(
    ("weekday", "hour", "minute", "why"),
    [
        (1, 22, 0, "works 09:00–18:00"),  # Tuesday evening
        (6, 10, 0, "does not work on Sunday"),
        (2, 13, 15, "has a break 13:00–14:00"),
    ],
)
def test_an_off_hours_booking_saves_only_after_the_owner_confirms(
    admin_client, salon, master, service, weekday, hour, minute, why
):
    start = local(next_weekday(weekday), hour, minute)
    first = admin_client.post("/admin/bookings/booking/add/", form_data(salon, master, service, start))
    assert first.status_code == 200
    page = first.content.decode()
    assert why in page and "Book anyway" in page and 'type="checkbox" name="confirm_outside_hours"' in page
    assert not Booking.objects.exists()
    confirmed = admin_client.post(
        "/admin/bookings/booking/add/", form_data(salon, master, service, start, confirm_outside_hours="on")
    )
    assert confirmed.status_code == 302
    booking = Booking.objects.get()
    assert booking.outside_working_hours and booking.start_ts == start


def test_time_off_also_needs_confirmation(admin_client, salon, master, service):
    start = local(next_weekday(0), 11)
    factories.TimeOffFactory(master=master, start_ts=start - timedelta(hours=1), end_ts=start + timedelta(hours=3))
    page = admin_client.post("/admin/bookings/booking/add/", form_data(salon, master, service, start)).content.decode()
    assert "has time off then" in page
    assert not Booking.objects.exists()


def test_a_booking_in_2020_is_refused_with_a_message(admin_client, salon, master, service):
    response = admin_client.post(
        "/admin/bookings/booking/add/", form_data(salon, master, service, local(date(2020, 1, 1), 10))
    )
    assert response.status_code == 200
    assert "more than 24 hours in the past" in response.content.decode()
    assert not Booking.objects.exists()


# --- the add form prefilled from the calendar ---------------------------------------------------


def test_the_add_form_takes_salon_master_and_start_from_the_calendar_link(admin_client, salon, master, service):
    other_service = factories.ServiceFactory(salon=salon, name="Not Anna's")
    start = local(next_weekday(1), 10, 15)
    page = admin_client.get(
        "/admin/bookings/booking/add/",
        {"salon": salon.pk, "master": master.pk, "start": start.isoformat()},
    ).content.decode()
    assert 'value="10:15:00"' in page or 'value="10:15"' in page
    assert f'<option value="{master.pk}" selected>' in page
    assert service.name in page and other_service.name not in page  # only what Anna performs
    garbage = admin_client.get("/admin/bookings/booking/add/", {"start": "soon", "master": "nope", "salon": "x"})
    assert garbage.status_code == 200


def test_the_super_admin_sees_each_row_in_its_own_salons_zone(super_admin, owner, salon, master, service):
    york = factories.SalonFactory(name="New York Studio", timezone="America/New_York")
    york_service = factories.ServiceFactory(salon=york, duration_minutes=60)
    york_master = factories.MasterFactory(salon=york, services=[york_service])
    ny = zoneinfo.ZoneInfo("America/New_York")
    day = next_weekday(2)
    book(owner, salon, master, service, local(day, 10))
    book(york.owner, york, york_master, york_service, datetime(day.year, day.month, day.day, 10, tzinfo=ny))
    client = Client()
    assert client.login(email=super_admin.email, password=PASSWORD)
    page = client.get("/admin/bookings/booking/").content.decode()
    assert "Times in UTC" in page
    assert "10:00–11:00 CET" in page and "10:00–11:00 EST" in page
