from datetime import UTC, datetime, timedelta
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from accounts.models import Role, User
from bookings.models import ActorKind, Booking, BookingSource
from bookings.services import create_booking
from salons.models import Customer, Master, MasterTimeOff, Salon, Service

WEEKDAY_HOURS = {"enabled": True, "start": "09:00", "end": "18:00", "breaks": [{"start": "13:00", "end": "14:00"}]}
STANDARD_WEEK = {
    day: dict(WEEKDAY_HOURS) for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
} | {"sunday": {"enabled": False}}

PASSWORD = "Correct-Horse-42"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        super_admin = factory.Trait(role=Role.SUPER_ADMIN, is_superuser=True)

    email = factory.Sequence(lambda n: f"owner{n}@example.com")
    first_name = "Olga"
    last_name = factory.Sequence(lambda n: f"Owner{n}")
    role = Role.SALON_OWNER
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class SalonFactory(DjangoModelFactory):
    class Meta:
        model = Salon

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Salon {n}")
    timezone = "Europe/Berlin"
    currency = "EUR"
    whatsapp_phone_number_id = factory.Sequence(lambda n: f"4200000000{n:05d}")


class ServiceFactory(DjangoModelFactory):
    class Meta:
        model = Service

    salon = factory.SubFactory(SalonFactory)
    name = factory.Sequence(lambda n: f"Haircut {n}")
    duration_minutes = 60
    price = Decimal("35.00")


class MasterFactory(DjangoModelFactory):
    class Meta:
        model = Master
        skip_postgeneration_save = True

    salon = factory.SubFactory(SalonFactory)
    name = factory.Sequence(lambda n: f"Master {n:03d}")
    working_hours = factory.LazyFunction(lambda: {k: dict(v) for k, v in STANDARD_WEEK.items()})

    @factory.post_generation
    def services(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.services.set(extracted)


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    salon = factory.SubFactory(SalonFactory)
    phone = factory.Sequence(lambda n: f"+4917012{n:05d}")
    name = factory.Sequence(lambda n: f"Customer {n}")


class TimeOffFactory(DjangoModelFactory):
    class Meta:
        model = MasterTimeOff

    master = factory.SubFactory(MasterFactory)
    salon = factory.SelfAttribute("master.salon")
    reason = "Vacation"


def _later_day_at_ten(n: int) -> datetime:
    """10:00 UTC on a day 3 to 90 days ahead (every booking service rule accepts it), n-th in turn."""
    today = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
    return today + timedelta(days=3 + n % 88)


class BookingFactory(factory.Factory):
    """A booking made as the product makes them: through `bookings.services.create_booking`.

    Every rule of the service applies (tenancy, overlap, usage limit, reminders, audit row), so a
    test cannot set up a booking the product could not have made. By default a new master who
    performs a new service of the salon, booked by the system for the API. Data the service would
    refuse on purpose (a row written past it, a status set by hand) is written raw where it is tested.
    """

    class Meta:
        model = Booking

    salon = factory.SubFactory(SalonFactory)
    service = factory.LazyAttribute(lambda o: ServiceFactory(salon=o.salon))
    master = factory.LazyAttribute(lambda o: MasterFactory(salon=o.salon, services=[o.service] if o.service else []))
    start_ts = factory.Sequence(_later_day_at_ten)
    source = BookingSource.API
    actor = None
    actor_kind = ActorKind.SYSTEM

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise TypeError("BookingFactory only creates: a booking exists only through create_booking.")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return create_booking(**kwargs)
