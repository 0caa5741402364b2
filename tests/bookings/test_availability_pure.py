"""The pure availability engine against DESIGN.md "Availability", without a database.

Expected instants in the DST tests are written out in UTC by hand from the tz database's
transitions, and the property test compares against a minute-by-minute brute force that is
derived from the rules alone, never from bookings.availability.
"""

from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookings.availability import (
    SlotPolicy,
    available_starts,
    available_starts_range,
    first_days_with_slots,
    merge_master_slots,
    within_working_hours,
)

BERLIN = ZoneInfo("Europe/Berlin")
ALL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONDAY = date(2026, 6, 1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: ZoneInfo, day: date, hhmm: str) -> datetime:
    """A wall time on a day without a DST change, as UTC."""
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=zone).astimezone(UTC)


def every(start: str, end: str, step: int, zone: ZoneInfo = BERLIN, day: date = MONDAY) -> list[datetime]:
    """Wall times start, start+step, ... up to and including end, on a day without a DST change."""
    first, last = local(zone, day, start), local(zone, day, end)
    return [first + timedelta(minutes=step * i) for i in range(int((last - first) / timedelta(minutes=step)) + 1)]


def week(start: str = "09:00", end: str = "18:00", breaks=(), days=ALL_DAYS) -> dict:
    return {
        name: {"enabled": True, "start": start, "end": end, "breaks": [{"start": s, "end": e} for s, e in breaks]}
        for name in days
    }


def starts(
    *,
    day: date = MONDAY,
    hours: dict | None = None,
    busy=(),
    duration: int = 60,
    now: datetime | None = None,
    zone: str = "Europe/Berlin",
    step: int = 15,
    notice: int = 60,
    advance: int = 60,
) -> list[datetime]:
    return available_starts(
        policy=SlotPolicy(
            timezone=zone, slot_interval_minutes=step, min_notice_minutes=notice, max_advance_days=advance
        ),
        working_hours=week(breaks=[("13:00", "14:00")]) if hours is None else hours,
        busy=busy,
        day=day,
        duration_minutes=duration,
        now=now or datetime.combine(day - timedelta(days=7), time(12), tzinfo=UTC),
    )


# --- the seed's example and ordinary days ---------------------------------------------------


def test_seed_example_monday_with_lunch_gives_quarter_hour_starts_around_lunch():
    assert starts() == every("09:00", "12:00", 15) + every("14:00", "17:00", 15)
    assert starts()[0] == utc(2026, 6, 1, 7, 0)  # 09:00 CEST


def test_results_are_aware_utc():
    assert all(start.tzinfo is UTC for start in starts())


def test_booking_ending_at_a_start_leaves_that_start_free_and_blocks_overlapping_starts():
    booking = (local(BERLIN, MONDAY, "10:00"), local(BERLIN, MONDAY, "11:00"))
    free = starts(busy=[booking])
    assert local(BERLIN, MONDAY, "09:00") in free
    assert local(BERLIN, MONDAY, "11:00") in free
    assert not set(every("09:15", "10:45", 15)) & set(free)
    assert free == every("09:00", "09:00", 15) + every("11:00", "12:00", 15) + every("14:00", "17:00", 15)


def test_unsorted_overlapping_busy_beyond_the_day_is_merged():
    busy = [
        (local(BERLIN, MONDAY, "15:00"), local(BERLIN, MONDAY, "15:30")),
        (utc(2026, 5, 20, 0, 0), local(BERLIN, MONDAY, "09:30")),  # from last month into the morning
        (local(BERLIN, MONDAY, "15:15"), local(BERLIN, MONDAY, "16:00")),
        (local(BERLIN, MONDAY, "17:30"), utc(2026, 7, 1, 0, 0)),  # past the end of the day
        (local(BERLIN, MONDAY, "11:00"), local(BERLIN, MONDAY, "11:00")),  # empty: blocks nothing
    ]
    assert starts(busy=busy) == every("09:30", "12:00", 15) + every("14:00", "14:00", 15) + every("16:00", "16:30", 15)


def test_busy_in_the_salon_zone_is_compared_as_instants():
    # Oct 25 in Berlin repeats 02:00-03:00; fold=1 is the second hour, 01:00-02:00 UTC. Aware
    # datetimes sharing a ZoneInfo compare by wall time, so this catches a missing UTC step.
    day = date(2026, 10, 25)
    second_hour = (datetime(2026, 10, 25, 2, 0, fold=1, tzinfo=BERLIN), datetime(2026, 10, 25, 3, 0, tzinfo=BERLIN))
    assert starts(day=day, hours=week("01:00", "05:00"), busy=[second_hour], step=30, duration=60) == [
        utc(2026, 10, 24, 23, 0),
        utc(2026, 10, 24, 23, 30),
        utc(2026, 10, 25, 0, 0),
        utc(2026, 10, 25, 2, 0),
        utc(2026, 10, 25, 2, 30),
        utc(2026, 10, 25, 3, 0),
    ]


def test_time_off_spanning_several_days_empties_them_and_frees_the_rest():
    time_off = (local(BERLIN, MONDAY - timedelta(days=1), "15:00"), local(BERLIN, MONDAY + timedelta(days=2), "12:00"))
    wednesday = MONDAY + timedelta(days=2)
    by_day = available_starts_range(
        policy=SlotPolicy(timezone="Europe/Berlin"),
        working_hours=week(breaks=[("13:00", "14:00")]),
        busy=[time_off],
        days=[MONDAY, MONDAY + timedelta(days=1), wednesday],
        duration_minutes=60,
        now=utc(2026, 5, 25, 12, 0),
    )
    assert by_day[MONDAY] == []
    assert by_day[MONDAY + timedelta(days=1)] == []
    # 12:00-13:00 touches lunch at 13:00 without overlapping it (half-open).
    assert by_day[wednesday] == every("12:00", "12:00", 15, day=wednesday) + every("14:00", "17:00", 15, day=wednesday)


def test_break_is_half_open_at_both_ends():
    free = starts(duration=15)
    assert local(BERLIN, MONDAY, "12:45") in free
    assert local(BERLIN, MONDAY, "13:00") not in free
    assert local(BERLIN, MONDAY, "13:45") not in free
    assert local(BERLIN, MONDAY, "14:00") in free
    assert free[-1] == local(BERLIN, MONDAY, "17:45")


def test_grid_runs_from_working_start_not_from_break_end():
    free = starts(hours=week("09:10", "12:00", [("10:00", "10:20")]), step=30, duration=30)
    assert free == [local(BERLIN, MONDAY, t) for t in ("09:10", "10:40", "11:10")]


def test_job_longer_than_the_day_has_no_start():
    assert starts(duration=9 * 60 + 1, hours=week()) == []
    assert starts(duration=9 * 60, hours=week()) == [local(BERLIN, MONDAY, "09:00")]


# --- now, notice and horizon ----------------------------------------------------------------


def test_min_notice_drops_starts_before_now_plus_notice():
    now = local(BERLIN, MONDAY, "10:20")
    assert starts(now=now) == every("11:30", "12:00", 15) + every("14:00", "17:00", 15)


def test_start_exactly_at_now_plus_notice_is_offered():
    now = local(BERLIN, MONDAY, "10:00")
    assert starts(now=now)[0] == local(BERLIN, MONDAY, "11:00")
    assert starts(now=now + timedelta(microseconds=1))[0] == local(BERLIN, MONDAY, "11:15")


def test_zero_notice_offers_the_current_instant():
    now = local(BERLIN, MONDAY, "16:30")
    assert starts(now=now, notice=0) == every("16:30", "17:00", 15)


def test_notice_counts_real_minutes_when_now_is_in_the_salon_zone():
    # Havana 2026-11-01: 01:00 CDT falls back to 00:00 CST at 05:00 UTC. From the first 00:00
    # (04:00 UTC), 120 real minutes end at 06:00 UTC = 01:00 CST, not at 02:00 on the clock.
    now = datetime(2026, 11, 1, 0, 0, tzinfo=ZoneInfo("America/Havana"))
    free = starts(
        day=date(2026, 11, 1),
        hours=week("00:00", "01:15"),
        zone="America/Havana",
        step=5,
        duration=15,
        notice=120,
        now=now,
    )
    assert free == [utc(2026, 11, 1, 6, 0)]


def test_last_day_of_the_horizon_has_slots_and_the_next_has_none():
    now = local(BERLIN, MONDAY, "10:00")
    last = MONDAY + timedelta(days=60)
    assert starts(day=last, now=now) == every("09:00", "12:00", 15, day=last) + every("14:00", "17:00", 15, day=last)
    assert starts(day=last + timedelta(days=1), now=now) == []
    assert starts(day=MONDAY + timedelta(days=2), now=now, advance=1) == []
    assert starts(day=MONDAY, now=now, advance=0) != []


def test_past_day_is_empty():
    assert starts(day=MONDAY - timedelta(days=1), now=local(BERLIN, MONDAY, "08:00")) == []


def test_today_and_the_horizon_are_counted_in_the_salon_zone():
    # 20:00 UTC on June 1 is already 06:00 on June 2 in Sydney.
    now = utc(2026, 6, 1, 20, 0)
    sydney = ZoneInfo("Australia/Sydney")
    june_2 = date(2026, 6, 2)
    assert starts(day=date(2026, 6, 1), now=now, zone="Australia/Sydney") == []
    assert starts(day=june_2, now=now, zone="Australia/Sydney")[0] == local(sydney, june_2, "09:00")
    assert starts(day=june_2 + timedelta(days=2), now=now, zone="Australia/Sydney", advance=2) != []
    assert starts(day=june_2 + timedelta(days=3), now=now, zone="Australia/Sydney", advance=2) == []


def test_day_off_and_missing_day_are_empty_and_enabled_defaults_to_true():
    hours = {
        "monday": {"enabled": False},
        "tuesday": {"start": "09:00", "end": "10:00"},
        "wednesday": {"enabled": False, "start": "09:00", "end": "18:00"},
    }
    assert starts(day=MONDAY, hours=hours) == []
    assert starts(day=MONDAY + timedelta(days=1), hours=hours) == [local(BERLIN, MONDAY + timedelta(days=1), "09:00")]
    assert starts(day=MONDAY + timedelta(days=2), hours=hours) == []
    assert starts(day=MONDAY + timedelta(days=3), hours=hours) == []
    assert starts(day=MONDAY, hours={}) == []


def test_invalid_arguments_are_rejected():
    with pytest.raises(ValueError):
        starts(now=datetime(2026, 5, 25, 12, 0))
    with pytest.raises(ValueError):
        starts(busy=[(datetime(2026, 6, 1, 10, 0), datetime(2026, 6, 1, 11, 0))])
    with pytest.raises(ValueError):
        starts(duration=0)
    with pytest.raises(ValueError):
        SlotPolicy(timezone="Europe/Berlin", slot_interval_minutes=0)


# --- DST and unusual zones (expected UTC instants written by hand) ----------------------------


def test_berlin_spring_forward_skips_missing_starts_and_counts_real_minutes():
    # 2026-03-29: 02:00 CET jumps to 03:00 CEST at 01:00 UTC. Day 01:00 CET-05:00 CEST = 00:00-03:00 UTC.
    free = starts(day=date(2026, 3, 29), hours=week("01:00", "05:00"), step=30, duration=60)
    assert free == [
        utc(2026, 3, 29, 0, 0),  # 01:00 CET
        utc(2026, 3, 29, 0, 30),  # 01:30 CET, ends 03:30 CEST: 60 real minutes
        utc(2026, 3, 29, 1, 0),  # 03:00 CEST (02:00 and 02:30 do not exist)
        utc(2026, 3, 29, 1, 30),
        utc(2026, 3, 29, 2, 0),  # 04:00 CEST, ends at 05:00 CEST
    ]


def test_berlin_fall_back_takes_first_occurrence_and_counts_real_minutes():
    # 2026-10-25: 03:00 CEST falls back to 02:00 CET at 01:00 UTC. Day = 23:00 UTC (Oct 24)-04:00 UTC.
    day = date(2026, 10, 25)
    assert starts(day=day, hours=week("01:00", "05:00"), step=30, duration=60) == [
        utc(2026, 10, 24, 23, 0),  # 01:00 CEST
        utc(2026, 10, 24, 23, 30),
        utc(2026, 10, 25, 0, 0),  # 02:00 CEST, the first 02:00
        utc(2026, 10, 25, 0, 30),  # 02:30 CEST
        utc(2026, 10, 25, 2, 0),  # 03:00 CET; the second 02:xx hour offers no start
        utc(2026, 10, 25, 2, 30),
        utc(2026, 10, 25, 3, 0),  # 04:00 CET, ends at 05:00 CET
    ]
    # 02:30 CEST + 90 real minutes ends 02:00 UTC, so a booking in the repeated hour blocks it.
    booking = (utc(2026, 10, 25, 1, 40), utc(2026, 10, 25, 1, 50))
    assert starts(day=day, hours=week("01:00", "05:00"), busy=[booking], step=30, duration=90) == [
        utc(2026, 10, 24, 23, 0),
        utc(2026, 10, 24, 23, 30),
        utc(2026, 10, 25, 0, 0),
        utc(2026, 10, 25, 2, 0),
        utc(2026, 10, 25, 2, 30),
    ]


def test_new_york_spring_forward():
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT at 07:00 UTC. Day 00:00 EST-06:00 EDT = 05:00-10:00 UTC.
    free = starts(day=date(2026, 3, 8), hours=week("00:00", "06:00"), zone="America/New_York", step=60, duration=120)
    assert free == [utc(2026, 3, 8, 5), utc(2026, 3, 8, 6), utc(2026, 3, 8, 7), utc(2026, 3, 8, 8)]


def test_new_york_fall_back():
    # 2026-11-01: 02:00 EDT falls back to 01:00 EST at 06:00 UTC. Day 00:00 EDT-03:00 EST = 04:00-08:00 UTC.
    day = date(2026, 11, 1)
    free = starts(day=day, hours=week("00:00", "03:00"), zone="America/New_York", step=30, duration=30)
    assert free == [
        utc(2026, 11, 1, 4, 0),
        utc(2026, 11, 1, 4, 30),
        utc(2026, 11, 1, 5, 0),  # 01:00 EDT, first occurrence
        utc(2026, 11, 1, 5, 30),
        utc(2026, 11, 1, 7, 0),  # 02:00 EST
        utc(2026, 11, 1, 7, 30),
    ]


def test_ambiguous_end_of_day_is_its_first_occurrence():
    # Ends at the first 01:30 (EDT, 05:30 UTC), not the second.
    day = date(2026, 11, 1)
    free = starts(day=day, hours=week("00:00", "01:30"), zone="America/New_York", step=30, duration=30)
    assert free == [utc(2026, 11, 1, 4, 0), utc(2026, 11, 1, 4, 30), utc(2026, 11, 1, 5, 0)]


def test_sydney_fall_back_in_april():
    # 2026-04-05: 03:00 AEDT falls back to 02:00 AEST at 16:00 UTC on Apr 4. Day 01:00-05:00 = 14:00-19:00 UTC.
    free = starts(day=date(2026, 4, 5), hours=week("01:00", "05:00"), zone="Australia/Sydney", step=60, duration=60)
    assert free == [utc(2026, 4, 4, 14), utc(2026, 4, 4, 15), utc(2026, 4, 4, 17), utc(2026, 4, 4, 18)]


def test_sydney_spring_forward_in_october():
    # 2026-10-04: 02:00 AEST jumps to 03:00 AEDT at 16:00 UTC on Oct 3. Day 01:00-05:00 = 15:00-18:00 UTC.
    free = starts(day=date(2026, 10, 4), hours=week("01:00", "05:00"), zone="Australia/Sydney", step=30, duration=45)
    assert free == [
        utc(2026, 10, 3, 15, 0),
        utc(2026, 10, 3, 15, 30),  # 01:30 AEST, ends 03:15 AEDT
        utc(2026, 10, 3, 16, 0),  # 03:00 AEDT
        utc(2026, 10, 3, 16, 30),
        utc(2026, 10, 3, 17, 0),
    ]


def test_working_start_inside_a_gap_begins_when_the_clock_jumps():
    # 02:30 does not exist on 2026-03-29 in Berlin; the day begins at 03:00 CEST (01:00 UTC).
    free = starts(day=date(2026, 3, 29), hours=week("02:30", "05:00"), step=30, duration=60)
    assert free == [utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 2, 0)]


def test_working_end_inside_a_gap_ends_when_the_clock_jumps():
    free = starts(day=date(2026, 3, 29), hours=week("00:00", "02:30"), step=30, duration=30)
    assert free == [utc(2026, 3, 28, 23, 0), utc(2026, 3, 28, 23, 30), utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 0, 30)]


def test_break_partly_inside_a_gap_keeps_its_real_part():
    # Break 02:30-03:30 is 03:00-03:30 CEST = 01:00-01:30 UTC.
    free = starts(day=date(2026, 3, 29), hours=week("00:00", "06:00", [("02:30", "03:30")]), step=30, duration=30)
    assert free == [
        utc(2026, 3, 28, 23, 0),
        utc(2026, 3, 28, 23, 30),
        utc(2026, 3, 29, 0, 0),
        utc(2026, 3, 29, 0, 30),
        utc(2026, 3, 29, 1, 30),
        utc(2026, 3, 29, 2, 0),
        utc(2026, 3, 29, 2, 30),
        utc(2026, 3, 29, 3, 0),
        utc(2026, 3, 29, 3, 30),
    ]


def test_midnight_that_does_not_exist():
    # Havana 2026-03-08: 00:00 CST jumps to 01:00 CDT at 05:00 UTC, so the day itself starts at 01:00.
    free = starts(day=date(2026, 3, 8), hours=week("00:00", "03:00"), zone="America/Havana", step=30, duration=30)
    assert free == [utc(2026, 3, 8, 5, 0), utc(2026, 3, 8, 5, 30), utc(2026, 3, 8, 6, 0), utc(2026, 3, 8, 6, 30)]


def test_day_ending_at_24_00_through_a_repeated_last_hour():
    # Santiago 2026-04-04 (Saturday): 24:00 -03 falls back to 23:00 -04 at 03:00 UTC on Apr 5, so
    # 23:00-24:00 repeats and the day ends at the next midnight, 04:00 UTC.
    free = starts(day=date(2026, 4, 4), hours=week("21:00", "24:00"), zone="America/Santiago", step=30, duration=60)
    assert free == [
        utc(2026, 4, 5, 0, 0),
        utc(2026, 4, 5, 0, 30),
        utc(2026, 4, 5, 1, 0),
        utc(2026, 4, 5, 1, 30),
        utc(2026, 4, 5, 2, 0),  # the first 23:00
        utc(2026, 4, 5, 2, 30),  # the first 23:30, ends at the second 23:30
    ]


def test_half_hour_zone_kolkata():
    day = date(2026, 3, 29)  # a Berlin DST day changes nothing in India (+05:30 all year)
    free = starts(day=day, hours=week("09:00", "12:00"), zone="Asia/Kolkata", step=30, duration=60)
    assert free == [
        utc(2026, 3, 29, 3, 30),
        utc(2026, 3, 29, 4, 0),
        utc(2026, 3, 29, 4, 30),
        utc(2026, 3, 29, 5, 0),
        utc(2026, 3, 29, 5, 30),
    ]


def test_zone_without_dst_tokyo():
    day = date(2026, 11, 1)
    free = starts(day=day, hours=week("00:00", "02:00"), zone="Asia/Tokyo", step=60, duration=60)
    assert free == [utc(2026, 10, 31, 15), utc(2026, 10, 31, 16)]


# --- range and "any master" helpers ---------------------------------------------------------


def test_range_returns_every_requested_day_and_reads_busy_once():
    monday_only = week(days=["monday"])
    booking = (local(BERLIN, MONDAY, "09:00"), local(BERLIN, MONDAY, "17:00"))
    next_monday = MONDAY + timedelta(days=7)
    by_day = available_starts_range(
        policy=SlotPolicy(timezone="Europe/Berlin", slot_interval_minutes=60),
        working_hours=monday_only,
        busy=iter([booking]),  # a one-shot iterator: re-reading it per day would lose the booking
        days=[next_monday, MONDAY + timedelta(days=1), MONDAY],
        duration_minutes=60,
        now=utc(2026, 5, 25, 12, 0),
    )
    assert list(by_day) == [next_monday, MONDAY + timedelta(days=1), MONDAY]
    assert by_day[MONDAY] == [local(BERLIN, MONDAY, "17:00")]
    assert by_day[MONDAY + timedelta(days=1)] == []
    assert by_day[next_monday] == every("09:00", "17:00", 60, day=next_monday)


def test_first_days_with_slots_finds_days_where_any_master_is_free():
    now = local(BERLIN, MONDAY, "08:00")
    masters = {
        "anna": (week(days=["monday"]), [(local(BERLIN, MONDAY, "00:00"), local(BERLIN, MONDAY, "23:00"))]),
        "boris": (week(days=["wednesday"]), []),
    }
    kwargs = {"policy": SlotPolicy(timezone="Europe/Berlin"), "masters": masters, "duration_minutes": 60, "now": now}
    # Anna is booked out this Monday; Boris works Wednesdays.
    assert first_days_with_slots(start=MONDAY, limit=3, **kwargs) == [
        MONDAY + timedelta(days=2),
        MONDAY + timedelta(days=7),
        MONDAY + timedelta(days=9),
    ]
    # A start in the past begins today; the horizon (60 days) bounds the search.
    assert first_days_with_slots(start=MONDAY - timedelta(days=30), limit=1, **kwargs) == [MONDAY + timedelta(days=2)]
    found = first_days_with_slots(start=MONDAY, limit=100, **kwargs)
    assert len(found) == 17 and found[-1] == MONDAY + timedelta(days=58)
    assert first_days_with_slots(start=MONDAY + timedelta(days=61), limit=5, **kwargs) == []
    assert first_days_with_slots(start=MONDAY, limit=3, **{**kwargs, "masters": {}}) == []


def test_merge_master_slots_lists_each_start_with_the_masters_free_then():
    nine, ten, eleven = utc(2026, 6, 1, 9), utc(2026, 6, 1, 10), utc(2026, 6, 1, 11)
    merged = merge_master_slots({"boris": [eleven, nine], "anna": [nine, ten, ten], "vera": []})
    assert merged == [(nine, ["boris", "anna"]), (ten, ["anna"]), (eleven, ["boris"])]
    assert merge_master_slots({}) == []


# --- property tests against a minute-by-minute brute force ------------------------------------

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "America/Santiago",  # changes at midnight
    "America/Havana",  # midnight does not exist in March
    "Pacific/Chatham",  # +12:45 / +13:45
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tokyo",
    "UTC",
]
# (zone, salon-local day, the wall time at which the clock changes), from the tz database.
TRANSITION_DAYS = [
    ("Europe/Berlin", date(2026, 3, 29), "02:00"),
    ("Europe/Berlin", date(2026, 10, 25), "02:00"),
    ("America/New_York", date(2026, 3, 8), "02:00"),
    ("America/New_York", date(2026, 11, 1), "01:00"),
    ("Australia/Sydney", date(2026, 4, 5), "02:00"),
    ("Australia/Sydney", date(2026, 10, 4), "02:00"),
    ("Australia/Lord_Howe", date(2026, 4, 5), "01:30"),
    ("Australia/Lord_Howe", date(2026, 10, 4), "02:00"),
    ("America/Santiago", date(2026, 4, 4), "23:00"),
    ("America/Santiago", date(2026, 9, 6), "00:00"),
    ("America/Havana", date(2026, 3, 8), "00:00"),
    ("America/Havana", date(2026, 11, 1), "00:00"),
    ("Pacific/Chatham", date(2026, 4, 5), "02:45"),
    ("Pacific/Chatham", date(2026, 9, 27), "02:45"),
]
# Independent of the engine's own table: strftime("%w") counts from Sunday.
NAMES_FROM_SUNDAY = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
MINUTE = timedelta(minutes=1)


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def to_minutes(text: str) -> int:
    hours, minutes = map(int, text.split(":"))
    return hours * 60 + minutes


class Clock:
    """The salon's clock read at every UTC minute from well before `day` to well after it."""

    def __init__(self, zone: ZoneInfo, day: date) -> None:
        self.midnight = datetime.combine(day, time())
        # UTC offsets lie within -12h..+14h, so this sees the clock read all of `day` and "24:00".
        first = (self.midnight - timedelta(hours=15)).replace(tzinfo=UTC)
        self.minutes = [first + MINUTE * i for i in range((24 + 30) * 60)]
        self.readings = [(u, u.astimezone(zone).replace(tzinfo=None)) for u in self.minutes]
        self.first_shown: dict[datetime, datetime] = {}
        for u, wall in self.readings:
            self.first_shown.setdefault(wall, u)

    def shows(self, minutes: int) -> datetime | None:
        """The first instant the clock reads exactly this wall time of the day, if it ever does."""
        return self.first_shown.get(self.midnight + MINUTE * minutes)

    def reaches(self, minutes: int) -> datetime:
        """The first instant the clock reads this wall time of the day or later."""
        wall = self.midnight + MINUTE * minutes
        return next(u for u, reading in self.readings if reading >= wall)


@lru_cache(maxsize=256)
def clock_for(zone: ZoneInfo, day: date) -> Clock:
    return Clock(zone, day)


def reference_free_minutes(zone: ZoneInfo, working_hours: dict, day: date, busy) -> tuple[Clock, dict | None, set]:
    """The UTC minutes of `day` inside working hours, outside breaks, touching no busy interval."""
    clock = clock_for(zone, day)
    spec = working_hours.get(NAMES_FROM_SUNDAY[int(day.strftime("%w"))])
    if not spec or spec.get("enabled") is False:
        return clock, None, set()
    work_start, work_end = clock.reaches(to_minutes(spec["start"])), clock.reaches(to_minutes(spec["end"]))
    breaks = [
        (clock.reaches(to_minutes(b["start"])), clock.reaches(to_minutes(b["end"]))) for b in spec.get("breaks", [])
    ]
    working = [work_start + MINUTE * i for i in range(max(0, (work_end - work_start) // MINUTE))]
    free = {
        u
        for u in working
        if not any(b0 <= u < b1 for b0, b1 in breaks) and not any(a < u + MINUTE and u < b for a, b in busy)
    }
    return clock, spec, free


def reference_starts(
    *, zone_key: str, working_hours: dict, busy, day: date, step: int, duration: int, notice: int, advance: int, now
) -> list[datetime]:
    """Brute force from DESIGN.md: mark free minutes, then try every wall-clock step of the day."""
    zone = ZoneInfo(zone_key)
    today = now.astimezone(zone).date()
    if day < today or day > today + timedelta(days=advance):
        return []
    clock, spec, free = reference_free_minutes(zone, working_hours, day, busy)
    if spec is None:
        return []
    # In UTC: adding to a datetime in the salon zone would add wall-clock time, not real minutes.
    earliest = now.astimezone(UTC) + timedelta(minutes=notice)
    found = set()
    for wall in range(to_minutes(spec["start"]), 24 * 60, step):
        start = clock.shows(wall)
        if start is None or start < earliest:
            continue
        if all(start + MINUTE * i in free for i in range(duration)):
            found.add(start)
    return sorted(found)


@st.composite
def day_spec(draw, anchor: int | None):
    if draw(st.integers(0, 9)) == 9:
        return draw(st.sampled_from([None, {"enabled": False}]))
    if anchor is not None and draw(st.integers(0, 3)):
        # Around the clock change, with boundaries before, inside and after it.
        start = max(0, min(anchor - 15 * draw(st.integers(-4, 12)), 1425))
        end = min(1440, max(anchor + 15 * draw(st.integers(1, 16)), start + 15))
    else:
        start = draw(st.integers(0, 95)) * 15
        end = draw(st.integers(start // 15 + 1, 96)) * 15
    inner = st.integers(start // 5 + 1, end // 5 - 1)
    points = sorted(draw(st.lists(inner, unique=True, max_size=4))) if end - start > 10 else []
    breaks = [{"start": hhmm(a * 5), "end": hhmm(b * 5)} for a, b in zip(points[::2], points[1::2], strict=False)]
    spec = {"start": hhmm(start), "end": hhmm(end), "breaks": breaks}
    if draw(st.booleans()):
        spec["enabled"] = True
    return spec


@st.composite
def salon_days(draw):
    """A zone, a day (often a DST day) and working hours whose other weekdays are open all day."""
    anchor = None
    if draw(st.integers(0, 2)):
        zone_key, day, change = draw(st.sampled_from(TRANSITION_DAYS))
        shift = draw(st.sampled_from([0, 0, 0, 0, -1, 1]))
        day += timedelta(days=shift)
        anchor = to_minutes(change) if shift == 0 else None
    else:
        zone_key = draw(st.sampled_from(ZONES))
        day = draw(st.dates(date(2026, 1, 1), date(2026, 12, 31)))
    spec = draw(day_spec(anchor))
    # Other days work all day, so reading the wrong weekday shows up as extra starts.
    working_hours = {name: {"start": "00:00", "end": "24:00"} for name in ALL_DAYS}
    target = NAMES_FROM_SUNDAY[int(day.strftime("%w"))]
    if spec is None:
        del working_hours[target]
    else:
        working_hours[target] = spec
    return zone_key, day, working_hours


@st.composite
def scenarios(draw):
    zone_key, day, working_hours = draw(salon_days())
    zone = ZoneInfo(zone_key)
    midnight_utc = datetime.combine(day, time(), tzinfo=UTC)
    busy = []
    for _ in range(draw(st.integers(0, 4))):
        begin = midnight_utc + timedelta(minutes=draw(st.integers(-24 * 60, 48 * 60)), seconds=draw(st.integers(0, 59)))
        # Mostly short bookings; now and then time off long enough to cover the whole day.
        longest = 3 * 24 * 60 if draw(st.integers(0, 7)) == 0 else 150
        end = begin + timedelta(minutes=draw(st.integers(1, longest)))
        as_zone = draw(st.sampled_from([UTC, zone, timezone(timedelta(hours=-7))]))
        busy.append((begin.astimezone(as_zone), end.astimezone(as_zone)))

    advance = draw(st.sampled_from([0, 1, 7, 60]))
    kind = draw(st.integers(0, 9))
    if kind < 6:  # from local midnight back to the horizon, so there is something to offer
        local_midnight = datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
        shift = (local_midnight - midnight_utc) // MINUTE - draw(st.integers(0, advance * 24 * 60))
    elif kind < 8:  # around the day itself: notice cuts into it, or it is past
        shift = draw(st.integers(-24 * 60, 2 * 24 * 60))
    else:  # around the far end of the horizon
        shift = draw(st.integers(-(advance + 2) * 24 * 60, -(advance - 1) * 24 * 60))
    now = midnight_utc + timedelta(minutes=shift, seconds=draw(st.integers(0, 59)))
    return {
        "zone_key": zone_key,
        "working_hours": working_hours,
        "busy": busy,
        "day": day,
        "step": draw(st.sampled_from([5, 10, 15, 20, 30, 45, 60])),
        "duration": draw(st.one_of(st.sampled_from([15, 30, 45, 60, 90]), st.integers(5, 180))),
        "notice": draw(st.sampled_from([0, 1, 30, 60, 120, 1440])),
        "advance": advance,
        "now": now.astimezone(draw(st.sampled_from([UTC, zone]))),
    }


# database=None: a replayed example from an old run should not decide today's result.
@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_available_starts_match_minute_by_minute_brute_force(case):
    expected = reference_starts(**case)
    actual = available_starts(
        policy=SlotPolicy(
            timezone=case["zone_key"],
            slot_interval_minutes=case["step"],
            min_notice_minutes=case["notice"],
            max_advance_days=case["advance"],
        ),
        working_hours=case["working_hours"],
        busy=case["busy"],
        day=case["day"],
        duration_minutes=case["duration"],
        now=case["now"],
    )
    assert actual == expected
    assert all(start.tzinfo is UTC for start in actual)


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(salon_days(), st.data())
def test_within_working_hours_matches_brute_force(salon_day, data):
    zone_key, day, working_hours = salon_day
    zone = ZoneInfo(zone_key)
    clock, spec, _ = reference_free_minutes(zone, working_hours, day, busy=[])
    # Ends near a boundary of the day (work start or end, a break edge) are where off-by-ones hide.
    # Break edges twice: they are sampled as often as the day's own ends.
    edges = [] if spec is None else [spec["start"], spec["end"]] + [t for b in spec["breaks"] for t in b.values()] * 2
    offsets = st.one_of(st.just(0), st.integers(-20, 20))
    near_edge = st.tuples(st.sampled_from(edges), offsets).map(lambda e: to_minutes(e[0]) + e[1])
    anywhere = st.integers(-60, 25 * 60)
    edge = clock.reaches(data.draw(st.one_of(near_edge, near_edge, near_edge, anywhere) if edges else anywhere))
    length = MINUTE * data.draw(st.one_of(st.integers(1, 90), st.integers(1, 300), st.sampled_from([0, -5])))
    start, end = (edge, edge + length) if data.draw(st.booleans()) else (edge - length, edge)

    _, _, free = reference_free_minutes(zone, working_hours, start.astimezone(zone).date(), busy=[])
    expected = start < end and all(start + MINUTE * i in free for i in range(length // MINUTE))
    assert within_working_hours(working_hours, zone_key, start, end) is expected


def test_within_working_hours_examples():
    hours = week(breaks=[("13:00", "14:00")])
    assert within_working_hours(hours, "Europe/Berlin", local(BERLIN, MONDAY, "12:00"), local(BERLIN, MONDAY, "13:00"))
    assert not within_working_hours(
        hours, "Europe/Berlin", local(BERLIN, MONDAY, "12:07"), local(BERLIN, MONDAY, "13:07")
    )
    assert within_working_hours(hours, "Europe/Berlin", local(BERLIN, MONDAY, "17:07"), local(BERLIN, MONDAY, "18:00"))
    assert not within_working_hours(
        hours, "Europe/Berlin", local(BERLIN, MONDAY, "17:07"), local(BERLIN, MONDAY, "18:01")
    )
    assert not within_working_hours({}, "Europe/Berlin", local(BERLIN, MONDAY, "10:00"), local(BERLIN, MONDAY, "11:00"))
    assert not within_working_hours(
        hours, "Europe/Berlin", local(BERLIN, MONDAY, "11:00"), local(BERLIN, MONDAY, "11:00")
    )


@settings(max_examples=50, deadline=None, database=None)
@given(
    zone_key=st.sampled_from(ZONES),
    first=st.dates(date(2026, 1, 1), date(2026, 12, 31)),
    masters=st.dictionaries(
        st.sampled_from(["anna", "boris", "vera"]),
        st.tuples(
            st.lists(st.sampled_from(ALL_DAYS), unique=True),
            st.lists(st.tuples(st.integers(0, 40 * 24), st.integers(1, 72)), max_size=8),
        ),
        max_size=3,
    ),
    limit=st.integers(1, 6),
)
def test_range_helpers_agree_with_the_single_day_function(zone_key, first, masters, limit):
    policy = SlotPolicy(timezone=zone_key, slot_interval_minutes=30, max_advance_days=30)
    now = datetime.combine(first, time(12), tzinfo=UTC)
    days = [first + timedelta(days=i) for i in range(-1, 33)]
    inputs = {
        name: (
            week("08:00", "20:00", [("12:00", "13:00")], days=workdays),
            [(now + timedelta(hours=h), now + timedelta(hours=h + length)) for h, length in busy],
        )
        for name, (workdays, busy) in masters.items()
    }
    per_day = {
        name: {
            day: available_starts(policy=policy, working_hours=hours, busy=busy, day=day, duration_minutes=90, now=now)
            for day in days
        }
        for name, (hours, busy) in inputs.items()
    }
    for name, (hours, busy) in inputs.items():
        ranged = available_starts_range(
            policy=policy, working_hours=hours, busy=busy, days=days, duration_minutes=90, now=now
        )
        assert ranged == per_day[name]

    # Days before the salon-local today and past the horizon are already empty in per_day.
    expected_days = [day for day in days if any(per_day[name][day] for name in inputs)][:limit]
    found = first_days_with_slots(
        policy=policy, masters=inputs, start=first - timedelta(days=1), duration_minutes=90, now=now, limit=limit
    )
    assert found == expected_days

    for day in days:
        merged = merge_master_slots({name: per_day[name][day] for name in inputs})
        assert [start for start, _ in merged] == sorted({s for name in inputs for s in per_day[name][day]})
        for start, names in merged:
            assert names == [name for name in inputs if start in per_day[name][day]]


def test_a_break_inside_the_spring_forward_gap_takes_no_time():
    """Found by the brute-force property: on 2026-03-29 Berlin a 02:00-02:05 break never happens."""
    hours = {"sunday": {"start": "01:45", "end": "03:15", "breaks": [{"start": "02:00", "end": "02:05"}]}}
    # 01:59 CET to 03:05 CEST: across the jump, clear of the (empty) break
    start, end = datetime(2026, 3, 29, 0, 59, tzinfo=UTC), datetime(2026, 3, 29, 1, 5, tzinfo=UTC)
    assert within_working_hours(hours, "Europe/Berlin", start, end)
