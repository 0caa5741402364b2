"""Messaging in the admin: transcripts, the bot switch, templates, and the webhook trail with replay."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Subquery
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from salonbot.admin import TenantAdmin, TenantTabularInline
from salonbot.errors import InvalidInput

from .models import Conversation, Direction, Message, MessageTemplate, WebhookEvent
from .services import conversations, ingest

TRANSCRIPT_LENGTH = 200  # the latest messages shown under a conversation


class ReadOnlyInlineMixin:
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MessageInline(ReadOnlyInlineMixin, TenantTabularInline):
    model = Message
    fields = ["created_at", "arrow", "type", "text", "status", "error"]
    readonly_fields = fields
    ordering = ["created_at", "id"]
    verbose_name_plural = _("transcript (latest messages)")

    @admin.display(description="")
    def arrow(self, message):
        return _("← in") if message.direction == Direction.IN else _("→ out")

    @admin.display(description=_("error"))
    def error(self, message):
        return f"{message.error_code or ''} {message.error_title}".strip()


@admin.register(Conversation)
class ConversationAdmin(TenantAdmin):
    list_display = ["wa_id", "customer", "salon", "status", "bot_paused", "last_inbound_at", "last_message_at"]
    list_filter = ["bot_paused", "status", "salon"]
    search_fields = ["wa_id", "customer__name", "customer__phone"]
    list_select_related = ["customer", "salon"]
    fields = ["salon", "customer", "wa_id", "status", "bot_paused", "last_inbound_at", "last_message_at", "bot_state"]
    readonly_fields = ["salon", "customer", "wa_id", "last_inbound_at", "last_message_at", "bot_state"]
    inlines = [MessageInline]
    actions = ["pause_bot", "resume_bot"]

    def has_add_permission(self, request, *args):
        return False  # conversations begin with the customer's first message

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, MessageInline) and obj is not None:
            latest = Message.objects.filter(conversation=obj).order_by("-created_at", "-id").values("pk")
            kwargs["queryset"] = kwargs["queryset"].filter(pk__in=Subquery(latest[:TRANSCRIPT_LENGTH]))
        return kwargs

    def save_model(self, request, obj, form, change):
        obj.save(update_fields=["status", "updated_at"])
        if "bot_paused" in form.changed_data:
            conversations.set_bot_paused(conversation=obj, paused=form.cleaned_data["bot_paused"], actor=request.user)

    @admin.action(description=_("Pause the bot (a person takes over)"))
    def pause_bot(self, request, queryset):
        self._set_paused(request, queryset, paused=True)

    @admin.action(description=_("Resume the bot"))
    def resume_bot(self, request, queryset):
        self._set_paused(request, queryset, paused=False)

    def _set_paused(self, request, queryset, *, paused):
        for conversation in queryset:
            conversations.set_bot_paused(conversation=conversation, paused=paused, actor=request.user)
        self.message_user(request, _("%(n)d conversation(s) updated.") % {"n": queryset.count()}, messages.SUCCESS)


@admin.register(Message)
class MessageAdmin(TenantAdmin):
    list_display = ["created_at", "direction", "type", "short_text", "status", "error_code", "conversation", "salon"]
    list_filter = ["direction", "status", "type", "salon"]
    search_fields = ["wamid", "text", "conversation__wa_id"]
    list_select_related = ["conversation", "salon"]
    date_hierarchy = "created_at"
    exclude = ["send_claimed_at"]

    @admin.display(description=_("text"))
    def short_text(self, message):
        return message.text[:80]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Message._meta.fields]

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
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)

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
