from rest_framework import serializers
from rest_framework.settings import api_settings

from salonbot.timebounds import OUT_OF_RANGE, is_within


class TenantPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference in a request body, resolved only among the caller's own rows.

    Another tenant's id is answered like a missing one, so ids of other salons leak nothing.
    """

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return queryset.for_user(user)


class IsoDateTimeField(serializers.DateTimeField):
    """The output of every datetime: DATETIME_FORMAT with a four-digit year.

    strftime's `%Y` writes year 1 as "1" on glibc; a row from before the input bounds existed
    still renders as ISO 8601 ("0001-01-02T12:00:00Z"). ModelSerializers map DateTimeField here
    (salonbot.apps).
    """

    def to_representation(self, value):
        output_format = getattr(self, "format", api_settings.DATETIME_FORMAT)
        if value and not isinstance(value, str) and output_format and "%Y" in output_format:
            value = self.enforce_timezone(value)
            return value.strftime(output_format.replace("%Y", f"{value.year:04d}"))
        return super().to_representation(value)


class StrictDateTimeField(IsoDateTimeField):
    """API.md: a datetime without an offset, or outside the years 2000–2100, is rejected with 400."""

    default_error_messages = {"out_of_range": OUT_OF_RANGE}

    def to_internal_value(self, value):
        result = super().to_internal_value(value)
        if isinstance(value, str) and not _has_offset(value):
            self.fail("invalid", format="ISO 8601 with an offset, e.g. 2025-10-27T09:00:00+01:00 or …Z")
        if not is_within(result):
            self.fail("out_of_range")
        return result


def _has_offset(value: str) -> bool:
    text = value.strip()
    if text.endswith(("Z", "z")):
        return True
    time_part = text.split("T", 1)[1] if "T" in text else text.split(" ", 1)[-1]
    return "+" in time_part or "-" in time_part
