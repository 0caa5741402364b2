import pytest

from bookings.models import Reminder
from tests.bookings.conftest import booking_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(api, salon, master, service, slot):
    salon.reminder_offsets_minutes = [1440, 120]
    salon.save()
    return api.post("/api/bookings", booking_body(salon, master, service, slot), format="json").json()


def test_reminders_are_listed_by_booking_and_status(api, booking, slot):
    rows = api.get("/api/reminders", {"booking_id": booking["id"]}).json()["results"]
    assert [(r["offset_minutes"], r["status"], r["attempts"]) for r in rows] == [
        (1440, "PENDING", 0),
        (120, "PENDING", 0),
    ]
    assert set(rows[0]) == {
        "id",
        "booking_id",
        "offset_minutes",
        "scheduled_at",
        "status",
        "attempts",
        "sent_at",
        "last_error",
    }
    assert rows[1]["scheduled_at"] == (slot.replace(hour=slot.hour - 2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    api.post(f"/api/bookings/{booking['id']}/cancel")
    assert api.get("/api/reminders", {"booking_id": booking["id"], "status": "PENDING"}).json()["count"] == 0
    assert api.get("/api/reminders", {"booking_id": booking["id"], "status": "CANCELLED"}).json()["count"] == 2


def test_reminders_are_read_only_and_validated(api, booking):
    reminder = Reminder.objects.filter(booking_id=booking["id"]).first()
    assert api.post("/api/reminders", {}, format="json").status_code == 405
    assert api.patch(f"/api/reminders/{reminder.pk}", {"status": "SENT"}, format="json").status_code == 405
    assert api.delete(f"/api/reminders/{reminder.pk}").status_code == 405
    assert api.get("/api/reminders", {"booking_id": "not-a-uuid"}).status_code == 400
    assert api.get("/api/reminders", {"status": "LOST"}).status_code == 400


def test_other_tenant_sees_no_reminders(other_api, booking):
    reminder = Reminder.objects.filter(booking_id=booking["id"]).first()
    assert other_api.get("/api/reminders").json()["count"] == 0
    assert other_api.get(f"/api/reminders/{reminder.pk}").status_code == 404
