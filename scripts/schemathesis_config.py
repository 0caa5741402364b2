"""Print a schemathesis.toml that points each detail path at a real row of the demo owner.

Random ids only ever reach the 404 branch; with a real row, the read and write operations of a
detail path get their bodies fuzzed against an existing object too. DELETE keeps random ids:
deleting the demo salon early would starve the rest of the run. Run with `manage.py shell`.
"""

import sys
from datetime import timedelta

from django.apps import apps
from django.utils import timezone

from accounts.models import User
from salons.models import Customer, Master, Salon

DETAIL_PATHS = {
    "salons": "salons.Salon",
    "masters": "salons.Master",
    "services": "salons.Service",
    "customers": "salons.Customer",
    "bookings": "bookings.Booking",
    "reminders": "bookings.Reminder",
    "conversations": "messaging.Conversation",
    "templates": "messaging.MessageTemplate",
    "waitlist": "bookings.WaitlistEntry",
}


def seed_more(owner) -> None:
    """seed_demo makes salons, masters and services; add a customer and a booking for coverage."""
    salon = Salon.objects.for_user(owner).order_by("pk").first()
    customer, _ = Customer.objects.get_or_create(salon=salon, phone="+491701234567", defaults={"name": "Fuzz"})
    try:
        from bookings.services import create_booking

        master = Master.objects.filter(salon=salon).exclude(services=None).order_by("pk").first()
        create_booking(
            actor=owner,
            salon=salon,
            master=master,
            service=master.services.order_by("pk").first(),
            start_ts=(timezone.now() + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0),
            customer=customer,
            source="api",
        )
    except Exception as exc:  # coverage only: a changed booking API must not stop the fuzzing
        print(f"schemathesis: no demo booking ({exc.__class__.__name__}: {exc})", file=sys.stderr)
    try:
        from bookings.waitlist import join_waitlist

        join_waitlist(
            salon=salon,
            customer=customer,
            service=master.services.order_by("pk").first(),
            day=timezone.now().date() + timedelta(days=3),
        )
    except Exception as exc:  # coverage only, as above
        print(f"schemathesis: no waiting-list entry ({exc.__class__.__name__}: {exc})", file=sys.stderr)


def main() -> None:
    owner = User.objects.get(email="owner@salonbot.local")
    seed_more(owner)
    for prefix, label in DETAIL_PATHS.items():
        try:
            model = apps.get_model(label)
        except LookupError:
            continue  # an app that does not have this model (yet)
        row = model.objects.for_user(owner).order_by("pk").first()
        if row is None:
            continue
        print("[[operations]]")
        print(f'include-path-regex = "^/api/{prefix}/\\\\{{id\\\\}}"')
        print('exclude-method = "DELETE"  # the filters of one entry are ORed; excludes are not')
        print(f'parameters = {{ "path.id" = "{row.pk}" }}')
        print()


main()
