"""Load the demo salon (idempotent): accounts, a salon with masters and services, and a live day."""

from django.core.management.base import BaseCommand

from messaging import demo


class Command(BaseCommand):
    help = (
        "Create the demo super admin, salon owner and salon with masters, services, customers, two weeks of "
        "bookings around today and two WhatsApp conversations (safe to run twice; --empty: no bookings)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--empty", action="store_true", help="only accounts, salon, masters and services")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="where the web server answers")

    def handle(self, *args, empty=False, url="http://127.0.0.1:8000", **options):
        salon = demo.seed(empty=empty)
        customer = demo.CUSTOMERS[1][1]  # a returning customer with no conversation yet
        lines = [
            self.style.SUCCESS(f"salonbot is ready: {salon.name}, {salon.timezone}"),
            f"  Admin      {url}/admin/",
            f"             {demo.OWNER_EMAIL} / {demo.PASSWORD}   (salon owner)",
            f"             {demo.ADMIN_EMAIL} / {demo.PASSWORD}   (super admin)",
            f"  Calendar   {url}/admin/bookings/booking/calendar/",
            f"  API docs   {url}/api/docs",
            "  The bot    .venv/bin/python manage.py chat --salon " + f"{salon.pk} --phone {customer}",
        ]
        self.stdout.write("\n".join(lines))
