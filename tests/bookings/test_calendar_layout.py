"""The day calendar's layout, without a database: rows in wall time, blocks, lanes, greyed cells, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bookings import calendar
from bookings.calendar import Entry, MasterDay, day_grid

BERLIN = "Europe/Berlin"
TZ = ZoneInfo(BERLIN)
HOURS = {"enabled": True, "start": "09:00", "end": "18:00", "breaks": [{"start": "13:00", "end": "14:00"}]}
WEEK = dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"), HOURS)
MONDAY = date(2026, 12, 14)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def grid(day=MONDAY, bookings=(), time_off=(), masters=None, interval=15):
    masters = masters or [MasterDay("anna", "Anna", WEEK)]
    return day_grid(day=day, timezone=BERLIN, interval=interval, masters=masters, bookings=bookings, time_off=time_off)


def test_rows_run_from_opening_to_closing_in_wall_time():
    g = grid()
    assert g.rows[0].label == "09:00" and g.rows[-1].label == "17:45" and len(g.rows) == 36
    assert [r.is_hour for r in g.rows[:5]] == [True, False, False, False, True]
    assert not g.is_dst_day


def test_a_booking_is_a_block_at_its_row_spanning_its_length():
    booking = Entry("anna", at(MONDAY, 10, 30), at(MONDAY, 11, 15), "B1")
    (block,) = grid(bookings=[booking]).columns[0].blocks
    assert (block.row, block.span, block.lane, block.item) == (7, 3, 1, "B1")


def test_cells_are_open_off_break_or_time_off_and_blocks_cover_their_rows():
    booking = Entry("anna", at(MONDAY, 10), at(MONDAY, 11), "B1")
    away = Entry("anna", at(MONDAY, 16), at(MONDAY, 17), "Dentist")
    column = grid(bookings=[booking], time_off=[away]).columns[0]
    kinds = {cell.start.astimezone(TZ).strftime("%H:%M"): cell.kind for cell in column.cells}
    assert "10:00" not in kinds and "10:45" not in kinds and kinds["11:00"] == "open"
    assert kinds["13:00"] == kinds["13:45"] == "break"
    assert kinds["16:00"] == "timeoff" and kinds["17:00"] == "open"
    note = next(c.note for c in column.cells if c.kind == "timeoff")
    assert note == "Dentist"


def test_a_held_slot_is_greyed_as_held_not_booked():
    held = Entry("anna", at(MONDAY, 10), at(MONDAY, 10, 45), "Held in a chat")
    g = day_grid(
        day=MONDAY, timezone=BERLIN, interval=15, masters=[MasterDay("anna", "Anna", WEEK)], bookings=[], held=[held]
    )
    column = g.columns[0]
    kinds = {cell.start.astimezone(TZ).strftime("%H:%M"): (cell.kind, cell.note) for cell in column.cells}
    assert kinds["10:00"] == kinds["10:30"] == ("held", "Held in a chat")
    assert kinds["10:45"][0] == "open" and not column.blocks


def test_a_master_with_shorter_hours_has_off_cells_and_a_day_off_is_marked():
    short = {**WEEK, "monday": {"enabled": True, "start": "12:00", "end": "15:00"}}
    closed = {**WEEK, "monday": {"enabled": False}}
    g = grid(
        masters=[MasterDay("anna", "Anna", WEEK), MasterDay("olga", "Olga", short), MasterDay("ina", "Ina", closed)]
    )
    olga, ina = g.columns[1], g.columns[2]
    assert {c.kind for c in olga.cells if c.start < at(MONDAY, 12)} == {"off"}
    assert {c.kind for c in olga.cells if at(MONDAY, 12) <= c.start < at(MONDAY, 15)} == {"open"}
    assert ina.is_off_today and {c.kind for c in ina.cells} == {"off"}


def test_overlapping_bookings_of_one_master_take_lanes():
    bookings = [
        Entry("anna", at(MONDAY, 10), at(MONDAY, 11), "cancelled-then-rebooked"),
        Entry("anna", at(MONDAY, 10, 30), at(MONDAY, 11, 30), "overlap"),
        Entry("anna", at(MONDAY, 11, 30), at(MONDAY, 12), "after"),
    ]
    column = grid(bookings=bookings).columns[0]
    lanes = {b.item: b.lane for b in column.blocks}
    assert column.lanes == 2 and lanes == {"cancelled-then-rebooked": 1, "overlap": 2, "after": 1}


def test_bookings_widen_the_window_and_unassigned_ones_get_a_column():
    late = Entry(None, at(MONDAY, 19, 30), at(MONDAY, 20, 15), "late walk-in")
    g = grid(bookings=[late])
    assert g.rows[-1].label == "20:45" and g.columns[-1].key is None
    (block,) = g.columns[-1].blocks
    assert g.rows[block.row - 1].label == "19:30" and block.span == 3


def test_a_booking_across_midnight_is_clipped_to_the_day():
    overnight = Entry("anna", at(MONDAY, 23), at(MONDAY + timedelta(days=1), 1), "night")
    g = grid(bookings=[overnight])
    assert g.rows[-1].label == "23:45"
    (block,) = g.columns[0].blocks
    assert g.rows[block.row - 1].label == "23:00" and block.span == 4
    next_day = grid(day=MONDAY + timedelta(days=1), bookings=[overnight])
    (first,) = next_day.columns[0].blocks
    assert next_day.rows[0].label == "00:00" and first.row == 1 and first.span == 4


def test_spring_forward_has_no_rows_in_the_gap_and_blocks_keep_their_real_length():
    day = date(2026, 3, 29)  # 02:00 CET → 03:00 CEST
    night = {**WEEK, "sunday": {"enabled": True, "start": "01:00", "end": "05:00"}}
    booking = Entry("anna", datetime(2026, 3, 29, 0, 30, tzinfo=UTC), datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "B")
    g = grid(day=day, masters=[MasterDay("anna", "Anna", night)], bookings=[booking], interval=30)
    labels = [r.label for r in g.rows]
    assert g.is_dst_day
    assert labels == ["01:00 CET", "01:30 CET", "03:00 CEST", "03:30 CEST", "04:00 CEST", "04:30 CEST"]
    (block,) = g.columns[0].blocks
    assert labels[block.row - 1] == "01:30 CET" and block.span == 2  # one real hour: 01:30 CET to 03:30 CEST


def test_fall_back_shows_the_repeated_hour_twice():
    day = date(2026, 10, 25)  # 03:00 CEST → 02:00 CET
    night = {**WEEK, "sunday": {"enabled": True, "start": "01:00", "end": "04:00"}}
    g = grid(day=day, masters=[MasterDay("anna", "Anna", night)], interval=60)
    assert [r.label for r in g.rows] == ["01:00 CEST", "02:00 CEST", "02:00 CET", "03:00 CET"]
    assert all(c.kind == "open" for c in g.columns[0].cells)


def test_the_static_grid_css_matches_the_generator():
    css = Path(calendar.__file__).parent / "static" / "bookings" / "calendar-grid.css"
    assert css.read_text() == calendar.grid_css()
    assert f".r-{calendar.MAX_ROWS}{{" in css.read_text() and ".lanes-4{" in css.read_text()


def test_a_five_minute_grid_over_a_whole_day_fits_the_generated_classes():
    all_day = {**WEEK, "monday": {"enabled": True, "start": "00:00", "end": "24:00"}}
    g = grid(masters=[MasterDay("anna", "Anna", all_day)], interval=5)
    assert len(g.rows) == 288 and max(c.row for c in g.columns[0].cells) <= calendar.MAX_ROWS
