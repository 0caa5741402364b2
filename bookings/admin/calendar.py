"""The day calendar at /admin/bookings/booking/calendar/?date=YYYY-MM-DD&salon=<id>.

A column per active master on the salon's slot grid; bookings as blocks coloured by status;
hours outside work, breaks, time off and slots held for a customer confirming in a chat
greyed; an empty slot links to the add form prefilled. Server-rendered and CSP-clean (static
placement classes, no inline style or script); five queries for the salon's day whatever it
holds (salon, masters, bookings, time off, holds).
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from salonbot.admin import scoped_object_or_404
from salons.admin_scope import choose_salon
from salons.models import Salon

from .. import calendar as layout
from ..models import BookingStatus
from ..selectors import day_schedule

STATUSES = [(s.value.lower(), s.label) for s in BookingStatus if s != BookingStatus.CANCELLED]


def _salon(model_admin, request) -> Salon | None:
    wanted = request.GET.get("salon")
    salons = Salon.objects.for_user(request.user)
    if wanted:
        salon = scoped_object_or_404(salons, wanted)
        if request.admin_salon is None or salon.pk != request.admin_salon.pk:
            choose_salon(request, salon)  # opening a salon's calendar is working in that salon
        return salon
    return request.admin_salon or salons.order_by("name").first()


def _day(request, zone: ZoneInfo) -> date:
    today = timezone.now().astimezone(zone).date()
    raw = request.GET.get("date")
    if not raw:
        return today
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        messages.error(request, _("“%(value)s” is not a date (YYYY-MM-DD); showing today.") % {"value": raw})
        return today
    if not 2000 <= day.year <= 2100:
        messages.error(request, _("Pick a date between 2000 and 2100; showing today."))
        return today
    return day


def calendar_view(model_admin, request):
    salon = _salon(model_admin, request)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Calendar"),
        "salon": salon,
    }
    if salon is None:
        return TemplateResponse(request, "admin/bookings/booking/calendar.html", context)
    zone = ZoneInfo(salon.timezone)
    with timezone.override(zone):
        day = _day(request, zone)
        schedule = day_schedule(salon, day)
        grid = layout.day_grid(
            day=day,
            timezone=salon.timezone,
            interval=salon.slot_interval_minutes,
            masters=[layout.MasterDay(m.pk, m.name, m.working_hours) for m in schedule.masters],
            bookings=[layout.Entry(b.master_id, b.start_ts, b.end_ts, b) for b in schedule.bookings],
            time_off=[
                layout.Entry(t.master_id, t.start_ts, t.end_ts, t.reason or _("Time off")) for t in schedule.time_off
            ],
            held=[layout.Entry(h.master_id, h.start_ts, h.end_ts, _("Held in a chat")) for h in schedule.holds],
            unassigned_name=_("No master"),
        )
        url = reverse("admin:bookings_booking_calendar")
        today = timezone.now().astimezone(zone).date()
        context.update(
            {
                "title": _("Calendar"),
                "day": day,
                "today": today,
                "grid": grid,
                "now_row": _now_row(grid, day == today),
                "prev_url": f"{url}?salon={salon.pk}&date={(day - timedelta(days=1)).isoformat()}",
                "next_url": f"{url}?salon={salon.pk}&date={(day + timedelta(days=1)).isoformat()}",
                "today_url": f"{url}?salon={salon.pk}&date={today.isoformat()}",
                "add_url": reverse("admin:bookings_booking_add"),
                "statuses": STATUSES,
                "booking_count": len(schedule.bookings),
                "zone_name": salon.timezone,
            }
        )
        response = TemplateResponse(request, "admin/bookings/booking/calendar.html", context)
        return response.render()  # inside the salon's zone: every time on the page is its wall time


def _now_row(grid: layout.DayGrid, is_today: bool) -> int | None:
    if not is_today or not grid.rows:
        return None
    now = timezone.now()
    step = timedelta(minutes=grid.interval)
    return next((row.index for row in grid.rows if row.start <= now < row.start + step), None)
