"""Validators for salon data: IANA zones, the working-hours JSON shape, E.164 phone numbers."""

import re
import zoneinfo
from itertools import pairwise

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def validate_timezone(value: str) -> None:
    if not isinstance(value, str) or not value or value not in zoneinfo.available_timezones():
        raise ValidationError(_("'%(value)s' is not a valid IANA time zone."), params={"value": value})


def _minutes(day: str, field: str, value) -> int:
    if not isinstance(value, str) or not _HHMM.match(value):
        raise ValidationError(_("%(day)s.%(field)s must be a time as HH:MM."), params={"day": day, "field": field})
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def validate_working_hours(value) -> None:
    """Raise a ValidationError naming the day and field of the first malformation."""
    if not isinstance(value, dict):
        raise ValidationError(_("working_hours must be an object keyed by weekday."))
    for day, spec in value.items():
        if day not in WEEKDAYS:
            raise ValidationError(_("'%(day)s' is not a weekday (use monday … sunday)."), params={"day": day})
        if not isinstance(spec, dict):
            raise ValidationError(_("%(day)s must be an object."), params={"day": day})
        unknown = set(spec) - {"enabled", "start", "end", "breaks"}
        if unknown:
            raise ValidationError(
                _("%(day)s has unknown field(s): %(fields)s."),
                params={"day": day, "fields": ", ".join(sorted(unknown))},
            )
        enabled = spec.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ValidationError(_("%(day)s.enabled must be true or false."), params={"day": day})
        if not enabled:
            continue
        for field in ("start", "end"):
            if field not in spec:
                raise ValidationError(_("%(day)s.%(field)s is required."), params={"day": day, "field": field})
        start, end = _minutes(day, "start", spec["start"]), _minutes(day, "end", spec["end"])
        if start >= end:
            raise ValidationError(_("%(day)s.start must be before %(day)s.end."), params={"day": day})
        breaks = spec.get("breaks", [])
        if not isinstance(breaks, list):
            raise ValidationError(_("%(day)s.breaks must be a list."), params={"day": day})
        spans = []
        for i, brk in enumerate(breaks):
            field = f"breaks[{i}]"
            if not isinstance(brk, dict) or set(brk) != {"start", "end"}:
                raise ValidationError(
                    _("%(day)s.%(field)s must be an object with start and end."), params={"day": day, "field": field}
                )
            b_start = _minutes(day, f"{field}.start", brk["start"])
            b_end = _minutes(day, f"{field}.end", brk["end"])
            if b_start >= b_end:
                raise ValidationError(
                    _("%(day)s.%(field)s: start must be before end."), params={"day": day, "field": field}
                )
            if b_start < start or b_end > end:
                raise ValidationError(
                    _("%(day)s.%(field)s must lie inside the working day."), params={"day": day, "field": field}
                )
            spans.append((b_start, b_end, field))
        spans.sort()
        for (_s1, e1, _f1), (s2, _e2, f2) in pairwise(spans):
            if s2 < e1:
                raise ValidationError(_("%(day)s.%(field)s overlaps another break."), params={"day": day, "field": f2})


def normalize_phone(value: str, region: str | None = None) -> str:
    """Return the number in E.164 or raise a ValidationError."""
    raw = (value or "").strip()
    if raw and raw[0].isdigit() and region is None:
        raw = "+" + raw  # WhatsApp ids are E.164 digits without the plus
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("'%(value)s' is not a valid phone number."), params={"value": value}) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("'%(value)s' is not a valid phone number."), params={"value": value})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
