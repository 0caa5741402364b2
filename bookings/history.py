"""A booking's audit trail and reminders as sentences an owner reads: no ids, no JSON, local times.

"Cancelled by owner@example.com at Mon 14 Dec, 14:02 — client ill". Two queries for the history
(events with their actors, then the names of masters and services the changes mention) and one
for the reminders, however long the trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salonbot.localtime import wall_time
from salons.models import Master, Service

from .models import ActorKind, Booking, BookingEventKind, Reminder
from .selectors import booking_history

SHORT = "D j M, H:i"

_VERBS = {
    BookingEventKind.CREATED: gettext_lazy("Booked"),
    BookingEventKind.RESCHEDULED: gettext_lazy("Changed"),
    BookingEventKind.STARTED: gettext_lazy("Started"),
    BookingEventKind.COMPLETED: gettext_lazy("Completed"),
    BookingEventKind.CANCELLED: gettext_lazy("Cancelled"),
    BookingEventKind.NO_SHOW: gettext_lazy("Marked as no-show"),
}


@dataclass(frozen=True)
class Line:
    at: datetime
    event: str
    text: str


def _actor(event) -> str:
    if event.actor is not None:
        return event.actor.email
    if event.actor_kind == ActorKind.BOT:
        return _("the WhatsApp bot")
    return _("the system")


def _names(events) -> dict[str, str]:
    ids = {
        value
        for event in events
        for field in ("master_id", "service_id")
        for value in _change_values(event.changes, field)
        if value
    }
    if not ids:
        return {}
    names = {str(pk): name for pk, name in Master.objects.filter(pk__in=ids).values_list("pk", "name")}
    names |= {str(pk): name for pk, name in Service.objects.filter(pk__in=ids).values_list("pk", "name")}
    return names


def _change_values(changes: dict, field: str) -> list:
    value = (changes or {}).get(field)
    if isinstance(value, dict):
        return [value.get("old"), value.get("new")]
    return [value]


def _when(value, zone: str) -> str:
    if not value:
        return "—"
    try:
        return wall_time(datetime.fromisoformat(value), zone, fmt=SHORT)
    except (TypeError, ValueError):
        return str(value)


def _describe_changes(changes: dict, names: dict[str, str], zone: str) -> str:
    labels = {
        "start_ts": _("starts"),
        "end_ts": _("ends"),
        "master_id": _("master"),
        "service_id": _("service"),
        "notes": _("notes"),
        "customer_name": _("customer"),
    }
    parts = []
    for field, label in labels.items():
        change = (changes or {}).get(field)
        if not isinstance(change, dict):
            continue
        old, new = change.get("old"), change.get("new")
        if field.endswith("_ts"):
            old, new = _when(old, zone), _when(new, zone)
        elif field.endswith("_id"):
            old, new = (
                names.get(str(old), _("none") if old is None else _("deleted")),
                names.get(str(new), _("none") if new is None else _("deleted")),
            )
        parts.append(f"{label} {old or '—'} → {new or '—'}")
    return "; ".join(parts)


def history_lines(booking: Booking) -> list[Line]:
    """Oldest first, one sentence per event."""
    zone = booking.salon.timezone
    events = list(booking_history(booking))
    names = _names(events)
    lines = []
    for event in events:
        text = _("%(verb)s by %(actor)s at %(at)s") % {
            "verb": _VERBS.get(event.event, event.event),
            "actor": _actor(event),
            "at": wall_time(event.created_at, zone, fmt=SHORT),
        }
        if event.event == BookingEventKind.CREATED:
            text += " " + _("for %(when)s") % {"when": _when(event.changes.get("start_ts"), zone)}
        elif event.event == BookingEventKind.RESCHEDULED:
            described = _describe_changes(event.changes, names, zone)
            if described:
                text += ": " + described
        if event.reason:
            text += f" — {event.reason}"
        lines.append(Line(at=event.created_at, event=event.event, text=text))
    return lines


def reminder_lines(booking: Booking) -> list[Line]:
    zone = booking.salon.timezone
    lines = []
    for reminder in Reminder.objects.filter(booking=booking).order_by("scheduled_at"):
        hours, minutes = divmod(reminder.offset_minutes, 60)
        before = (
            _("%(h)d h %(m)02d min before") % {"h": hours, "m": minutes}
            if minutes
            else _("%(h)d h before") % {"h": hours}
        )
        text = f"{before}: {wall_time(reminder.scheduled_at, zone, fmt=SHORT)} — {reminder.get_status_display()}"
        if reminder.sent_at:
            text += " " + _("at %(at)s") % {"at": wall_time(reminder.sent_at, zone, fmt=SHORT)}
        if reminder.last_error:
            text += f" ({reminder.last_error})"
        lines.append(Line(at=reminder.scheduled_at, event=reminder.status.lower(), text=text))
    return lines
