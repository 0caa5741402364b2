"""The booking form of the admin: it validates by calling the booking services, which also save."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from salonbot.errors import DomainError, InvalidInput, OutsideWorkingHours
from salonbot.localtime import rezone

from .. import services
from ..models import Booking, BookingSource, BookingStatus

# A service's InvalidInput names an API field; the form's field has the model's name.
_API_FIELDS = {"salon_id": "salon", "master_id": "master", "service_id": "service"}


class BookingAdminForm(forms.ModelForm):
    """Create or reschedule through the services inside `clean()`, so every refusal is a form error.

    The services own the rules (overlap, plan limit, master performs the service, times in
    range); the model's own validation is skipped (`_post_clean`), because a half-applied
    instance (a new start with the old end) fails the end-after-start constraint before the
    service could keep the booking's length.
    """

    confirm_outside_hours = forms.BooleanField(
        required=False,
        label=_("Book anyway"),
        help_text=_("The master does not work then; tick to book all the same (walk-in, overtime)."),
        widget=forms.HiddenInput,
    )

    class Meta:
        model = Booking
        fields = ["salon", "master", "service", "customer_name", "customer_phone", "start_ts", "end_ts", "notes"]

    # Set on the editable fields only: a read-only booking shows no advice on how to fill it in.
    HELP = {
        "master": _("Leave empty to let the salon pick a free master who performs the service."),
        "end_ts": _("Leave empty for the service's duration."),
        "start_ts": _("In the salon's time zone."),
    }

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.saved_booking: Booking | None = None
        for name in ("master", "end_ts"):
            if name in self.fields:
                self.fields[name].required = False
        for name, text in self.HELP.items():
            if name in self.fields:
                self.fields[name].help_text = text
        if self.data.get("confirm_outside_hours") in ("on", "true", "True", "1"):
            self._ask_to_confirm()

    def _ask_to_confirm(self):
        self.fields["confirm_outside_hours"].widget = forms.CheckboxInput()

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            if self.instance._state.adding:
                self.saved_booking = self._create(data)
            elif self.changed_data:
                self.saved_booking = self._reschedule(data)
        except OutsideWorkingHours as exc:
            self._ask_to_confirm()
            raise ValidationError(
                _("%(problem)s Tick “Book anyway” to save it all the same.") % {"problem": exc.detail}
            ) from exc
        except InvalidInput as exc:
            field = _API_FIELDS.get(exc.field, exc.field)
            if field in self.fields:
                self.add_error(field, exc.detail)
            else:
                raise ValidationError(exc.detail) from exc
        except DomainError as exc:
            raise ValidationError(exc.detail) from exc
        return data

    def _create(self, data) -> Booking:
        salon = data["salon"]
        return services.create_booking(
            actor=self.actor,
            salon=salon,
            master=data.get("master"),
            service=data.get("service"),
            start_ts=rezone(data["start_ts"], salon.timezone),
            end_ts=rezone(data.get("end_ts"), salon.timezone),
            customer_name=data.get("customer_name", ""),
            customer_phone=data.get("customer_phone", ""),
            notes=data.get("notes", ""),
            source=BookingSource.ADMIN,
            allow_outside_hours=data.get("confirm_outside_hours", False),
        )

    def _reschedule(self, data) -> Booking | None:
        changed = {name: data.get(name) for name in self.changed_data if name != "confirm_outside_hours"}
        if not changed:
            return None
        if self.instance.status != BookingStatus.CONFIRMED:
            # Not reachable through the page (every field is read-only then), but a crafted POST is.
            raise ValidationError(_("Only a confirmed booking can be changed."))
        return services.reschedule_booking(
            actor=self.actor,
            booking=self.instance,
            start_ts=changed.get("start_ts"),
            end_ts=changed.get("end_ts"),
            master=changed.get("master"),
            service=changed.get("service"),
            notes=changed.get("notes"),
            customer_name=changed.get("customer_name"),
            allow_outside_hours=data.get("confirm_outside_hours", False),
        )

    def _post_clean(self):
        pass  # the services validated and saved; see the class docstring


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
