"""The admin's forms for salons, masters, services, customers and time off: labels an owner reads.

They only parse and check input; the admin's `save_model` hands the cleaned values to a service.
"""

import zoneinfo
from functools import cache

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from salonbot.localtime import rezone

from .forms import MinutesListField, WorkingHoursField
from .models import Customer, Master, MasterTimeOff, Salon, Service
from .services import OWNER_WRITABLE_SALON_FIELDS, PLATFORM_SALON_FIELDS
from .validation import normalize_phone


@cache
def _zone_choices() -> list[tuple[str, str]]:
    return [(zone, zone.replace("_", " ")) for zone in sorted(zoneinfo.available_timezones())]


def _phone(value: str) -> str:
    return normalize_phone(value) if value else value


class SalonAdminForm(forms.ModelForm):
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        choices=_zone_choices,
        initial="UTC",
        help_text=_("Working hours, bookings and reminders follow this clock."),
    )
    reminder_offsets_minutes = MinutesListField(
        label=_("Reminders (minutes before)"),
        required=False,
        help_text=_("For example 1440, 120: a day and two hours before the appointment."),
    )

    class Meta:
        model = Salon
        fields = [*OWNER_WRITABLE_SALON_FIELDS, *PLATFORM_SALON_FIELDS]
        labels = {
            "language": _("Language"),
            "currency": _("Currency"),
            "whatsapp_phone_number_id": _("WhatsApp phone number ID"),
            "slot_interval_minutes": _("Start times every (minutes)"),
            "min_notice_minutes": _("Minimum notice (minutes)"),
            "max_advance_days": _("Bookable ahead (days)"),
            "hold_minutes": _("Hold while confirming (minutes)"),
            "is_active": _("Active"),
            "max_bookings_per_month": _("Bookings per month"),
            "max_messages_per_month": _("WhatsApp messages per month"),
            "max_masters": _("Masters"),
        }
        help_texts = {
            "language": _("The bot writes to customers in this language."),
            "currency": _("Three letters, e.g. EUR."),
            "whatsapp_phone_number_id": _("From Meta's WhatsApp Manager: messages to this number reach this salon."),
            "slot_interval_minutes": _("Customers are offered start times this far apart."),
            "min_notice_minutes": _("How long before the start a customer can still book."),
            "max_advance_days": _("How far ahead customers can book."),
            "hold_minutes": _("A time a customer is confirming in the chat is kept for them this long."),
        }

    def validate_unique(self):
        # Whether the number is taken is the service's question (salons.numbers), which answers an
        # owner without saying that another salon has it; Django's check here would say so.
        exclude = self._get_validation_exclusions()
        exclude.add("whatsapp_phone_number_id")
        try:
            self.instance.validate_unique(exclude=exclude)
        except ValidationError as error:
            self._update_errors(error)

    def clean_currency(self):
        value = self.cleaned_data["currency"].strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise ValidationError(_("Use a three-letter ISO 4217 code, e.g. EUR."))
        return value

    def clean_phone(self):
        return _phone(self.cleaned_data["phone"])


class MasterAdminForm(forms.ModelForm):
    working_hours = WorkingHoursField(label=_("Week"), required=False)

    class Meta:
        model = Master
        fields = ["salon", "name", "specialization", "phone", "email", "is_active", "services", "working_hours"]
        labels = {"is_active": _("Active"), "services": _("Performs")}
        help_texts = {"is_active": _("Customers can book an active master.")}

    def clean_phone(self):
        return _phone(self.cleaned_data["phone"])


class ServiceAdminForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = ["salon", "name", "category", "description", "duration_minutes", "price", "is_active"]
        labels = {"duration_minutes": _("Duration (minutes)"), "is_active": _("Active")}
        help_texts = {"is_active": _("Customers can book an active service.")}


class CustomerAdminForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["salon", "name", "phone", "email"]

    def clean_phone(self):
        return _phone(self.cleaned_data["phone"])


class TimeOffForm(forms.ModelForm):
    """A day off or a vacation of a master; times are the salon's wall clock."""

    class Meta:
        model = MasterTimeOff
        fields = ["master", "start_ts", "end_ts", "reason"]
        labels = {"start_ts": _("Starts"), "end_ts": _("Ends"), "reason": _("Reason")}

    def clean(self):
        data = super().clean()
        master = data.get("master")
        if master is not None and master.salon_id:  # the page may work in another zone than the master's salon
            for name in ("start_ts", "end_ts"):
                data[name] = rezone(data.get(name), master.salon.timezone)
        start, end = data.get("start_ts"), data.get("end_ts")
        if start and end and end <= start:
            self.add_error("end_ts", _("The end must be after the start."))
        return data
