"""The bookings list and the booking page: status buttons beside the booking, history as sentences."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from django.contrib import admin, messages
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from salonbot import timebounds
from salonbot.admin import TenantAdmin, scoped_object_or_404, wall_time
from salonbot.errors import DomainError
from salons.models import Master, Salon, Service

from .. import services
from ..history import history_lines, reminder_lines
from ..models import Booking, BookingStatus, has_started
from . import calendar
from .forms import BookingAdminForm, CancelForm

# Button labels and styles of the transitions `services.allowed_actions()` offers.
ACTION_LABELS = {
    "start": _("Start"),
    "complete": _("Complete"),
    "cancel": _("Cancel…"),
    "no_show": _("No-show"),
}
EDITABLE = ["master", "service", "start_ts", "end_ts", "customer_name", "notes"]


@admin.register(Booking)
class BookingAdmin(TenantAdmin):
    form = BookingAdminForm
    list_display = ["code", "when", "master", "service", "customer_col", "phone", "status_badge", "origin"]
    list_display_links = ["code", "when"]
    list_filter = ["status", "source", "outside_working_hours", "master", "service", "salon"]
    search_fields = ["code", "customer_phone", "customer_name"]
    list_select_related = ["master", "service", "salon"]
    date_hierarchy = "start_ts"
    ordering = ["-start_ts"]
    actions = ["mark_completed", "mark_no_show"]
    change_form_template = "admin/bookings/booking/change_form.html"

    class Media:
        css = {"all": ["bookings/admin.css"]}

    # --- list ---------------------------------------------------------------------------------

    @admin.display(description=_("when"), ordering="start_ts")
    def when(self, booking):
        zone = booking.salon.timezone
        start = wall_time(booking.start_ts, zone, fmt="D j M, H:i", named=False)
        return f"{start}–{wall_time(booking.end_ts, zone, fmt='H:i')}"

    @admin.display(description=_("customer"), ordering="customer_name")
    def customer_col(self, booking):  # not "customer": that name is the model's foreign key
        return booking.customer_name

    @admin.display(description=_("phone"))
    def phone(self, booking):
        return booking.customer_phone

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, booking):
        flag = ""
        if booking.outside_working_hours:
            flag = format_html('<br><span class="badge off-hours">{}</span>', _("off hours"))
        return format_html(
            '<span class="badge st-{}">{}</span>{}', booking.status.lower(), booking.get_status_display(), flag
        )

    @admin.display(description=_("source"), ordering="source")
    def origin(self, booking):
        return format_html('<span class="source src-{}">{}</span>', booking.source, booking.get_source_display())

    # --- the form -----------------------------------------------------------------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        initial_master = _uuid_or_none(request.GET.get("master")) if obj is None else None

        class ActorForm(form_class):
            def __init__(self, *args, **kw):
                super().__init__(*args, actor=request.user, **kw)
                master = self.fields.get("master")
                if initial_master and master is not None and "service" in self.fields:
                    # From a calendar cell: offer only what that master performs.
                    services_of = Service.objects.for_user(request.user).filter(
                        masters__pk=initial_master, is_active=True
                    )
                    if services_of.exists():
                        self.fields["service"].queryset = services_of

        return ActorForm

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (None, {"fields": ["salon", "service", "master", "start_ts", "end_ts"]}),
                (_("Customer"), {"fields": ["customer_name", "customer_phone", "notes"]}),
                (None, {"fields": ["confirm_outside_hours"]}),
            ]
        fields = [(None, {"fields": ["service", "master", "start_ts", "end_ts"]})]
        fields.append((_("Customer"), {"fields": ["customer_name", "customer_phone", "notes"]}))
        if obj.status == BookingStatus.CONFIRMED:
            fields.append((None, {"fields": ["confirm_outside_hours"]}))
        return fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.status != BookingStatus.CONFIRMED:
            return [*EDITABLE, "customer_phone"]  # a started or finished booking is history
        return ["customer_phone"]

    def get_changeform_initial_data(self, request):
        """Prefill from the calendar (`salon`, `master`, `service`, `start` as ISO 8601)."""
        initial = {}
        params = request.GET
        salon = request.admin_salon
        if params.get("salon"):
            salon = Salon.objects.for_user(request.user).filter(pk=_uuid_or_none(params["salon"])).first()
        if salon is not None:
            initial["salon"] = salon.pk
        for name, model in (("master", Master), ("service", Service)):
            pk = _uuid_or_none(params.get(name))
            if pk and model.objects.for_user(request.user).filter(pk=pk).exists():
                initial[name] = pk
        start = _parse_start(params.get("start"), salon)
        if start is not None:
            initial["start_ts"] = start
        return initial

    def save_model(self, request, obj, form, change):
        # The service saved inside form.clean(); the admin's object takes what it wrote.
        saved = form.saved_booking
        if saved is not None:
            obj.pk = saved.pk
            obj._state.adding = False
            obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        pass  # no inlines, no many-to-many: the service wrote everything

    def has_delete_permission(self, request, obj=None):
        return False  # bookings are cancelled, not deleted

    def change_view(self, request, object_id, form_url="", extra_context=None):
        booking = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if booking is not None:
            extra.update(self._panel_context(request, booking))
            if booking.status != BookingStatus.CONFIRMED:
                extra.update(show_save=False, show_save_and_continue=False, show_save_and_add_another=False)
        return super().change_view(request, object_id, form_url, extra)

    def _panel_context(self, request, booking: Booking) -> dict:
        zone = ZoneInfo(booking.salon.timezone)
        base = reverse("admin:bookings_booking_transition", args=[booking.pk, "x"])[: -len("x/")]
        actions = [
            {"name": name, "label": ACTION_LABELS[name], "url": f"{base}{name}/"}
            for name in services.allowed_actions(booking)
        ]
        calendar_url = reverse("admin:bookings_booking_calendar")
        day = booking.start_ts.astimezone(zone).date()
        return {
            "booking": booking,
            "booking_actions": [a for a in actions if a["name"] != "cancel"],
            "cancel_action": next((a for a in actions if a["name"] == "cancel"), None),
            "cancel_form": CancelForm(),
            "no_show_later": booking.status == BookingStatus.CONFIRMED and not has_started(booking),
            "calendar_url": f"{calendar_url}?salon={booking.salon_id}&date={day.isoformat()}",
            "history": history_lines(booking),
            "reminders": reminder_lines(booking),
        }

    # --- transitions --------------------------------------------------------------------------

    def get_urls(self):
        # Before the defaults, whose "<path:object_id>/" patterns would swallow these.
        view = self.admin_site.admin_view
        return [
            path("calendar/", view(self.calendar_view), name="bookings_booking_calendar"),
            path(
                "<path:object_id>/transition/<str:action>/",
                view(self.transition_view),
                name="bookings_booking_transition",
            ),
            *super().get_urls(),
        ]

    def calendar_view(self, request):
        return calendar.calendar_view(self, request)

    def transition_view(self, request, object_id, action):
        """A status button: POST only, through the booking service, back to the booking (or `next`)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        booking = scoped_object_or_404(self.get_queryset(request), object_id)
        reason = ""
        if action == "cancel":
            form = CancelForm(request.POST)
            if not form.is_valid():
                self.message_user(request, _("Give a reason to cancel the booking."), messages.ERROR)
                return self._back(request, booking)
            reason = form.cleaned_data["reason"]
        try:
            services.transition_booking(actor=request.user, booking=booking, action=action, reason=reason)
        except DomainError as exc:
            self.message_user(request, exc.detail, messages.ERROR)
        else:
            booking.refresh_from_db()
            self.message_user(
                request,
                _("Booking %(code)s is now %(status)s.")
                % {"code": booking.code, "status": booking.get_status_display()},
                messages.SUCCESS,
            )
        return self._back(request, booking)

    def _back(self, request, booking):
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("admin:bookings_booking_change", args=[booking.pk])
        return HttpResponseRedirect(target)

    # --- bulk actions -------------------------------------------------------------------------

    @admin.action(description=_("Mark selected bookings as completed"))
    def mark_completed(self, request, queryset):
        """The end of the day: a booking whose start has passed is started (if need be) and completed."""

        def complete(booking):
            if booking.status == BookingStatus.CONFIRMED and has_started(booking):
                booking = services.transition_booking(actor=request.user, booking=booking, action="start")
            return services.transition_booking(actor=request.user, booking=booking, action="complete")

        self._bulk(request, queryset, complete)

    @admin.action(description=_("Mark selected bookings as no-show"))
    def mark_no_show(self, request, queryset):
        self._bulk(
            request,
            queryset,
            lambda booking: services.transition_booking(actor=request.user, booking=booking, action="no_show"),
        )

    def _bulk(self, request, queryset, apply):
        done, refused = 0, []
        for booking in queryset.order_by("start_ts"):
            try:
                apply(booking)
                done += 1
            except DomainError as exc:
                refused.append(f"{booking.code}: {exc.detail}")
        if done:
            self.message_user(request, _("%(n)d booking(s) updated.") % {"n": done}, messages.SUCCESS)
        for problem in refused:
            self.message_user(request, problem, messages.WARNING)


def _uuid_or_none(value):
    try:
        return UUID(str(value))
    except (TypeError, ValueError):
        return None


def _parse_start(value: str | None, salon: Salon | None) -> datetime | None:
    """An ISO 8601 start from a calendar link; without an offset it is the salon's wall time."""
    if not value:
        return None
    try:
        start = datetime.fromisoformat(value.replace(" ", "+"))  # "+" arrives as a space if unencoded
    except ValueError:
        return None
    if start.utcoffset() is None:
        if salon is None:
            return None
        start = start.replace(tzinfo=ZoneInfo(salon.timezone))
    return start if timebounds.is_within(start) else None
