"""Form fields for salon data that is stored as JSON but edited as an owner thinks of it.

`WorkingHoursField` shows a master's week as seven rows (working or not, from, to, breaks) and
compresses them back into the JSON of DESIGN.md "Working hours"; a problem is reported on its
day's row. `MinutesListField` edits a list of minutes (reminder offsets) as "1440, 120".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, time
from itertools import pairwise

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dates import WEEKDAYS as WEEKDAY_NAMES
from django.utils.translation import gettext_lazy as _

from .validation import WEEKDAYS, validate_working_hours

# Problems of one day, shown on its row; the field's error list puts the day's name before each.
MISSING_HOURS = _("enter when the working day starts and ends")
NOT_A_TIME = _("enter times as HH:MM")
END_NOT_AFTER_START = _("the end must be after the start")
BREAK_INCOMPLETE = _("give each break a start and an end")
BREAK_END_NOT_AFTER_START = _("a break must end after it starts")
BREAK_OUTSIDE_DAY = _("the break %(start)s–%(end)s must lie inside the working day")
BREAKS_OVERLAP = _("the breaks must not overlap")
DAY_PROBLEM = _("%(day)s: %(problem)s.")

_TIME_FORMATS = ("%H:%M", "%H:%M:%S")  # <input type="time"> sends seconds when its step is below a minute


@dataclass
class BreakRow:
    start: str = ""
    end: str = ""
    remove: bool = False

    @property
    def is_blank(self) -> bool:
        return not self.start.strip() and not self.end.strip()


@dataclass
class DayRow:
    enabled: bool = False
    start: str = ""
    end: str = ""
    breaks: list[BreakRow] = field(default_factory=list)


class Week(dict):
    """The seven rows of a week as typed into the form, keyed by weekday (posted input, unchecked)."""


def week_from_hours(value) -> Week:
    """The stored JSON (or its text) as rows; a missing day is a day off, malformed parts are left blank."""
    if isinstance(value, str):
        try:
            value = json.loads(value or "{}")
        except ValueError:
            value = {}
    if not isinstance(value, dict):
        value = {}
    week = Week()
    for day in WEEKDAYS:
        spec = value.get(day)
        if not isinstance(spec, dict):
            week[day] = DayRow()
            continue
        breaks = spec.get("breaks") if isinstance(spec.get("breaks"), list) else []
        week[day] = DayRow(
            enabled=spec.get("enabled", True) is True,
            start=_text(spec.get("start")),
            end=_text(spec.get("end")),
            breaks=[BreakRow(_text(b.get("start")), _text(b.get("end"))) for b in breaks if isinstance(b, dict)],
        )
    return week


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _parse_time(text: str) -> time | None:
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).time()
        except ValueError:
            continue
    return None


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def compress_week(week: Week) -> tuple[dict, dict[str, list[str]]]:
    """The working-hours JSON of `week`, and the problems of each day that has some.

    Every day is written out: a day off as `{"enabled": false}` (its hours are dropped), a working
    day with its sorted breaks. The stored shape is then checked by `validate_working_hours`.
    """
    hours, problems = {}, {}
    for day in WEEKDAYS:
        row = week.get(day) or DayRow()
        hours[day], day_problems = _compress_day(row) if row.enabled else ({"enabled": False}, [])
        if not day_problems:
            try:
                validate_working_hours({day: hours[day]})
            except ValidationError as exc:  # a rule the rows above do not know yet
                day_problems = list(exc.messages)
        if day_problems:
            problems[day] = list(dict.fromkeys(str(p) for p in day_problems))
    return hours, problems


def _compress_day(row: DayRow) -> tuple[dict, list]:
    problems = []
    start, end = _parse_time(row.start), _parse_time(row.end)
    if not row.start.strip() or not row.end.strip():
        problems.append(MISSING_HOURS)
    elif start is None or end is None:
        problems.append(NOT_A_TIME)
    elif start >= end:
        problems.append(END_NOT_AFTER_START)
    day_is_sound = not problems
    spans = []
    for brk in row.breaks:
        if brk.remove or brk.is_blank:
            continue
        b_start, b_end = _parse_time(brk.start), _parse_time(brk.end)
        if not brk.start.strip() or not brk.end.strip():
            problems.append(BREAK_INCOMPLETE)
        elif b_start is None or b_end is None:
            problems.append(NOT_A_TIME)
        elif b_start >= b_end:
            problems.append(BREAK_END_NOT_AFTER_START)
        elif day_is_sound and (b_start < start or b_end > end):
            problems.append(BREAK_OUTSIDE_DAY % {"start": _hhmm(b_start), "end": _hhmm(b_end)})
        else:
            spans.append((b_start, b_end))
    spans.sort()
    if any(later_start < earlier_end for (_s, earlier_end), (later_start, _e) in pairwise(spans)):
        problems.append(BREAKS_OVERLAP)
    if problems:
        return {"enabled": True, "start": row.start, "end": row.end, "breaks": []}, problems
    return {
        "enabled": True,
        "start": _hhmm(start),
        "end": _hhmm(end),
        "breaks": [{"start": _hhmm(s), "end": _hhmm(e)} for s, e in spans],
    }, []


class WorkingHoursWidget(forms.Widget):
    """Seven rows: a "working" checkbox, from and to, and the day's breaks (each removable, one blank to fill).

    Inputs are named `<name>-<day>-enabled|start|end` and `<name>-<day>-break-<n>-start|end|remove`;
    any `<n>` is read, so the script's "Add a break" button only copies a blank row. Without the
    script the blank row is simply shown, and saving gives the day a new blank one.
    """

    template_name = "salons/widgets/working_hours.html"

    class Media:
        css = {"all": ["salons/working_hours.css"]}
        js = ["salons/working_hours.js"]

    def format_value(self, value):
        return value if isinstance(value, Week) else week_from_hours(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        week = context["widget"]["value"]
        # Posted rows are shown again only when the form was refused: show each day's problems on its row.
        problems = compress_week(week)[1] if isinstance(value, Week) else {}
        base_id = context["widget"]["attrs"].get("id") or f"id_{name}"
        context["widget"]["id"] = base_id
        context["widget"]["days"] = [
            self._day_context(name, base_id, day, label, week[day], problems.get(day, []))
            for day, label in zip(WEEKDAYS, WEEKDAY_NAMES.values(), strict=True)
        ]
        return context

    @staticmethod
    def _day_context(name, base_id, day, label, row: DayRow, problems):
        kept = [b for b in row.breaks if not b.is_blank]
        rows = [*kept, BreakRow()]  # one blank row to fill
        return {
            "key": day,
            "label": label,
            "name": f"{name}-{day}",
            "id": f"{base_id}-{day}",
            "row": row,
            "problems": problems,
            "next_index": len(rows),
            "breaks": [
                {
                    "name": f"{name}-{day}-break-{i}",
                    "id": f"{base_id}-{day}-break-{i}",
                    "number": i + 1,
                    "row": brk,
                    "is_blank": brk.is_blank,
                }
                for i, brk in enumerate(rows)
            ],
        }

    def value_from_datadict(self, data, files, name):
        checkbox = forms.CheckboxInput()
        week = Week()
        for day in WEEKDAYS:
            prefix = f"{name}-{day}"
            pattern = re.compile(rf"^{re.escape(prefix)}-break-(\d{{1,3}})-(?:start|end)$")
            indexes = sorted({int(m.group(1)) for key in data if (m := pattern.match(key))})
            week[day] = DayRow(
                enabled=checkbox.value_from_datadict(data, files, f"{prefix}-enabled"),
                start=data.get(f"{prefix}-start", ""),
                end=data.get(f"{prefix}-end", ""),
                breaks=[
                    BreakRow(
                        start=data.get(f"{prefix}-break-{i}-start", ""),
                        end=data.get(f"{prefix}-break-{i}-end", ""),
                        remove=checkbox.value_from_datadict(data, files, f"{prefix}-break-{i}-remove"),
                    )
                    for i in indexes
                ],
            )
        return week

    def value_omitted_from_data(self, data, files, name):
        return not any(key.startswith(f"{name}-") for key in data)

    def id_for_label(self, id_):
        return ""  # seven rows of inputs, each with its own label; the field's title labels none of them


class WorkingHoursField(forms.Field):
    """A master's week; cleans to the working-hours JSON, with each problem named by its day."""

    widget = WorkingHoursWidget

    def clean(self, value):
        week = value if isinstance(value, Week) else week_from_hours(value)
        hours, problems = compress_week(week)
        if problems:
            names = dict(zip(WEEKDAYS, WEEKDAY_NAMES.values(), strict=True))
            raise ValidationError(
                [
                    ValidationError(DAY_PROBLEM, code="invalid", params={"day": names[day], "problem": problem})
                    for day, day_problems in problems.items()
                    for problem in day_problems
                ]
            )
        return hours

    def has_changed(self, initial, data):
        if self.disabled:
            return False
        before = compress_week(week_from_hours(initial))[0]
        after, problems = compress_week(data if isinstance(data, Week) else week_from_hours(data))
        return bool(problems) or before != after


class MinutesListField(forms.CharField):
    """Whole minutes typed as "1440, 120"; cleans to a list, largest first, without repeats."""

    default_error_messages = {
        "invalid": _("Enter whole minutes separated by commas, e.g. 1440, 120."),
        "range": _("Each value must be between %(min)s and %(max)s minutes."),
        "too_many": _("Enter at most %(max)s values."),
    }

    def __init__(self, *, min_value=1, max_value=60 * 24 * 30, max_items=5, **kwargs):
        self.min_value, self.max_value, self.max_items = min_value, max_value, max_items
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        parts = [p for p in re.split(r"[,;\s\[\]]+", text) if p]  # "[1440, 120]", as the API writes it, too
        if not all(p.isdigit() for p in parts):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        minutes = sorted({int(p) for p in parts}, reverse=True)
        if any(not self.min_value <= m <= self.max_value for m in minutes):
            raise ValidationError(
                self.error_messages["range"], code="range", params={"min": self.min_value, "max": self.max_value}
            )
        if len(minutes) > self.max_items:
            raise ValidationError(self.error_messages["too_many"], code="too_many", params={"max": self.max_items})
        return minutes

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != sorted(set(initial or []), reverse=True)
        except ValidationError:
            return True
