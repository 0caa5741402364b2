"""Times as a salon's clock shows them, with the zone named when the page is in another zone."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.utils import dateformat, timezone


def wall_time(
    value: datetime | None, zone_name: str | None = None, *, fmt: str = "D j M Y, H:i", named: bool = True
) -> str:
    """`value` in the salon's zone (the active zone when None); the zone is named if it differs.

    `named=False` leaves the zone out, for the first half of a range whose end names it.
    """
    if value is None:
        return ""
    current = timezone.get_current_timezone()
    zone = zoneinfo.ZoneInfo(zone_name) if zone_name else current
    local = value.astimezone(zone)
    text = dateformat.format(local, fmt)
    if named and str(zone) != str(current):
        text = f"{text} {local.tzname()}"
    return text


def rezone(value: datetime | None, zone_name: str) -> datetime | None:
    """The same wall time read in `zone_name` instead of the active zone (the form read it there).

    An add form parses times before it knows the salon; for a salon in another zone the owner
    meant that salon's clock.
    """
    if value is None:
        return None
    current = timezone.get_current_timezone()
    zone = zoneinfo.ZoneInfo(zone_name)
    if str(zone) == str(current):
        return value
    return timezone.make_aware(timezone.make_naive(value, current), zone)
