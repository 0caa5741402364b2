from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from salonbot.admin import TenantAdmin, TenantTabularInline, scoped_object_or_404
from salonbot.errors import DomainError

from . import services
from .admin_scope import choose_salon
from .models import Customer, Master, MasterTimeOff, Salon, Service, UsageCounter

PLATFORM_FIELDS = ("owner", "is_active", "max_bookings_per_month", "max_messages_per_month", "max_masters")


@admin.register(Salon)
class SalonAdmin(TenantAdmin):
    list_display = ["name", "owner", "timezone", "language", "currency", "is_active", "created_at"]
    list_filter = ["is_active", "language", "timezone"]
    search_fields = ["name", "phone", "owner__email", "whatsapp_phone_number_id"]
    list_select_related = ["owner"]

    def get_readonly_fields(self, request, obj=None):
        return () if request.user.is_super_admin else PLATFORM_FIELDS

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

    def save_model(self, request, obj, form, change):
        if not change and not request.user.is_super_admin:
            obj.owner = request.user
        obj.full_clean()
        super().save_model(request, obj, form, change)
        services.salon_changed.send(sender=Salon, salon=obj)


class MasterTimeOffInline(TenantTabularInline):
    model = MasterTimeOff
    fields = ["start_ts", "end_ts", "reason"]
    extra = 0


@admin.register(Master)
class MasterAdmin(TenantAdmin):
    list_display = ["name", "salon", "specialization", "phone", "is_active"]
    list_filter = ["is_active", "salon"]
    search_fields = ["name", "email", "phone", "specialization"]
    list_select_related = ["salon"]
    filter_horizontal = ["services"]
    inlines = [MasterTimeOffInline]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            created = services.create_master(
                actor=request.user,
                salon=obj.salon,
                **{
                    f: getattr(obj, f)
                    for f in ("name", "email", "phone", "specialization", "working_hours", "is_active")
                },
            )
        except DomainError as exc:
            raise ValidationError(exc.detail) from exc
        obj.pk = created.pk
        obj._state.adding = False

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            if hasattr(inline_form.instance, "salon_id") and not inline_form.instance.salon_id:
                inline_form.instance.salon_id = form.instance.salon_id
        super().save_formset(request, form, formset, change)


@admin.register(Service)
class ServiceAdmin(TenantAdmin):
    list_display = ["name", "salon", "duration_minutes", "price", "category", "is_active"]
    list_filter = ["is_active", "category", "salon"]
    search_fields = ["name", "description", "category"]
    list_select_related = ["salon"]


@admin.register(Customer)
class CustomerAdmin(TenantAdmin):
    list_display = ["name", "phone", "salon", "email", "created_at"]
    list_filter = ["salon"]
    search_fields = ["name", "phone", "email", "wa_id"]
    list_select_related = ["salon"]


@admin.register(MasterTimeOff)
class MasterTimeOffAdmin(TenantAdmin):
    list_display = ["master", "start_ts", "end_ts", "reason"]
    list_filter = ["master__salon"]
    list_select_related = ["master"]
    date_hierarchy = "start_ts"

    def save_model(self, request, obj, form, change):
        obj.salon_id = obj.master.salon_id
        super().save_model(request, obj, form, change)


@admin.register(UsageCounter)
class UsageCounterAdmin(TenantAdmin):
    list_display = ["salon", "period", "bookings", "messages"]
    list_filter = ["period"]
    list_select_related = ["salon"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False
