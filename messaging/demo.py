"""The demo salon of `manage.py seed_demo`: a salon worth looking at on a newcomer's first run.

Three masters with their own hours, five services, a handful of customers, about thirty bookings
from two weeks ago to next week in every status (some made over WhatsApp, reminders sent where
they fell due), and two WhatsApp conversations — one booked by the bot, one handed over to a
person and waiting for an answer. Dates are relative to today in the salon's zone, so the
calendar and the dashboard show a live day.

Every booking goes through the booking services (`at=` records when it was made and changed);
the conversations' messages are written as the transcript of what was said. Idempotent: a salon
that already has bookings gets none added, so running it twice changes nothing.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import create_user
from bookings import availability
from bookings import services as booking_services
from bookings.models import ActorKind, Booking, BookingSource, Reminder, ReminderStatus
from messaging.models import Conversation, Direction, Message, MessageStatus
from messaging.services.confirmations import confirmation_key
from salonbot.errors import BookingConflict
from salons import services as salon_services
from salons.models import Master, Salon, Service

ADMIN_EMAIL, OWNER_EMAIL, PASSWORD = "admin@salonbot.local", "owner@salonbot.local", "salonbot-demo-2025"
SALON_NAME = "Demo Salon"
PHONE_NUMBER_ID = "100000000000001"


def _day(start: str, end: str, *breaks: tuple[str, str]) -> dict:
    return {"enabled": True, "start": start, "end": end, "breaks": [{"start": s, "end": e} for s, e in breaks]}


OFF = {"enabled": False}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
SERVICES = [  # name, minutes, price, category
    ("Haircut", 45, "35.00", "Hair"),
    ("Beard trim", 20, "15.00", "Hair"),
    ("Hair colouring", 120, "90.00", "Hair"),
    ("Manicure", 60, "30.00", "Nails"),
    ("Pedicure", 60, "35.00", "Nails"),
]
MASTERS = {  # name: (services, weekly hours)
    "Anna": (
        ["Haircut", "Beard trim", "Hair colouring"],
        {d: _day("09:00", "18:00", ("13:00", "14:00")) for d in WEEKDAYS}
        | {"saturday": _day("10:00", "16:00"), "sunday": OFF},
    ),
    "Maria": (
        ["Manicure", "Pedicure"],
        {"monday": OFF, "sunday": OFF}
        | {d: _day("10:00", "19:00", ("14:00", "14:30")) for d in ("tuesday", "wednesday", "thursday", "friday")}
        | {"saturday": _day("10:00", "17:00")},
    ),
    "Olga": (
        ["Haircut", "Beard trim", "Manicure"],
        {d: _day("12:00", "20:00", ("16:00", "16:30")) for d in ("monday", "tuesday", "wednesday", "thursday")}
        | {"friday": _day("09:00", "15:00"), "saturday": OFF, "sunday": _day("11:00", "16:00")},
    ),
}
CUSTOMERS = [  # name, phone
    ("Lena Fischer", "+4915112345601"),
    ("Jonas Weber", "+4915112345602"),
    ("Sofia Rossi", "+4915112345603"),
    ("Mehmet Kaya", "+4915112345604"),
    ("Chloé Martin", "+4915112345605"),
    ("Ivan Petrov", "+4915112345606"),
]


@dataclass(frozen=True)
class Visit:
    """One booking of the plan: days from today, local start, master, service, customer, what became of it."""

    days: int
    at: str
    master: str
    service: str
    customer: int
    outcome: str = "auto"  # "auto" (by the clock), "no_show", "cancelled"
    bot: bool = False


# Two weeks back, today, one week ahead. "auto" completes what has ended, starts what is under
# way and leaves the rest confirmed; the first slot that fits today is taken by the walk-in below.
PLAN = [
    Visit(-14, "10:00", "Anna", "Haircut", 0),
    Visit(-13, "11:00", "Maria", "Manicure", 4),
    Visit(-12, "14:30", "Olga", "Beard trim", 1),
    Visit(-11, "09:30", "Anna", "Hair colouring", 2),
    Visit(-10, "15:00", "Maria", "Pedicure", 4, outcome="no_show"),
    Visit(-9, "12:30", "Olga", "Haircut", 5, bot=True),
    Visit(-8, "10:00", "Anna", "Haircut", 3),
    Visit(-7, "16:00", "Maria", "Manicure", 0, outcome="cancelled"),
    Visit(-6, "13:00", "Olga", "Manicure", 2, bot=True),
    Visit(-5, "11:15", "Anna", "Beard trim", 1),
    Visit(-4, "17:00", "Maria", "Pedicure", 5),
    Visit(-3, "10:30", "Anna", "Hair colouring", 4, bot=True),
    Visit(-2, "14:00", "Olga", "Haircut", 3, outcome="no_show"),
    Visit(-1, "12:00", "Maria", "Manicure", 2),
    Visit(-1, "15:00", "Anna", "Haircut", 0, bot=True),
    Visit(0, "09:30", "Anna", "Haircut", 1),
    Visit(0, "11:00", "Maria", "Manicure", 5, bot=True),
    Visit(0, "12:30", "Olga", "Beard trim", 3),
    Visit(0, "14:30", "Anna", "Hair colouring", 2),
    Visit(0, "16:00", "Maria", "Pedicure", 4),
    Visit(0, "17:00", "Olga", "Haircut", 0, bot=True),
    Visit(1, "10:00", "Anna", "Haircut", 3, bot=True),
    Visit(1, "13:00", "Olga", "Manicure", 1),
    Visit(2, "11:30", "Maria", "Manicure", 2, outcome="cancelled"),
    Visit(2, "15:00", "Anna", "Beard trim", 5),
    Visit(3, "10:00", "Anna", "Hair colouring", 4, bot=True),
    Visit(4, "12:00", "Maria", "Pedicure", 0),
    Visit(5, "11:00", "Olga", "Haircut", 1, bot=True),
    Visit(6, "14:00", "Anna", "Haircut", 2),
    Visit(7, "10:30", "Maria", "Manicure", 3),
]


def seed(*, empty: bool = False, now: datetime | None = None) -> Salon:
    """Create (or find) the demo accounts and salon; fill its day unless `empty` or already filled."""
    with transaction.atomic():
        admin = _user(ADMIN_EMAIL, Role.SUPER_ADMIN, "Demo", "Admin")
        owner = _user(OWNER_EMAIL, Role.SALON_OWNER, "Demo", "Owner")
        salon = Salon.objects.filter(owner=owner, name=SALON_NAME).first() or salon_services.create_salon(
            actor=admin, owner=owner, name=SALON_NAME, timezone="Europe/Berlin", currency="EUR"
        )
        salon = salon_services.update_salon(
            actor=admin,
            salon=salon,
            phone="+493012345678",
            address="Torstraße 101, 10119 Berlin",
            whatsapp_phone_number_id=PHONE_NUMBER_ID,
        )
        services = {
            name: Service.objects.filter(salon=salon, name=name).first()
            or salon_services.create_service(
                actor=owner,
                salon=salon,
                name=name,
                duration_minutes=minutes,
                price=Decimal(price),
                category=category,
            )
            for name, minutes, price, category in SERVICES
        }
        masters = {}
        for name, (performs, hours) in MASTERS.items():
            master = Master.objects.filter(salon=salon, name=name).first()
            if master is None:
                master = salon_services.create_master(
                    actor=owner, salon=salon, name=name, working_hours=hours, services=[services[s] for s in performs]
                )
            masters[name] = master
        if not empty and not Booking.objects.filter(salon=salon).exists():
            _fill(owner, salon, masters, services, now or timezone.now())
    return salon


def _user(email: str, role: str, first: str, last: str) -> User:
    return User.objects.filter(email=email).first() or create_user(
        email=email, password=PASSWORD, role=role, first_name=first, last_name=last
    )


def _fill(owner, salon: Salon, masters: dict, services: dict, now: datetime) -> None:
    zone = zoneinfo.ZoneInfo(salon.timezone)
    today = now.astimezone(zone).date()
    customers = [
        salon_services.upsert_customer(salon=salon, phone=phone, name=name, wa_id=phone.lstrip("+"))
        for name, phone in CUSTOMERS
    ]
    for visit in PLAN:
        service = services[visit.service]
        fitted = _fit(salon, visit, masters, service, today + timedelta(days=visit.days), zone)
        if fitted is None:
            continue  # nobody who performs it works that day
        master, start = fitted
        try:
            _book(owner, salon, master, service, customers[visit.customer], start, visit, now)
        except BookingConflict:
            continue  # moved onto another visit's time: the plan has enough without it
    _walk_in(owner, salon, [masters["Olga"], masters["Anna"]], services["Beard trim"], now)
    _settle_reminders(salon, now)
    _conversations(salon, customers, zone, now)


def _fit(salon, visit: Visit, masters: dict, service, day: date, zone) -> tuple[Master, datetime] | None:
    """The planned master and time if they work then; else the first master performing the service
    who works that day, at the planned time or 90 minutes after their day starts. The plan's
    weekdays move with today, and a demo must not open on bookings outside working hours."""
    planned = _local(day, visit.at, zone)
    candidates = [masters[visit.master]] + [m for m in masters.values() if m.name != visit.master]
    for master in candidates:
        if not master.services.filter(pk=service.pk).exists():
            continue
        window = availability.working_window(master.working_hours, salon.timezone, day)
        if window is None:
            continue
        (opens, _closes), _breaks = window
        for start in (planned, opens + timedelta(minutes=90)):
            end = start + timedelta(minutes=service.duration_minutes)
            if booking_services.working_hours_problem(salon, master, start, end) is None:
                return master, start
    return None


def _local(day: date, hhmm: str, zone) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def _book(owner, salon, master, service, customer, start: datetime, visit: Visit, now: datetime) -> Booking:
    booked_at = min(start - timedelta(days=2, hours=3), now - timedelta(hours=1))
    booking = booking_services.create_booking(
        actor=None if visit.bot else owner,
        actor_kind=ActorKind.BOT if visit.bot else None,
        salon=salon,
        master=master,
        service=service,
        start_ts=start,
        customer=customer,
        source=BookingSource.WHATSAPP if visit.bot else BookingSource.ADMIN,
        at=booked_at,
    )
    Booking.objects.filter(pk=booking.pk).update(created_at=booked_at)
    end = booking.end_ts
    if visit.outcome == "cancelled":
        when = min(start - timedelta(hours=20), now)
        reason = "Customer is travelling" if visit.days < 0 else "Asked to move it; will write again"
        return booking_services.transition_booking(
            actor=owner, booking=booking, action="cancel", reason=reason, at=when
        )
    if start > now:
        return booking
    if visit.outcome == "no_show":
        return booking_services.transition_booking(
            actor=owner, booking=booking, action="no_show", at=min(start + timedelta(minutes=20), now)
        )
    booking = booking_services.transition_booking(actor=owner, booking=booking, action="start", at=start)
    if end <= now:
        booking = booking_services.transition_booking(actor=owner, booking=booking, action="complete", at=end)
    return booking


def _walk_in(owner, salon, masters, service, now: datetime) -> None:
    """A walk-in in the chair right now, with whoever is free, so the day has a booking in progress."""
    start = now.replace(second=0, microsecond=0) - timedelta(minutes=10)
    for master in masters:
        try:
            booking = booking_services.create_booking(
                actor=owner,
                salon=salon,
                master=master,
                service=service,
                start_ts=start,
                customer_name="Walk-in",
                source=BookingSource.ADMIN,
                notes="Came in without an appointment.",
                at=start,
            )
        except BookingConflict:
            continue  # busy with a planned customer: try the next one
        booking_services.transition_booking(actor=owner, booking=booking, action="start", at=start)
        return


def _settle_reminders(salon: Salon, now: datetime) -> None:
    """Reminders that fell due before the demo existed were sent then (by the worker a real salon runs)."""
    due = Reminder.objects.filter(salon=salon, status=ReminderStatus.PENDING, scheduled_at__lte=now)
    for reminder in due:
        reminder.status, reminder.sent_at, reminder.attempts = ReminderStatus.SENT, reminder.scheduled_at, 1
        reminder.save(update_fields=["status", "sent_at", "attempts", "updated_at"])


def _conversations(salon, customers, zone, now: datetime) -> None:
    lena = customers[0]
    booked = (
        Booking.objects.filter(salon=salon, customer=lena, source=BookingSource.WHATSAPP, start_ts__gt=now)
        .select_related("service", "master")
        .order_by("start_ts")
        .first()
    )
    if booked is not None:  # the chat in which the bot made her next booking
        service, master = booked.service.name, booked.master.name
        local = booked.start_ts.astimezone(zone)
        day, at, booked_line = (
            f"{local:%A}",
            f"{local:%H:%M}",
            f"on {local:%a %d %b, %H:%M}. Your code is {booked.code}",
        )
    else:
        service, master, day, at, booked_line = "Haircut", "Anna", "Friday", "10:00", "on Friday at 10:00"
    _transcript(
        salon,
        lena,
        now - timedelta(hours=20),
        [
            (Direction.IN, f"Hi! Can I get a {service.lower()} with {master} soon?"),
            (Direction.OUT, f"Hello Lena! {master} has time on these days. Which one suits you?"),
            (Direction.IN, f"{day} please"),
            (Direction.OUT, f"{day} with {master}: pick a time."),
            (Direction.IN, at),
            (Direction.OUT, f"Booked! {service} with {master} {booked_line}. See you soon!"),
            (Direction.IN, "Thanks 🙏"),
        ],
        paused=False,
        # The bot's "Booked!" is the booking's confirmation, as in a real chat.
        keys={5: confirmation_key(booked.pk)} if booked else {},
    )
    mehmet = customers[3]
    _transcript(
        salon,
        mehmet,
        now - timedelta(minutes=25),
        [
            (Direction.IN, "Hello, do you also cut children's hair? My son is 6."),
            (Direction.OUT, "Hi Mehmet! I can book a haircut, show your bookings, or pass you to a person."),
            (Direction.IN, "I'd like to talk to a person please"),
            (Direction.OUT, "A person from the salon will answer you here shortly."),
            (Direction.IN, "hello? is anyone there"),
        ],
        paused=True,
        waiting_from=2,  # the request for a person: the bot's hand-off message is no answer
    )


def _transcript(salon, customer, started: datetime, lines, *, paused, waiting_from=None, keys=None):
    conversation, _created = Conversation.objects.get_or_create(
        salon=salon, wa_id=customer.phone.lstrip("+"), defaults={"customer": customer}
    )
    stamps = [started + timedelta(minutes=3 * i) for i in range(len(lines))]
    for index, ((direction, text), at) in enumerate(zip(lines, stamps, strict=True)):
        inbound = direction == Direction.IN
        message = Message.objects.create(
            salon=salon,
            conversation=conversation,
            direction=direction,
            wamid=f"wamid.DEMO-{conversation.pk.hex[:12]}-{index}",
            type="text",
            text=text,
            status=MessageStatus.RECEIVED if inbound else MessageStatus.READ,
            sent_at=at,
            delivered_at=None if inbound else at + timedelta(seconds=2),
            read_at=None if inbound else at + timedelta(seconds=40),
            idempotency_key=(keys or {}).get(index),
        )
        Message.objects.filter(pk=message.pk).update(created_at=at)
    last_in = max(at for (direction, _text), at in zip(lines, stamps, strict=True) if direction == Direction.IN)
    Conversation.objects.filter(pk=conversation.pk).update(
        bot_paused=paused,
        last_inbound_at=last_in,
        last_message_at=stamps[-1],
        waiting_since=stamps[waiting_from] if waiting_from is not None else None,
    )
