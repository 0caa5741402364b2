from rest_framework import serializers


class TenantPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference in a request body, resolved only among the caller's own rows.

    Another tenant's id is answered like a missing one, so ids of other salons leak nothing.
    """

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return queryset.for_user(user)


class StrictDateTimeField(serializers.DateTimeField):
    """API.md: a datetime without an offset is rejected, not read in some server zone."""

    def to_internal_value(self, value):
        result = super().to_internal_value(value)
        if isinstance(value, str) and not _has_offset(value):
            self.fail("invalid", format="ISO 8601 with an offset, e.g. 2025-10-27T09:00:00+01:00 or …Z")
        return result


def _has_offset(value: str) -> bool:
    text = value.strip()
    if text.endswith(("Z", "z")):
        return True
    time_part = text.split("T", 1)[1] if "T" in text else text.split(" ", 1)[-1]
    return "+" in time_part or "-" in time_part
