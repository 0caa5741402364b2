"""Pure availability computation: which start times a master can take on a salon-local day.

No ORM and no Django here, so the rules (DESIGN.md, "Availability") can be tested and timed
without a database. Selectors load working hours, bookings and time off, then call these.

Wall-clock semantics, one rule for every local time on a DST day: a wall time T stands for the
first instant at which the salon's clock reads T.

- A candidate start the clock never reads (inside a spring-forward gap) is skipped; an ambiguous
  one (fall-back) is its first occurrence, as zoneinfo's ``fold=0``.
- A boundary (working start or end, break start or end) inside a gap is the instant the clock
  jumps past it, e.g. 02:30 on 2026-03-29 in Europe/Berlin is 03:00 CEST (01:00 UTC). zoneinfo's
  ``fold=0`` would give 03:30 CEST instead; we do not use it for boundaries because it is not
  monotonic there (a break 02:30-03:15 would end before it starts, 02:30-03:30 would vanish).
  With this rule the wall-to-UTC map never goes backwards, so a break stays inside its day.
- An ambiguous boundary is its first occurrence too: a day that ends at 02:30 on a fall-back day
  ends at the first 02:30.
- "24:00" as an end means the next local midnight.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

__all__ = [
    "Interval",
    "SlotPolicy",
    "available_starts",
    "available_starts_range",
    "booking_horizon",
    "first_days_with_slots",
    "merge_master_slots",
    "wall_boundary",
    "within_working_hours",
    "working_window",
]

Interval = tuple[datetime, datetime]
K = TypeVar("K", bound=Hashable)

# date.weekday() order; the working-hours JSON is keyed by these names.
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class SlotPolicy:
    """A salon's booking policy, as stored on Salon."""

    timezone: str
    slot_interval_minutes: int = 15
    min_notice_minutes: int = 60
    max_advance_days: int = 60

    def __post_init__(self) -> None:
        # A zero step would loop forever; fail where the bad value enters.
        if self.slot_interval_minutes <= 0:
            raise ValueError("slot_interval_minutes must be positive")
        if self.min_notice_minutes < 0 or self.max_advance_days < 0:
            raise ValueError("min_notice_minutes and max_advance_days must not be negative")
        ZoneInfo(self.timezone)  # an unknown zone fails here, not on the first request for slots


@dataclass(frozen=True)
class _DayHours:
    """One weekday's working window, in minutes from local midnight."""

    start: int
    end: int
    breaks: tuple[tuple[int, int], ...]


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _weekly_hours(working_hours: Mapping[str, Any]) -> tuple[_DayHours | None, ...]:
    """Parse the (already validated) JSON once per call, indexed by date.weekday()."""
    week: list[_DayHours | None] = []
    for name in WEEKDAYS:
        spec = working_hours.get(name)
        if not spec or not spec.get("enabled", True):
            week.append(None)
            continue
        breaks = tuple(sorted((_minutes(b["start"]), _minutes(b["end"])) for b in spec.get("breaks") or ()))
        week.append(_DayHours(_minutes(spec["start"]), _minutes(spec["end"]), breaks))
    return tuple(week)


class _Timeline:
    """Busy intervals in UTC, sorted and merged once so each day is a bisect away."""

    __slots__ = ("ends", "intervals")

    def __init__(self, busy: Iterable[Interval]) -> None:
        self.intervals = _merge(sorted(_to_utc_interval(b) for b in busy))
        self.ends = [end for _, end in self.intervals]

    def between(self, start: datetime, end: datetime) -> list[Interval]:
        """The merged intervals that overlap [start, end)."""
        first = bisect.bisect_right(self.ends, start)
        last = bisect.bisect_left(self.intervals, (end,), lo=first)
        return self.intervals[first:last]


def _to_utc_interval(interval: Interval) -> Interval:
    start, end = interval
    if start.utcoffset() is None or end.utcoffset() is None:
        raise ValueError("busy intervals must be timezone-aware")
    # Aware datetimes sharing one ZoneInfo compare by wall time, ignoring fold; UTC avoids that.
    return start.astimezone(UTC), end.astimezone(UTC)


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Coalesce sorted intervals; empty ones (end <= start) cover no time and are dropped."""
    merged: list[Interval] = []
    for start, end in intervals:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _wall(day: date, minutes: int) -> datetime:
    return datetime.combine(day, time()) + timedelta(minutes=minutes)


def _first_occurrence(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """The first UTC instant the clock reads `wall`, or None inside a spring-forward gap."""
    instant = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0: the earlier of two readings
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return instant


def _boundary(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first UTC instant at which the clock reads `wall` or later (see module docstring)."""
    instant = _first_occurrence(wall, zone)
    if instant is not None:
        return instant
    # In a gap the jump lies in (wall read with the later offset, wall read with the earlier
    # offset]; zoneinfo does not expose transitions, so bisect for it to the second.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    while high - low > timedelta(seconds=1):
        middle = (low + (high - low) // 2).replace(microsecond=0)
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return high


@lru_cache(maxsize=8192)
def _day_grid(zone_key: str, day: date, start: int, end: int, step: int) -> tuple[datetime, ...]:
    """Candidate starts of one local day in UTC, sorted; shared by every master with those hours."""
    zone = ZoneInfo(zone_key)
    readings = (_first_occurrence(_wall(day, minute), zone) for minute in range(start, end, step))
    # Sorted so callers may stop at the first start that overruns the day.
    return tuple(sorted({instant for instant in readings if instant is not None}))


@lru_cache(maxsize=8192)
def _day_window(zone_key: str, day: date, hours: _DayHours) -> tuple[Interval, tuple[Interval, ...]]:
    zone = ZoneInfo(zone_key)
    window = (_boundary(_wall(day, hours.start), zone), _boundary(_wall(day, hours.end), zone))
    breaks = tuple(
        (_boundary(_wall(day, start), zone), _boundary(_wall(day, end), zone)) for start, end in hours.breaks
    )
    # A break wholly inside a spring-forward gap takes no time (both ends are the jump): drop it,
    # or a check like `b0 < end and start < b1` would see the empty interval as overlapping.
    return window, tuple((b0, b1) for b0, b1 in breaks if b0 < b1)


class _Engine:
    """Per-call state shared by every day of a range: zone, parsed hours, busy timeline."""

    def __init__(
        self, policy: SlotPolicy, working_hours: Mapping[str, Any], busy: Iterable[Interval], now: datetime
    ) -> None:
        if now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")
        self.policy = policy
        self.week = _weekly_hours(working_hours)
        self.timeline = _Timeline(busy)
        self.earliest = now.astimezone(UTC) + timedelta(minutes=policy.min_notice_minutes)
        self.today, self.last_day = booking_horizon(policy, now)

    def starts(self, day: date, duration: timedelta, *, first_only: bool = False) -> list[datetime]:
        hours = self.week[day.weekday()]
        if hours is None or not self.today <= day <= self.last_day:
            return []
        key = self.policy.timezone
        (work_start, work_end), breaks = _day_window(key, day, hours)
        grid = _day_grid(key, day, hours.start, hours.end, self.policy.slot_interval_minutes)
        # Breaks are sorted (parsed sorted, and the wall-to-UTC map is monotonic) and so is the
        # timeline, so a linear merge keeps busy time from being re-sorted per day.
        blocked = _merge(heapq.merge(breaks, self.timeline.between(work_start, work_end)))
        earliest = max(work_start, self.earliest)

        found: list[datetime] = []
        position = 0
        for start in grid:
            if start < earliest:
                continue
            end = start + duration
            if end > work_end:
                break  # the grid is sorted, so every later start overruns too
            # Blocked intervals are disjoint and sorted: only the first one ending after
            # `start` can overlap [start, end).
            while position < len(blocked) and blocked[position][1] <= start:
                position += 1
            if position < len(blocked) and blocked[position][0] < end:
                continue
            found.append(start)
            if first_only:
                break
        return found


def booking_horizon(policy: SlotPolicy, now: datetime) -> tuple[date, date]:
    """The first and last salon-local days on which a start may be offered, both inclusive.

    Loaders clip a requested range to it before computing anything: a day outside it has no
    slots, and a date near year 1 or 9999 would overflow the busy window around it.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    today = now.astimezone(ZoneInfo(policy.timezone)).date()
    return today, today + timedelta(days=policy.max_advance_days)


def _duration(duration_minutes: int) -> timedelta:
    if duration_minutes <= 0:
        raise ValueError("duration_minutes must be positive")
    return timedelta(minutes=duration_minutes)


def available_starts(
    *,
    policy: SlotPolicy,
    working_hours: Mapping[str, Any],
    busy: Iterable[Interval],
    day: date,
    duration_minutes: int,
    now: datetime,
) -> list[datetime]:
    """Aware-UTC start times on salon-local `day` at which a job of `duration_minutes` fits."""
    return _Engine(policy, working_hours, busy, now).starts(day, _duration(duration_minutes))


def available_starts_range(
    *,
    policy: SlotPolicy,
    working_hours: Mapping[str, Any],
    busy: Iterable[Interval],
    days: Iterable[date],
    duration_minutes: int,
    now: datetime,
) -> dict[date, list[datetime]]:
    """`available_starts` for each of `days` (every one a key, possibly empty), sorting busy once."""
    engine = _Engine(policy, working_hours, busy, now)
    duration = _duration(duration_minutes)
    return {day: engine.starts(day, duration) for day in days}


def first_days_with_slots(
    *,
    policy: SlotPolicy,
    masters: Mapping[Any, tuple[Mapping[str, Any], Iterable[Interval]]],
    start: date,
    duration_minutes: int,
    now: datetime,
    limit: int,
) -> list[date]:
    """Up to `limit` days from `start` to the booking horizon on which any master has a free start.

    `masters` maps a master key to its (working_hours, busy). Each master's busy time is sorted
    once, and a day is settled by the first free start found, so the bot's "next free days for
    any master" stays cheap over the whole horizon.
    """
    duration = _duration(duration_minutes)
    engines = [_Engine(policy, hours, busy, now) for hours, busy in masters.values()]
    if not engines or limit <= 0:
        return []
    found: list[date] = []
    for day in _days(max(start, engines[0].today), engines[0].last_day):
        if any(engine.starts(day, duration, first_only=True) for engine in engines):
            found.append(day)
            if len(found) == limit:
                break
    return found


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def merge_master_slots(per_master: Mapping[K, Iterable[datetime]]) -> list[tuple[datetime, list[K]]]:
    """Each start offered by any master, sorted, with the masters free then (in `per_master` order)."""
    by_start: dict[datetime, list[K]] = {}
    for master, starts in per_master.items():
        for start in dict.fromkeys(starts):
            by_start.setdefault(start, []).append(master)
    return sorted(by_start.items(), key=lambda item: item[0])


def working_window(
    working_hours: Mapping[str, Any], timezone: str, day: date
) -> tuple[Interval, tuple[Interval, ...]] | None:
    """The master's working window and breaks on a salon-local day, in UTC; None on a day off.

    The same boundaries as `available_starts` (the module's DST rule), for pages that draw a day.
    """
    hours = _weekly_hours(working_hours)[day.weekday()]
    return None if hours is None else _day_window(timezone, day, hours)


def wall_boundary(day: date, minutes: int, timezone: str) -> datetime:
    """The first instant the salon's clock reads `minutes` past midnight of `day` (or later, in a gap)."""
    return _boundary(_wall(day, minutes), ZoneInfo(timezone))


def within_working_hours(working_hours: Mapping[str, Any], timezone: str, start_ts: datetime, end_ts: datetime) -> bool:
    """Whether [start_ts, end_ts) lies inside the working window of its salon-local day, clear of breaks.

    The same boundaries as `available_starts`, without the grid, notice, horizon or busy time:
    for an off-grid booking made by staff, or to pick among masters for a given interval.
    """
    if start_ts.utcoffset() is None or end_ts.utcoffset() is None:
        raise ValueError("start_ts and end_ts must be timezone-aware")
    start, end = start_ts.astimezone(UTC), end_ts.astimezone(UTC)
    if end <= start:
        return False
    day = start.astimezone(ZoneInfo(timezone)).date()
    hours = _weekly_hours(working_hours)[day.weekday()]
    if hours is None:
        return False
    (work_start, work_end), breaks = _day_window(timezone, day, hours)
    return work_start <= start and end <= work_end and not any(b0 < end and start < b1 for b0, b1 in breaks)
