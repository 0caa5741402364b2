"""Dashboard figures of API.md, aggregated in the database in a constant number of queries.

Every figure is a COUNT, SUM or MAX in SQL (conditional ones with `filter=Q(...)`); Python only
computes the calendar bounds beforehand and, afterwards, adds up five per-status counts and turns
pairs of integers into percentages. Six queries per salon, whatever its size. Definitions:

- "today", "this week" and "this month" are the salon's local calendar (its IANA zone; weeks
  start on Monday), turned into half-open UTC intervals [start, end) before querying, so DST
  days are 23 or 25 hours long as they should be. Platform-wide figures use the UTC calendar.
- Booking counts include every status; `bookings_by_status` breaks them down. `today_bookings`,
  the two week counts and the 30-day chart go by `start_ts` (when the appointment is), while
  `recent_activity.bookings_last_24h` goes by `created_at` (when it was booked).
- Week over week compares the two whole calendar weeks; the change is rounded to one decimal,
  0.0 when both weeks are empty and null when only last week is (growth from nothing has no
  percentage).
- Revenue is the sum of `price` over COMPLETED bookings whose `start_ts` falls in the local
  calendar month; a booking without a price adds nothing.
- Rolling windows ("last 24 h", "last 7 days") end at `now` and include both ends.
- Message figures (`active_chats`, `response_rate`, `messages_last_24h`) count Message rows by
  their `created_at`; see `_chat_figures` for the response rate.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, Max, Q, Sum, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from bookings.models import Booking, BookingStatus, Reminder, ReminderStatus
from messaging.models import Direction, Message
from salonbot.db.router import replica_caught_up, replica_reads
from salons.models import Customer, Salon

from . import cache as dashboard_cache

CENTS = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Period:
    """A half-open interval [start, end) of aware datetimes."""

    start: datetime
    end: datetime

    def q(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})


@dataclass(frozen=True)
class Calendar:
    """The local calendar periods around `now`, as UTC bounds the database can compare against."""

    today: Period
    this_week: Period
    last_week: Period
    this_month: Period
    last_month: Period


def _midnight(day: date, tz: tzinfo) -> datetime:
    # fold=0: where local midnight falls in a DST gap this is the first instant of the day.
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def _period(first: date, after: date, tz: tzinfo) -> Period:
    return Period(_midnight(first, tz), _midnight(after, tz))


def _first_of_month(day: date, months: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def local_calendar(tz: tzinfo, now: datetime) -> Calendar:
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    return Calendar(
        today=_period(today, today + timedelta(days=1), tz),
        this_week=_period(monday, monday + timedelta(days=7), tz),
        last_week=_period(monday - timedelta(days=7), monday, tz),
        this_month=_period(_first_of_month(today), _first_of_month(today, 1), tz),
        last_month=_period(_first_of_month(today, -1), _first_of_month(today), tz),
    )


def change_percent(current: int, previous: int) -> float | None:
    if previous == 0:
        return 0.0 if current == 0 else None
    return round((current - previous) * 100.0 / previous, 1)


def _money(value: Decimal | None) -> Decimal:
    return (value or ZERO).quantize(CENTS)


def _booking_totals(bookings) -> dict:
    """Total and per-status counts over the salon's whole history.

    The one figure that reads every booking of the salon: GROUP BY over the small, deduplicated
    (salon_id, status) index (bookings/migrations/0008), five rows back.
    """
    rows = bookings.order_by().values("status").annotate(n=Count("*")).values_list("status", "n")
    by_status = dict.fromkeys(BookingStatus.values, 0) | dict(rows)
    return {"total_bookings": sum(by_status.values()), "bookings_by_status": by_status}


def _booking_weeks(bookings, calendar: Calendar) -> dict:
    """Today and the two weeks by start time: one index-only range scan over (salon_id, start_ts)."""
    row = bookings.filter(Period(calendar.last_week.start, calendar.this_week.end).q("start_ts")).aggregate(
        today=Count("start_ts", filter=calendar.today.q("start_ts")),
        this_week=Count("start_ts", filter=calendar.this_week.q("start_ts")),
        last_week=Count("start_ts", filter=calendar.last_week.q("start_ts")),
    )
    return {
        "today_bookings": row["today"],
        "bookings_this_week": row["this_week"],
        "bookings_last_week": row["last_week"],
        "bookings_change_percent": change_percent(row["this_week"], row["last_week"]),
    }


def _revenue(bookings, calendar: Calendar) -> dict:
    """Both months' revenue: one range scan over the partial index of COMPLETED bookings."""
    money = DecimalField(max_digits=14, decimal_places=2)
    row = bookings.filter(
        Period(calendar.last_month.start, calendar.this_month.end).q("start_ts"), status=BookingStatus.COMPLETED
    ).aggregate(
        this_month=Sum("price", filter=calendar.this_month.q("start_ts"), output_field=money),
        last_month=Sum("price", filter=calendar.last_month.q("start_ts"), output_field=money),
    )
    return {"revenue_this_month": _money(row["this_month"]), "revenue_last_month": _money(row["last_month"])}


def _recent_bookings(bookings, now: datetime) -> int:
    return bookings.filter(created_at__gte=now - timedelta(hours=24), created_at__lte=now).count()


def _new_customers(customers, now: datetime) -> int:
    return customers.filter(created_at__gte=now - timedelta(days=7), created_at__lte=now).count()


def _chat_figures(messages, now: datetime) -> dict:
    """Message and conversation figures, read from Message rows (the source of truth).

    - `messages_last_24h`: messages in both directions stored in the last 24 h;
    - `active_chats`: conversations with an inbound message stored in the last 24 h;
    - `response_rate`: of the conversations with an inbound message in the last 7 days, the
      percentage whose *latest* such inbound message has an outbound message after it (a
      customer who wrote again and still waits counts as unanswered), rounded to one decimal;
      None when there is no such conversation (nothing to answer is not a rate of 0 or 100).

    One pass over the week's messages, grouped by conversation: a reply after the latest inbound
    message of the week is itself inside the week, so "answered" is simply "the latest outbound
    is later than the latest inbound", and the 24-hour figures are sub-windows of the same rows.
    """
    day_ago = now - timedelta(hours=24)
    per_conversation = (
        messages.filter(created_at__gte=now - timedelta(days=7), created_at__lte=now)
        .order_by()
        .values("conversation_id")
        .annotate(
            last_in=Max("created_at", filter=Q(direction=Direction.IN)),
            last_out=Max("created_at", filter=Q(direction=Direction.OUT)),
            last_day=Count("created_at", filter=Q(created_at__gte=day_ago)),
        )
        .annotate(
            is_waiting=Case(When(last_in__isnull=False, then=True), default=False),
            is_active=Case(When(last_in__gte=day_ago, then=True), default=False),
            is_answered=Case(When(last_out__gt=F("last_in"), then=True), default=False),
        )
    )
    row = per_conversation.aggregate(
        messages=Sum("last_day", default=0),
        active=Count("conversation_id", filter=Q(is_active=True)),
        waiting=Count("conversation_id", filter=Q(is_waiting=True)),
        answered=Count("conversation_id", filter=Q(is_answered=True)),
    )
    return {
        "messages_last_24h": row["messages"],
        "active_chats": row["active"],
        "response_rate": round(row["answered"] * 100.0 / row["waiting"], 1) if row["waiting"] else None,
    }


def _reminders_unknown(reminders, now: datetime) -> int:
    """Reminders of the last 7 days that may or may not have reached the customer (never resent)."""
    return reminders.filter(status=ReminderStatus.UNKNOWN, scheduled_at__gte=now - timedelta(days=7)).count()


def _dashboard(*, salon_id, tz: tzinfo, now: datetime | None) -> dict:
    now = now or timezone.now()
    calendar = local_calendar(tz, now)
    scope = {"salon_id": salon_id} if salon_id is not None else {}
    bookings = Booking.objects.filter(**scope)
    weeks = _booking_weeks(bookings, calendar)
    chats = _chat_figures(Message.objects.filter(**scope), now)
    return {
        "salon_id": salon_id,
        "generated_at": now,
        **_booking_totals(bookings),
        "today_bookings": weeks.pop("today_bookings"),
        "active_chats": chats["active_chats"],
        "response_rate": chats["response_rate"],
        "reminders_unknown": _reminders_unknown(Reminder.objects.filter(**scope), now),
        "recent_activity": {
            "bookings_last_24h": _recent_bookings(bookings, now),
            "messages_last_24h": chats["messages_last_24h"],
            "new_customers_last_7d": _new_customers(Customer.objects.filter(**scope), now),
        },
        "trends": {**weeks, **_revenue(bookings, calendar)},
    }


def salon_dashboard(salon: Salon, *, now: datetime | None = None) -> dict:
    """Every dashboard figure of one salon, on its local calendar; uncached."""
    return _dashboard(salon_id=salon.pk, tz=zoneinfo.ZoneInfo(salon.timezone), now=now)


def platform_dashboard(*, now: datetime | None = None) -> dict:
    """The same figures over every salon, on the UTC calendar; `salon_id` is None."""
    return _dashboard(salon_id=None, tz=UTC, now=now)


def bookings_per_day(
    salon: Salon | None, *, days: int = 30, ahead: int = 0, now: datetime | None = None
) -> list[tuple[date, int]]:
    """Bookings by local day of `start_ts` for the last `days` days up to today and `ahead` days after.

    Cancelled bookings count on past days (they were booked) but not ahead (they will not happen).
    One grouped query; Python only fills the days that had no booking.
    """
    tz = zoneinfo.ZoneInfo(salon.timezone) if salon is not None else UTC
    today = (now or timezone.now()).astimezone(tz).date()
    first = today - timedelta(days=days - 1)
    bookings = Booking.objects.filter(salon=salon) if salon is not None else Booking.objects.all()
    if ahead:
        tomorrow = _midnight(today + timedelta(days=1), tz)
        bookings = bookings.exclude(Q(start_ts__gte=tomorrow) & Q(status=BookingStatus.CANCELLED))
    rows = (
        bookings.filter(_period(first, today + timedelta(days=1 + ahead), tz).q("start_ts"))
        .annotate(day=TruncDate("start_ts", tzinfo=tz))
        .order_by()
        .values("day")
        .annotate(count=Count("*"))
        .values_list("day", "count")
    )
    counts = dict(rows)
    return [(first + timedelta(days=i), counts.get(first + timedelta(days=i), 0)) for i in range(days + ahead)]


def cached_salon_dashboard(salon: Salon) -> dict:
    """The salon's figures from the cache, computed and stored on a miss (see analytics/cache.py)."""
    version, entry = dashboard_cache.read(salon.pk)
    if entry is None:
        # The figures are kept under `version`, read after the last invalidation: from the replica
        # only if it has replayed that invalidation's commit, else they would be stale for 15 minutes.
        entry = replica_reads(salon_dashboard)(salon) if replica_caught_up() else salon_dashboard(salon)
        dashboard_cache.store(salon.pk, version, entry)
    return entry


def cached_platform_dashboard() -> dict:
    """Platform-wide figures; this entry simply expires after a minute instead of being invalidated."""
    entry = dashboard_cache.read_platform()
    if entry is None:
        entry = replica_reads(platform_dashboard)()  # kept a minute, never invalidated: replica lag is fine
        dashboard_cache.store_platform(entry)
    return entry
