"""The years a salon works in: API.md refuses timestamps outside 2000–2100 on every input.

One definition for the API fields, the query filters, the services and the admin, so that no
path computes with a year-1 or year-9999 value (an end one hour after 9999-12-31T23:50 overflows;
a year below 1000 renders as `1-01-02T12:00:00Z`, which is not ISO 8601).
"""

from datetime import UTC, date, datetime

from django.utils.translation import gettext_lazy as _

FIRST_YEAR, LAST_YEAR = 2000, 2100
EARLIEST = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
LATEST = datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC)  # exclusive
OUT_OF_RANGE = _("Times must lie within the years 2000 to 2100.")


def is_within(value: date | datetime) -> bool:
    """An aware datetime in [EARLIEST, LATEST), or a date in those years."""
    if isinstance(value, datetime):
        return value.utcoffset() is not None and EARLIEST <= value < LATEST
    return FIRST_YEAR <= value.year <= LAST_YEAR
