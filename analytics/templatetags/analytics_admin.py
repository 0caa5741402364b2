"""`{% salon_dashboards %}`: the admin index's figures and 30-day chart for the user's salons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django import template

from salons.models import Salon

from .. import selectors

register = template.Library()

# The admin index is a landing page, not a report: an owner of many salons sees the first few
# here and the rest through the API. Each salon costs one chart query (its own timezone).
MAX_SALONS = 12
CHART_DAYS = 30
CHART_HEIGHT = 100
BAR_WIDTH = 10  # viewBox units; the SVG scales to the module's width


@dataclass(frozen=True)
class Bar:
    day: date
    count: int
    x: int
    y: float
    height: float


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    peak: int


def chart(per_day: list[tuple[date, int]]) -> Chart:
    """Geometry of an inline SVG bar chart: server-rendered, no script (the CSP allows none inline)."""
    peak = max((count for _day, count in per_day), default=0)
    bars = []
    for index, (day, count) in enumerate(per_day):
        height = count * CHART_HEIGHT / peak if peak else 0
        bars.append(Bar(day=day, count=count, x=index * BAR_WIDTH, y=CHART_HEIGHT - height, height=height))
    return Chart(bars=bars, width=len(per_day) * BAR_WIDTH, height=CHART_HEIGHT, peak=peak)


@register.simple_tag(takes_context=True)
def salon_dashboards(context) -> list[dict]:
    """One entry per salon of the user (the platform for a super admin): figures and chart."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    if user.is_super_admin:
        return [
            {
                "salon": None,
                "figures": selectors.cached_platform_dashboard(),
                "chart": chart(selectors.bookings_per_day(None, days=CHART_DAYS)),
            }
        ]
    return [
        {
            "salon": salon,
            "figures": selectors.cached_salon_dashboard(salon),
            "chart": chart(selectors.bookings_per_day(salon, days=CHART_DAYS)),
        }
        for salon in Salon.objects.for_user(user).order_by("name")[:MAX_SALONS]
    ]
