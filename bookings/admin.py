"""Bookings in the admin: every create, edit and transition goes through the booking services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django_fsm.admin import FSMAdminMixin

from salonbot.admin import TenantAdmin, TenantTabularInline
from salonbot.errors import DomainError

from . import services
from .models import Booking, BookingEvent, BookingSource, Reminder


class BookingAdminForm(forms.ModelForm):
    """Runs the booking service inside `clean()`, so a conflict is a form error, not a 500."""

    class Meta:
        model = Booking
        fields = ["salon", "master", "service", "customer_name", "customer_phone", "start_ts", "end_ts", "notes"]

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["end_ts"].required = False
        self.fields["master"].required = False
        self.saved_booking = None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            if self.instance._state.adding:
                self.saved_booking = services.create_booking(
                    actor=self.actor,
                    salon=data["salon"],
                    master=data.get("master"),
                    service=data.get("service"),
                    start_ts=data["start_ts"],
                    end_ts=data.get("end_ts"),
                    customer_name=data.get("customer_name", ""),
                    customer_phone=data.get("customer_phone", ""),
                    notes=data.get("notes", ""),
                    source=BookingSource.ADMIN,
                )
            else:
                original = Booking.objects.get(pk=self.instance.pk)
                changed = {f: data.get(f) for f in self.changed_data}
                self.saved_booking = services.reschedule_booking(
                    actor=self.actor,
                    booking=original,
                    start_ts=changed.get("start_ts"),
                    end_ts=changed.get("end_ts"),
                    master=changed.get("master"),
                    service=changed.get("service"),
                    notes=changed.get("notes"),
                    customer_name=changed.get("customer_name"),
                )
        except DomainError as exc:
            raise ValidationError(exc.detail) from exc
        except ValidationError:
            raise
        return data


class BookingEventInline(TenantTabularInline):
    model = BookingEvent
    fields = ["created_at", "actor", "actor_kind", "event", "from_status", "to_status", "changes", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["created_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReminderInline(TenantTabularInline):
    model = Reminder
    fields = ["offset_minutes", "scheduled_at", "status", "attempts", "sent_at", "last_error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Booking)
class BookingAdmin(FSMAdminMixin, TenantAdmin):
    form = BookingAdminForm
    fsm_fields = ["status"]
    list_display = [
        "code",
        "start_ts",
        "end_ts",
        "status",
        "master",
        "service",
        "customer_name",
        "customer_phone",
        "source",
    ]
    list_filter = ["status", "source", "master", "service", "salon"]
    search_fields = ["code", "customer_phone", "customer_name"]
    list_select_related = ["master", "service", "salon"]
    date_hierarchy = "start_ts"
    readonly_fields = ["code", "status", "price", "source", "cancellation_reason", "created_by", "created_at"]
    inlines = [ReminderInline, BookingEventInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)

        class ActorForm(form_class):
            def __init__(self, *args, **kw):
                super().__init__(*args, actor=request.user, **kw)

        return ActorForm

    def save_model(self, request, obj, form, change):
        # The service already saved inside form.clean(); copy what it wrote onto the admin's object.
        saved = form.saved_booking or obj
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def has_delete_permission(self, request, obj=None):
        return False  # bookings are cancelled, not deleted

    def _apply_fsm_transition(self, *, obj, transition_name, request, kwargs=None) -> bool:
        """Transition buttons call the booking service, so the admin writes the same audit rows as the API."""
        action = transition_name
        try:
            services.transition_booking(
                actor=request.user, booking=obj, action=action, reason=(kwargs or {}).get("reason", "")
            )
        except DomainError as exc:
            self.message_user(request, exc.detail, level=messages.ERROR)
            return False
        self.message_user(
            request, f"Booking {obj.code}: {transition_name.replace('_', ' ')} done.", level=messages.SUCCESS
        )
        obj.refresh_from_db()
        return True
