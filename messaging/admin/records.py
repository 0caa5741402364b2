"""Messaging records in the admin: single messages, the salon's templates, and the webhook trail."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from salonbot.admin import TenantAdmin
from salonbot.errors import InvalidInput

from ..models import Message, MessageTemplate, WebhookEvent
from ..services import conversations, ingest
from .inbox import INBOX_CSS


@admin.register(Message)
class MessageAdmin(TenantAdmin):
    list_display = ["created_at", "direction", "type", "short_text", "status", "error_code", "customer", "salon"]
    list_filter = ["direction", "status", "type", "salon"]
    search_fields = ["wamid", "text", "conversation__wa_id"]
    list_select_related = ["conversation__customer", "salon"]
    date_hierarchy = "created_at"
    exclude = ["send_claimed_at", "sent_by"]  # sent_by is shown as `sender`, without a link

    @admin.display(description=_("text"))
    def short_text(self, message):
        return message.text[:80]

    @admin.display(description=_("customer"), ordering="conversation__customer__name")
    def customer(self, message):
        """The conversation, named by its customer and linked to the inbox's page of it."""
        url = reverse(f"{self.admin_site.name}:messaging_conversation_change", args=[message.conversation_id])
        return format_html('<a href="{}">{}</a>', url, message.conversation)

    def get_readonly_fields(self, request, obj=None):
        # `sent_by` as text: Django would link it to the user admin, which is the platform's.
        return [f.name if f.name != "sent_by" else "sender" for f in Message._meta.fields if f.name != "id"]

    @admin.display(description=_("sent by"))
    def sender(self, message):
        return message.sent_by.email if message.sent_by_id else ""

    def has_add_permission(self, request, *args):
        return False  # outbound messages are queued through the API or the bot

    def has_change_permission(self, request, obj=None):
        return False


class TemplateAdminForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["salon", "name", "language", "category", "purpose", "body"]

    def clean(self):
        data = super().clean()
        try:
            conversations.validate_template(
                name=data.get("name", ""), language=data.get("language", ""), body=data.get("body", "")
            )
        except InvalidInput as exc:
            raise ValidationError({exc.field: exc.detail}) from exc
        return data


@admin.register(MessageTemplate)
class MessageTemplateAdmin(TenantAdmin):
    form = TemplateAdminForm
    list_display = ["name", "language", "category", "purpose", "salon"]
    list_filter = ["purpose", "category", "language", "salon"]
    search_fields = ["name", "body"]
    list_select_related = ["salon"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(TenantAdmin):
    list_display = ["received_at", "salon", "processed_at", "attempts", "has_error", "problem_count"]
    list_filter = ["salon", ("processed_at", admin.EmptyFieldListFilter)]
    search_fields = ["body", "error"]
    list_select_related = ["salon"]
    date_hierarchy = "received_at"
    fields = ["received_at", "salon", "processed_at", "attempts", "error", "problems", "pretty_body"]
    readonly_fields = fields
    actions = ["replay"]

    class Media:
        css = {"all": [INBOX_CSS]}  # .webhook-body: the CSP allows no style attributes

    @admin.display(boolean=True, description=_("error"))
    def has_error(self, event):
        return bool(event.error)

    @admin.display(description=_("problems"))
    def problem_count(self, event):
        return len(event.problems or [])

    @admin.display(description=_("body"))
    def pretty_body(self, event):
        try:
            text = json.dumps(json.loads(event.body), indent=2, ensure_ascii=False)
        except ValueError:
            text = event.body
        return format_html('<pre class="webhook-body">{}</pre>', text)

    @admin.action(description=_("Replay: process again (already stored items are not duplicated)"))
    def replay(self, request, queryset):
        for event in queryset:
            ingest.process_webhook_event(event_id=event.pk)
        self.message_user(request, _("%(n)d event(s) processed again.") % {"n": len(queryset)}, messages.SUCCESS)

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_super_admin
