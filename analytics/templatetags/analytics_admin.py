"""`{% salon_dashboards %}` and `{% today_agenda %}`: the admin index's day and figures, without scripts."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date

from django import template
from django.utils import timezone

from bookings.models import BookingStatus
from bookings.selectors import day_schedule
from salons.models import Salon

from .. import selectors

register = template.Library()

# The admin index is a landing page, not a report: an owner of many salons sees the first few
# here and the rest through the API. Each salon costs one chart query (its own timezone).
MAX_SALONS = 12
CHART_DAYS = 30
CHART_AHEAD = 14
CHART_HEIGHT = 100
BAR_WIDTH = 10  # viewBox units; the SVG scales to the module's width


@dataclass(frozen=True)
class Bar:
    day: date
    count: int
    x: int
    y: float
    height: float
    when: str  # "past", "today" or "ahead": the bar's class


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    peak: int
    today_x: int | None = None


def chart(per_day: list[tuple[date, int]], today: date | None = None) -> Chart:
    """Geometry of an inline SVG bar chart: server-rendered, no script (the CSP allows none inline)."""
    peak = max((count for _day, count in per_day), default=0)
    bars = []
    today_x = None
    for index, (day, count) in enumerate(per_day):
        height = count * CHART_HEIGHT / peak if peak else 0
        when = "past" if today is None or day < today else ("today" if day == today else "ahead")
        if when == "today":
            today_x = index * BAR_WIDTH
        bars.append(Bar(day=day, count=count, x=index * BAR_WIDTH, y=CHART_HEIGHT - height, height=height, when=when))
    return Chart(bars=bars, width=len(per_day) * BAR_WIDTH, height=CHART_HEIGHT, peak=peak, today_x=today_x)


def _chart_for(salon: Salon | None) -> Chart:
    zone = zoneinfo.ZoneInfo(salon.timezone) if salon is not None else zoneinfo.ZoneInfo("UTC")
    today = timezone.now().astimezone(zone).date()
    return chart(selectors.bookings_per_day(salon, days=CHART_DAYS, ahead=CHART_AHEAD), today)


@register.simple_tag(takes_context=True)
def salon_dashboards(context) -> list[dict]:
    """One entry per salon of the user (the platform for a super admin): figures and chart."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    if user.is_super_admin:
        return [{"salon": None, "figures": selectors.cached_platform_dashboard(), "chart": _chart_for(None)}]
    return [
        {"salon": salon, "figures": selectors.cached_salon_dashboard(salon), "chart": _chart_for(salon)}
        for salon in Salon.objects.for_user(user).order_by("name")[:MAX_SALONS]
    ]


@register.filter
def status_label(code: str) -> str:
    """A booking status code as the owner reads it ("IN_PROGRESS" → "In progress")."""
    try:
        return BookingStatus(code).label
    except ValueError:
        return code


@register.simple_tag(takes_context=True)
def today_agenda(context) -> dict | None:
    """Today's bookings per active master of the salon the page works in (three queries)."""
    request = context.get("request")
    salon = getattr(request, "admin_salon", None)
    if salon is None:
        return None
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(salon.timezone)).date()
    schedule = day_schedule(salon, today)
    rows = [
        {"master": master, "bookings": [b for b in schedule.bookings if b.master_id == master.pk]}
        for master in schedule.masters
    ]
    unassigned = [b for b in schedule.bookings if b.master_id is None]
    if unassigned:
        rows.append({"master": None, "bookings": unassigned})
    return {"salon": salon, "day": today, "rows": rows, "count": len(schedule.bookings)}
