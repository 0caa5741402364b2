"""The waiting list in the admin: who waits for which day, in join order; add and remove entries.

Entries are written through `bookings.waitlist` (the add form calls `join_waitlist`, "Remove
from the waiting list" calls `remove_from_waitlist`); an entry is never edited or deleted in
place, so its history (offers sent, the booking it got) stays what happened.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from salonbot.admin import wall_time
from salonbot.errors import DomainError
from salons.admin_writes import ServiceWritesAdmin, adopt, refusals

from .. import waitlist
from ..models import WaitlistEntry, WaitlistStatus


class WaitlistEntryForm(forms.ModelForm):
    class Meta:
        model = WaitlistEntry
        fields = ["salon", "customer", "service", "master", "day", "part"]
        labels = {"master": _("Only with"), "part": _("Part of the day")}
        help_texts = {
            "master": _("Leave empty to wait for any master who does the service."),
            "part": _("Leave empty to wait for the whole day."),
        }


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ServiceWritesAdmin):
    form = WaitlistEntryForm
    list_display = ["day", "part", "customer", "phone", "service", "master", "status", "joined", "offers_sent"]
    list_display_links = ["day", "customer"]
    list_filter = ["status", "part", "service", "master", "salon"]
    search_fields = ["customer__name", "customer__phone"]
    list_select_related = ["customer", "service", "master", "salon"]
    date_hierarchy = "day"
    ordering = ["day", "created_at", "id"]
    actions = ["remove"]

    @admin.display(description=_("phone"))
    def phone(self, entry):
        return entry.customer.phone

    @admin.display(description=_("joined"), ordering="created_at")
    def joined(self, entry):
        return wall_time(entry.created_at, entry.salon.timezone, fmt="D j M, H:i")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return [*WaitlistEntryForm.Meta.fields, "status", "booking", "offers_sent", "last_offered_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # taken off the list (kept, with what it was offered), never deleted

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data
        with refusals():
            entry = waitlist.join_waitlist(
                salon=data["salon"],
                customer=data["customer"],
                service=data["service"],
                master=data.get("master"),
                day=data["day"],
                part=data.get("part") or "",
            )
        adopt(obj, entry)

    @admin.action(description=_("Remove from the waiting list"))
    def remove(self, request, queryset):
        removed, refused = 0, []
        for entry in queryset.filter(status=WaitlistStatus.WAITING):
            try:
                waitlist.remove_from_waitlist(entry=entry)
                removed += 1
            except DomainError as exc:
                refused.append(f"{entry.customer}: {exc.detail}")
        if removed:
            self.message_user(request, _("%(n)d entry(ies) removed.") % {"n": removed}, messages.SUCCESS)
        for problem in refused:
            self.message_user(request, problem, messages.WARNING)
