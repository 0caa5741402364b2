"""Salons, masters, services, customers and time off in the admin; every save is a service call.

How a refusal of a service becomes a form error is in `admin_writes`; the forms are in `admin_forms`.
"""

from django.contrib import admin
from django.db.models import Prefetch
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from salonbot.admin import TenantAdmin, TenantTabularInline, scoped_object_or_404
from salonbot.localtime import wall_time

from . import services
from .admin_forms import CustomerAdminForm, MasterAdminForm, SalonAdminForm, ServiceAdminForm, TimeOffForm
from .admin_scope import choose_salon
from .admin_writes import ServiceWritesAdmin, adopt, model_values, refusals
from .models import Customer, Master, MasterTimeOff, Salon, Service, UsageCounter
from .validation import WEEKDAYS

TIME_OFF_FIELDS = ("start_ts", "end_ts", "reason")
BOOKING_RULES = [
    "slot_interval_minutes",
    "min_notice_minutes",
    "max_advance_days",
    "reminder_offsets_minutes",
    "hold_minutes",
]


@admin.register(Salon)
class SalonAdmin(ServiceWritesAdmin):
    form = SalonAdminForm
    list_display = ["name", "owner", "timezone", "language", "currency", "is_active", "created_at"]
    list_filter = ["is_active", "language", "timezone"]
    search_fields = ["name", "phone", "owner__email", "whatsapp_phone_number_id"]
    list_select_related = ["owner"]

    def get_fieldsets(self, request, obj=None):
        operator = request.user.is_super_admin
        platform = None if operator else _("Set by the platform operator.")
        # An owner is the owner: the field would only link to the user admin, which is not theirs.
        plan = [f for f in services.PLATFORM_SALON_FIELDS if operator or f != "owner"]
        return [
            (None, {"fields": ["name", "timezone", "language", "currency", "phone", "address"]}),
            (_("WhatsApp"), {"fields": ["whatsapp_phone_number_id"]}),
            (_("Booking rules"), {"fields": BOOKING_RULES}),
            (_("Plan and access"), {"fields": plan, "description": platform}),
        ]

    def get_readonly_fields(self, request, obj=None):
        return () if request.user.is_super_admin else services.PLATFORM_SALON_FIELDS

    def get_list_display(self, request):
        columns = super().get_list_display(request)
        return columns if request.user.is_super_admin else [c for c in columns if c != "owner"]

    def save_model(self, request, obj, form, change):
        with refusals():
            if change:
                services.update_salon(actor=request.user, salon=obj, **model_values(form, changed_only=True))
            else:
                adopt(obj, services.create_salon(actor=request.user, **model_values(form, changed_only=False)))

    def get_urls(self):
        # Before the defaults: "<path:object_id>/" would swallow "choose/".
        choose = path("choose/", self.admin_site.admin_view(self.choose_view), name="salons_salon_choose")
        return [choose, *super().get_urls()]

    def choose_view(self, request):
        """The header's salon switch: later admin pages work in that salon and its time zone."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        wanted = request.POST.get("salon") or None
        salon = scoped_object_or_404(self.get_queryset(request), wanted) if wanted else None
        if salon is None and not request.user.is_super_admin:
            salon = request.admin_salon
        choose_salon(request, salon)
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("admin:index")
        return HttpResponseRedirect(target)


class MasterTimeOffInline(TenantTabularInline):
    model = MasterTimeOff
    form = TimeOffForm
    fields = list(TIME_OFF_FIELDS)
    extra = 0
    verbose_name = _("time off")
    verbose_name_plural = _("time off")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("salon", "master")  # each row's title


def week_summary(hours) -> str:
    """The days a master works, a run of days with the same hours as one: "Mon–Fri 09:00–18:00, Sat 10:00–14:00"."""
    runs: list[list] = []  # [first day, last day, hours]
    for index, day in enumerate(WEEKDAYS):
        spec = hours.get(day) if isinstance(hours, dict) else None
        if not isinstance(spec, dict) or spec.get("enabled", True) is not True or "start" not in spec:
            continue
        span = f"{spec['start']}–{spec.get('end', '')}"
        if runs and runs[-1][1] == index - 1 and runs[-1][2] == span:
            runs[-1][1] = index
        else:
            runs.append([index, index, span])
    if not runs:
        return gettext("No working days")
    days = [str(WEEKDAYS_ABBR[a]) if a == b else f"{WEEKDAYS_ABBR[a]}–{WEEKDAYS_ABBR[b]}" for a, b, _s in runs]
    return ", ".join(f"{d} {span}" for d, (_a, _b, span) in zip(days, runs, strict=True))


@admin.register(Master)
class MasterAdmin(ServiceWritesAdmin):
    form = MasterAdminForm
    list_display = ["name", "salon", "specialization", "week", "performs", "phone", "is_active"]
    list_filter = ["is_active", "salon"]
    search_fields = ["name", "email", "phone", "specialization"]
    list_select_related = ["salon"]
    filter_horizontal = ["services"]
    inlines = [MasterTimeOffInline]
    fieldsets = [
        (None, {"fields": ["salon", "name", "specialization", "phone", "email", "is_active"]}),
        (_("Services"), {"fields": ["services"]}),
        (
            _("Working hours"),
            {
                "fields": ["working_hours"],
                "description": _("In the salon's time zone. A day that is not ticked is a day off."),
            },
        ),
    ]

    def get_queryset(self, request):
        named = Prefetch("services", queryset=Service.objects.only("id", "name").order_by("name"))
        return super().get_queryset(request).prefetch_related(named)

    def get_readonly_fields(self, request, obj=None):
        return ["salon"] if obj is not None else []  # a master does not move to another salon

    @admin.display(description=_("Working hours"))
    def week(self, obj):
        return week_summary(obj.working_hours)

    @admin.display(description=_("Performs"))
    def performs(self, obj):
        return ", ".join(s.name for s in obj.services.all())

    def save_model(self, request, obj, form, change):
        performed = form.cleaned_data.get("services") if "services" in form.changed_data else None
        with refusals():
            if change:
                values = model_values(form, changed_only=True)
                services.update_master(actor=request.user, master=obj, services=performed, **values)
            else:
                values = model_values(form, changed_only=False)
                salon = values.pop("salon")
                adopt(obj, services.create_master(actor=request.user, salon=salon, services=performed, **values))

    def save_formset(self, request, form, formset, change):
        """The master's time off, added, changed and deleted through the services."""
        master, actor = form.instance, request.user
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        deleted = formset.deleted_forms
        with refusals():
            for inline in deleted:
                if inline.instance.pk is not None and not inline.instance._state.adding:
                    services.delete_time_off(actor=actor, time_off=inline.instance)
                    formset.deleted_objects.append(inline.instance)
            for inline in formset.forms:
                if inline in deleted or not inline.has_changed():
                    continue
                values = {f: inline.cleaned_data[f] for f in TIME_OFF_FIELDS}
                if inline.instance._state.adding:
                    formset.new_objects.append(services.add_time_off(actor=actor, master=master, **values))
                else:
                    services.update_time_off(actor=actor, time_off=inline.instance, **values)
                    formset.changed_objects.append((inline.instance, inline.changed_data))


@admin.register(Service)
class ServiceAdmin(ServiceWritesAdmin):
    form = ServiceAdminForm
    list_display = ["name", "salon", "duration_minutes", "price_with_currency", "category", "is_active"]
    list_filter = ["is_active", "category", "salon"]
    search_fields = ["name", "description", "category"]
    list_select_related = ["salon"]
    fields = ["salon", "name", "category", "description", "duration_minutes", "price", "is_active"]

    def get_readonly_fields(self, request, obj=None):
        return ["salon"] if obj is not None else []

    @admin.display(description=_("Price"), ordering="price")
    def price_with_currency(self, obj):
        return f"{obj.price} {obj.salon.currency}"

    def save_model(self, request, obj, form, change):
        with refusals():
            if change:
                services.update_service(actor=request.user, service=obj, **model_values(form, changed_only=True))
            else:
                values = model_values(form, changed_only=False)
                salon = values.pop("salon")
                adopt(obj, services.create_service(actor=request.user, salon=salon, **values))


@admin.register(Customer)
class CustomerAdmin(ServiceWritesAdmin):
    form = CustomerAdminForm
    list_display = ["name", "phone", "salon", "email", "created_at"]
    list_filter = ["salon"]
    search_fields = ["name", "phone", "email", "wa_id"]
    list_select_related = ["salon"]

    def get_fields(self, request, obj=None):
        return ["salon", "name", "phone", "email"] + (["whatsapp_id"] if obj is not None else [])

    def get_readonly_fields(self, request, obj=None):
        return ["salon", "whatsapp_id"] if obj is not None else []

    @admin.display(description=_("WhatsApp ID"))
    def whatsapp_id(self, obj):
        return obj.wa_id or "—"

    def save_model(self, request, obj, form, change):
        with refusals():
            if change:
                services.update_customer(actor=request.user, customer=obj, **model_values(form, changed_only=True))
            else:
                values = model_values(form, changed_only=False)
                salon = values.pop("salon")
                adopt(obj, services.create_customer(actor=request.user, salon=salon, **values))


@admin.register(MasterTimeOff)
class MasterTimeOffAdmin(ServiceWritesAdmin):
    form = TimeOffForm
    fields = ["master", *TIME_OFF_FIELDS]
    list_display = ["master", "starts", "ends", "reason", "salon"]
    list_filter = ["master__salon", "master"]
    list_select_related = ["master", "salon"]
    date_hierarchy = "start_ts"

    @admin.display(description=_("Starts"), ordering="start_ts")
    def starts(self, obj):
        return wall_time(obj.start_ts, obj.salon.timezone)

    @admin.display(description=_("Ends"), ordering="end_ts")
    def ends(self, obj):
        return wall_time(obj.end_ts, obj.salon.timezone)

    def save_model(self, request, obj, form, change):
        with refusals():
            if change:
                services.update_time_off(actor=request.user, time_off=obj, **model_values(form, changed_only=True))
            else:
                values = model_values(form, changed_only=False)
                adopt(obj, services.add_time_off(actor=request.user, **values))

    def delete_model(self, request, obj):
        services.delete_time_off(actor=request.user, time_off=obj)

    def delete_queryset(self, request, queryset):
        for time_off in queryset:
            services.delete_time_off(actor=request.user, time_off=time_off)


@admin.register(UsageCounter)
class UsageCounterAdmin(TenantAdmin):
    list_display = ["salon", "period", "bookings", "messages"]
    list_filter = ["period"]
    list_select_related = ["salon"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False
