"""The write path for salons, masters, services, customers and plan usage."""

import zoneinfo
from datetime import date, datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from salonbot.db.upsert import insert_or_get, insert_or_update
from salonbot.errors import InvalidInput, UsageLimitExceeded

from . import numbers
from .models import Customer, Master, MasterTimeOff, Salon, Service, UsageCounter
from .signals import customer_created, salon_changed
from .validation import normalize_phone

# The salon's own settings, in the order forms show them.
OWNER_WRITABLE_SALON_FIELDS = (
    "name",
    "timezone",
    "language",
    "currency",
    "phone",
    "address",
    "whatsapp_phone_number_id",
    "slot_interval_minutes",
    "min_notice_minutes",
    "max_advance_days",
    "reminder_offsets_minutes",
    "hold_minutes",
)
# Fields only a super admin sets; the API ignores them from owners and the admin shows them read-only.
PLATFORM_SALON_FIELDS = ("owner", "is_active", "max_bookings_per_month", "max_messages_per_month", "max_masters")


def _platform_fields_for(actor, data: dict) -> dict:
    """Owners cannot set platform fields (limits, activity, owner): they are silently ignored."""
    if actor.is_super_admin:
        return data
    return {k: v for k, v in data.items() if k not in PLATFORM_SALON_FIELDS}


@transaction.atomic
def create_salon(*, actor, **data) -> Salon:
    data = _platform_fields_for(actor, data)
    numbers.check_claim(actor=actor, salon=None, number=data.get("whatsapp_phone_number_id"))
    data.setdefault("owner", actor)
    salon = Salon(**data)
    salon.full_clean()
    salon.save()
    transaction.on_commit(lambda: salon_changed.send(sender=Salon, salon=salon))
    return salon


@transaction.atomic
def update_salon(*, actor, salon: Salon, **data) -> Salon:
    if "whatsapp_phone_number_id" in data:
        numbers.check_claim(actor=actor, salon=salon, number=data["whatsapp_phone_number_id"])
    for field, value in _platform_fields_for(actor, data).items():
        setattr(salon, field, value)
    salon.full_clean()
    salon.save()
    transaction.on_commit(lambda: salon_changed.send(sender=Salon, salon=salon))
    return salon


def _check_services(salon_id, services) -> None:
    """A master performs only services of their own salon."""
    foreign = [str(s) for s in services or () if s.salon_id != salon_id]
    if foreign:
        raise InvalidInput(_("Services of another salon: %s") % ", ".join(foreign), field="services")


def _set_services(master: Master, services) -> None:
    if services is not None:
        master.services.set(services)


@transaction.atomic
def create_master(*, actor, salon: Salon, services=None, **data) -> Master:
    """Add a master; the salon row is locked so concurrent creates cannot pass `max_masters`."""
    locked = Salon.objects.select_for_update().get(pk=salon.pk)
    if Master.objects.filter(salon=locked).count() >= locked.max_masters:
        raise UsageLimitExceeded(_("The plan allows at most %d masters.") % locked.max_masters)
    _check_services(locked.pk, services)
    master = Master(salon=locked, **data)
    master.full_clean()
    master.save()
    _set_services(master, services)
    return master


@transaction.atomic
def update_master(*, actor, master: Master, services=None, **data) -> Master:
    _check_services(master.salon_id, services)
    for field, value in data.items():
        setattr(master, field, value)
    master.full_clean()
    master.save()
    _set_services(master, services)
    return master


@transaction.atomic
def create_service(*, actor, salon: Salon, **data) -> Service:
    service = Service(salon=salon, **data)
    service.full_clean()
    service.save()
    return service


@transaction.atomic
def update_service(*, actor, service: Service, **data) -> Service:
    for field, value in data.items():
        setattr(service, field, value)
    service.full_clean()
    service.save()
    return service


@transaction.atomic
def add_time_off(*, actor, master: Master, start_ts: datetime, end_ts: datetime, reason: str = "") -> MasterTimeOff:
    time_off = MasterTimeOff(salon_id=master.salon_id, master=master, start_ts=start_ts, end_ts=end_ts, reason=reason)
    time_off.full_clean()
    time_off.save()
    return time_off


@transaction.atomic
def update_time_off(*, actor, time_off: MasterTimeOff, **data) -> MasterTimeOff:
    """Change a time off; moved to another master, it follows that master's salon."""
    for field, value in data.items():
        setattr(time_off, field, value)
    time_off.salon_id = time_off.master.salon_id
    time_off.full_clean()
    time_off.save()
    return time_off


@transaction.atomic
def delete_time_off(*, actor, time_off: MasterTimeOff) -> None:
    time_off.delete()


def upsert_customer(*, salon: Salon, phone: str, name: str = "", wa_id: str = "", email: str = "") -> Customer:
    """Find the salon's customer by normalised phone or create them; fill in blanks we learn.

    One statement when there is nothing to fill in (the booking path's usual case): an existing
    row is read, not locked, so bookings of one customer do not queue behind each other.
    """
    defaults = {"name": name, "wa_id": wa_id, "email": email}
    customer, created = insert_or_get(
        Customer(salon=salon, phone=normalize_phone(phone), **defaults), unique=["salon", "phone"]
    )
    if created:
        transaction.on_commit(lambda: customer_created.send(sender=Customer, customer=customer))
        return customer
    changed = [f for f, v in defaults.items() if v and not getattr(customer, f)]
    for field in changed:
        setattr(customer, field, defaults[field])
    if changed:
        customer.save(update_fields=[*changed, "updated_at"])
    return customer


def upsert_customers(wanted: dict[tuple, tuple[str, str]]) -> dict[tuple, Customer]:
    """upsert_customer for many: `{(salon_id, phone): (name, wa_id)}` → `{(salon_id, phone): Customer}`.

    Phones must be normalised already. Three statements however many customers (read, insert the
    missing ones with ON CONFLICT DO NOTHING in key order, read those back) and one more when
    existing customers get a blank name or wa_id filled in. Inside the caller's transaction.
    """
    if not wanted:
        return {}
    keys = sorted(wanted)
    by_salon: dict = {}
    for salon_id, phone in keys:
        by_salon.setdefault(salon_id, []).append(phone)
    matching = Q()
    for salon_id, phones in by_salon.items():
        matching |= Q(salon_id=salon_id, phone__in=phones)
    found = {(c.salon_id, c.phone): c for c in Customer.objects.filter(matching)}
    missing = [key for key in keys if key not in found]
    if missing:
        Customer.objects.bulk_create(
            [Customer(salon_id=s, phone=p, name=wanted[(s, p)][0], wa_id=wanted[(s, p)][1]) for s, p in missing],
            ignore_conflicts=True,
        )
        again = Q()
        for salon_id, phone in missing:
            again |= Q(salon_id=salon_id, phone=phone)
        created = {(c.salon_id, c.phone): c for c in Customer.objects.filter(again)}
        for customer in created.values():
            transaction.on_commit(lambda c=customer: customer_created.send(sender=Customer, customer=c))
        found.update(created)
    filled = []
    for key, customer in found.items():
        name, wa_id = wanted[key]
        changed = [f for f, v in (("name", name), ("wa_id", wa_id)) if v and not getattr(customer, f)]
        for field, value in (("name", name), ("wa_id", wa_id)):
            if field in changed:
                setattr(customer, field, value)
        if changed:
            customer.updated_at = timezone.now()
            filled.append(customer)
    if filled:
        Customer.objects.bulk_update(filled, ["name", "wa_id", "updated_at"])
    return found


@transaction.atomic
def create_customer(*, actor, salon: Salon, phone: str, name: str = "", email: str = "", wa_id: str = "") -> Customer:
    """Add a customer by hand; unlike `upsert_customer`, a phone the salon already has is refused."""
    customer = Customer(
        salon=salon, phone=normalize_phone(phone), name=name, email=email, wa_id=wa_id, name_confirmed=bool(name)
    )
    customer.full_clean()
    customer.save()
    transaction.on_commit(lambda: customer_created.send(sender=Customer, customer=customer))
    return customer


@transaction.atomic
def update_customer(*, actor, customer: Customer, **data) -> Customer:
    if "phone" in data:
        data["phone"] = normalize_phone(data["phone"])
    if data.get("name"):
        data["name_confirmed"] = True  # staff wrote it down: the bot need not ask again
    for field, value in data.items():
        setattr(customer, field, value)
    customer.full_clean()
    customer.save()
    return customer


MAX_NAME_LENGTH = 100


@transaction.atomic
def confirm_customer_name(*, customer: Customer, name: str) -> Customer:
    """The customer told us their name (the bot asks once): stored, and not asked again."""
    name = " ".join((name or "").split())[:MAX_NAME_LENGTH]
    if not name:
        raise InvalidInput(_("The name must not be empty."), field="name")
    Customer.objects.filter(pk=customer.pk).update(name=name, name_confirmed=True, updated_at=timezone.now())
    customer.name, customer.name_confirmed = name, True
    return customer


def local_today(salon: Salon, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(salon.timezone)).date()


def usage_period(salon: Salon, now: datetime | None = None) -> date:
    return local_today(salon, now).replace(day=1)


LIMIT_FIELDS = {"bookings": "max_bookings_per_month", "messages": "max_messages_per_month"}


def consume_usage(*, salon: Salon, kind: str, now: datetime | None = None) -> None:
    """Count one booking or message against the month's limit, atomically, in one statement.

    The conditional upsert decides: two requests racing for the last unit cannot both pass.
    Must run inside the caller's transaction so a rolled-back booking gives the unit back.
    """
    limit = getattr(salon, LIMIT_FIELDS[kind])
    if limit < 1 or _bump_usage(salon, kind, now, limit=limit) is None:
        raise UsageLimitExceeded(f"The plan allows {limit} {kind} per month.")


def count_usage(*, salon: Salon, kind: str, now: datetime | None = None, amount: int = 1) -> None:
    """Count `amount` units without enforcing the limit (inbound messages cannot be refused)."""
    _bump_usage(salon, kind, now, amount=amount)


def _bump_usage(salon: Salon, kind: str, now: datetime | None, limit: int | None = None, amount: int = 1) -> int | None:
    """The month's count after adding `amount`, or None when it had reached `limit`."""
    column = UsageCounter._meta.get_field(kind).column  # a model field's name, never input
    table = UsageCounter._meta.db_table
    row = insert_or_update(
        UsageCounter(salon=salon, period=usage_period(salon, now), **{kind: amount}),
        unique=["salon", "period"],
        set_sql=f'"{column}" = "{table}"."{column}" + %s, "updated_at" = excluded."updated_at"',
        where_sql=f'"{table}"."{column}" < %s' if limit is not None else "",
        params=[amount, limit] if limit is not None else [amount],
        returning=f'"{column}"',
    )
    return row[0] if row else None
