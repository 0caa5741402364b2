"""Load a small demo salon (idempotent): an admin, an owner, masters, services."""

from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from salons.models import Master, Salon, Service

ADMIN_EMAIL, OWNER_EMAIL, PASSWORD = "admin@salonbot.local", "owner@salonbot.local", "salonbot-demo-2025"
DAY = {"enabled": True, "start": "09:00", "end": "18:00", "breaks": [{"start": "13:00", "end": "14:00"}]}
WEEK = {d: DAY for d in ("monday", "tuesday", "wednesday", "thursday", "friday")} | {
    "saturday": {"enabled": True, "start": "10:00", "end": "16:00"},
    "sunday": {"enabled": False},
}
SERVICES = [
    ("Haircut", 45, "35.00", "Hair"),
    ("Manicure", 60, "30.00", "Nails"),
    ("Hair colouring", 120, "90.00", "Hair"),
]
MASTERS = [("Anna", ["Haircut", "Hair colouring"]), ("Maria", ["Manicure"]), ("Olga", ["Haircut", "Manicure"])]


class Command(BaseCommand):
    help = "Create a demo super admin, salon owner, salon, masters and services (safe to run twice)."

    @transaction.atomic
    def handle(self, *args, **options):
        admin = User.objects.filter(email=ADMIN_EMAIL).first() or User.objects.create_superuser(
            ADMIN_EMAIL, PASSWORD, first_name="Demo", last_name="Admin"
        )
        owner = User.objects.filter(email=OWNER_EMAIL).first() or User.objects.create_user(
            OWNER_EMAIL, PASSWORD, first_name="Demo", last_name="Owner"
        )
        salon, _ = Salon.objects.get_or_create(
            owner=owner,
            name="Demo Salon",
            defaults={"timezone": "Europe/Berlin", "currency": "EUR", "whatsapp_phone_number_id": "100000000000001"},
        )
        by_name = {}
        for name, minutes, price, category in SERVICES:
            by_name[name], _ = Service.objects.get_or_create(
                salon=salon,
                name=name,
                defaults={"duration_minutes": minutes, "price": Decimal(price), "category": category},
            )
        for name, performs in MASTERS:
            master, _ = Master.objects.get_or_create(salon=salon, name=name, defaults={"working_hours": WEEK})
            master.services.set([by_name[s] for s in performs])
        self.stdout.write(self.style.SUCCESS(f"Demo salon ready: {salon.name} ({salon.pk})"))
        self.stdout.write(f"  admin  http://127.0.0.1:8000/admin/  {admin.email} / {PASSWORD}  (super admin)")
        self.stdout.write(f"  owner  {owner.email} / {PASSWORD}  (salon owner)")
        self.stdout.write("  API docs http://127.0.0.1:8000/api/docs")
