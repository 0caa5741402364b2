"""The owner's WhatsApp inbox in the admin.

The inbox is the conversation list (latest activity first, a mark on those waiting for an answer)
and a conversation page: the transcript as chat bubbles, the 24-hour window, a reply box and the
bot switch. The page itself is read-only; the reply box and the switch post to views that call
the messaging services, like the API does.
"""

import zoneinfo
from datetime import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Substr
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from salonbot.admin import TenantAdmin, scoped_object_or_404, wall_time
from salonbot.errors import DomainError

from ..models import (
    CUSTOMER_SERVICE_WINDOW,
    Conversation,
    Direction,
    Message,
    MessageStatus,
    MessageTemplate,
)
from ..services import conversations, outbound
from ..whatsapp.limits import MAX_TEXT_BODY

TRANSCRIPT_LENGTH = 200  # the latest messages shown on a conversation's page
PREVIEW_LENGTH = 80  # characters of the last message shown in the inbox list
MAX_PARAMETER = 1024  # characters of one template parameter, as the API allows
INBOX_CSS = "messaging/inbox.css"
PLAIN_TYPES = frozenset({"text", "interactive", "button_reply", "list_reply"})  # their text says it all


class InboxFilter(admin.SimpleListFilter):
    # Titled as the brief's questions ("Waiting for an answer"), not Django's "By ...".
    template = "admin/messaging/conversation/filter.html"


class WaitingFilter(InboxFilter):
    title = _("Waiting for an answer")
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(waiting_since__isnull=self.value() == "no")
        return queryset


class HandledByFilter(InboxFilter):
    title = _("Handled by")
    parameter_name = "handled_by"

    def lookups(self, request, model_admin):
        return [("bot", _("Bot")), ("person", _("Person"))]

    def queryset(self, request, queryset):
        if self.value() in ("bot", "person"):
            return queryset.filter(bot_paused=self.value() == "person")
        return queryset


class ReplyForm(forms.Form):
    """Free text: inside the customer-service window only (the service checks it again)."""

    text = forms.CharField(
        label=_("Your answer"),
        max_length=MAX_TEXT_BODY,
        widget=forms.Textarea(attrs={"rows": 3, "class": "inbox-textarea"}),
    )


class TemplateReplyForm(forms.Form):
    """One of the conversation's salon's templates and its parameters, {{1}} first."""

    template = forms.ModelChoiceField(queryset=MessageTemplate.objects.none())

    def __init__(self, *args, templates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates
        self.parameters = [value.strip() for value in self.data.getlist("parameters")] if self.is_bound else []

    def clean(self):
        if any(len(value) > MAX_PARAMETER for value in self.parameters):
            raise ValidationError(_("A parameter is at most %(n)d characters long."), params={"n": MAX_PARAMETER})
        return super().clean()


@admin.register(Conversation)
class ConversationAdmin(TenantAdmin):
    list_display = ["who", "waiting", "last_message", "preview", "handled_by", "salon"]
    list_filter = [WaitingFilter, HandledByFilter, "status", "salon"]
    search_fields = ["wa_id", "customer__name", "customer__phone"]
    list_select_related = ["customer", "salon"]
    list_per_page = 50
    actions = ["pause_bot", "resume_bot"]
    conversation_template = "admin/messaging/conversation/conversation.html"

    def has_add_permission(self, request, *args):
        return False  # conversations begin with the customer's first message

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": _("WhatsApp inbox"), **(extra_context or {})})

    def get_queryset(self, request):
        # The last message's start, type and direction for the list's preview: correlated
        # subqueries on (conversation, created_at), one query for the whole page.
        latest = Message.objects.filter(conversation=OuterRef("pk")).order_by("-created_at", "-id")
        return (
            super()
            .get_queryset(request)
            .annotate(
                last_text=Subquery(latest.values(head=Substr("text", 1, PREVIEW_LENGTH + 1))[:1]),
                last_type=Subquery(latest.values("type")[:1]),
                last_direction=Subquery(latest.values("direction")[:1]),
            )
        )

    # --- the inbox list ---------------------------------------------------------------------------

    @admin.display(description=_("customer"), ordering="customer__name")
    def who(self, conversation):
        customer = conversation.customer
        if customer is None or not customer.name:
            return str(conversation)
        return format_html('{} <span class="inbox-phone">{}</span>', customer.name, customer.phone)

    @admin.display(description=_("waiting"), ordering="waiting_since", empty_value="")
    def waiting(self, conversation):
        if conversation.waiting_since is None:
            return ""
        since = wall_time(conversation.waiting_since, conversation.salon.timezone, fmt="j M, H:i")
        kind = "inbox-waiting inbox-waiting-person" if conversation.bot_paused else "inbox-waiting"
        return format_html(
            '<span class="{}">{}</span> <span class="inbox-since">{}</span>',
            kind,
            _("Waiting for an answer"),
            _("since %(time)s") % {"time": since},
        )

    @admin.display(description=_("last message"), ordering="last_message_at")
    def last_message(self, conversation):
        return wall_time(conversation.last_message_at, conversation.salon.timezone, fmt="j M Y, H:i")

    @admin.display(description=_("preview"))
    def preview(self, conversation):
        if conversation.last_direction is None:
            return ""
        text = Truncator(conversation.last_text or "").chars(PREVIEW_LENGTH) or f"[{conversation.last_type}]"
        if conversation.last_direction == Direction.OUT:
            return format_html('<span class="inbox-preview inbox-out">{} {}</span>', _("You:"), text)
        return format_html('<span class="inbox-preview">{}</span>', text)

    @admin.display(description=_("handled by"), ordering="bot_paused")
    def handled_by(self, conversation):
        return _("Person") if conversation.bot_paused else _("Bot")

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

    # --- the conversation page and its writes -----------------------------------------------------

    def get_urls(self):
        # Before the defaults: their "<path:object_id>/" would swallow these.
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        views = [("reply", self.reply_view), ("take-over", self.take_over_view), ("hand-back", self.hand_back_view)]
        own = [
            path(
                f"<path:object_id>/{slug}/",
                self.admin_site.admin_view(require_POST(view)),
                name=f"{prefix}_{slug.replace('-', '_')}",
            )
            for slug, view in views
        ]
        return [*own, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The conversation page. Nothing on it saves the model: writes post to the views below."""
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET"])
        conversation = self._conversation(request, object_id)
        if not self.has_view_permission(request, conversation):
            raise PermissionDenied
        return self._page(request, conversation)

    def reply_view(self, request, object_id):
        """Free text inside the window, else a template; a refusal is shown with what was typed."""
        conversation = self._writable_conversation(request, object_id)
        if "template" in request.POST:
            form = TemplateReplyForm(request.POST, templates=self._templates(request, conversation))
        else:
            form = ReplyForm(request.POST)
        if form.is_valid():
            try:
                self._send(request, conversation, form)
            except DomainError as exc:  # outside the window, the plan's limit, an inactive salon, ...
                self.message_user(request, exc.detail, messages.ERROR)
            else:
                self.message_user(
                    request, _("Message queued; its delivery status shows in the transcript."), messages.SUCCESS
                )
                return HttpResponseRedirect(self._page_url(conversation))
        return self._page(request, conversation, form=form)

    def take_over_view(self, request, object_id):
        conversation = self._writable_conversation(request, object_id)
        conversations.set_bot_paused(conversation=conversation, paused=True, actor=request.user)
        self.message_user(request, _("You took the conversation over: the bot stays silent."), messages.SUCCESS)
        return HttpResponseRedirect(self._page_url(conversation))

    def hand_back_view(self, request, object_id):
        conversation = self._writable_conversation(request, object_id)
        conversations.set_bot_paused(conversation=conversation, paused=False, actor=request.user)
        self.message_user(request, _("The bot answers this conversation again."), messages.SUCCESS)
        return HttpResponseRedirect(self._page_url(conversation))

    def _conversation(self, request, object_id) -> Conversation:
        # Through the scoped queryset: another tenant's conversation is a 404, like a malformed id.
        return scoped_object_or_404(self.get_queryset(request).select_related("customer", "salon"), object_id)

    def _writable_conversation(self, request, object_id) -> Conversation:
        conversation = self._conversation(request, object_id)
        if not self.has_change_permission(request, conversation):
            raise PermissionDenied
        return conversation

    def _templates(self, request, conversation):
        return MessageTemplate.objects.for_user(request.user).filter(salon_id=conversation.salon_id)

    def _send(self, request, conversation, form) -> Message:
        if isinstance(form, TemplateReplyForm):
            return outbound.queue_template(
                conversation=conversation,
                template=form.cleaned_data["template"],
                parameters=form.parameters,
                actor=request.user,
            )
        return outbound.queue_text(conversation=conversation, text=form.cleaned_data["text"], actor=request.user)

    def _page_url(self, conversation) -> str:
        opts = self.opts
        return reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
            args=[conversation.pk],
        )

    def _page(self, request, conversation, *, form=None):
        latest = list(
            Message.objects.filter(conversation=conversation)
            .select_related("sent_by", "template")
            .order_by("-created_at", "-id")[: TRANSCRIPT_LENGTH + 1]
        )
        now = timezone.now()
        failed_template = form if isinstance(form, TemplateReplyForm) else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": str(conversation),
            "original": conversation,
            "change": True,
            "has_view_permission": True,
            "media": forms.Media(),  # nothing on the page needs the admin's form scripts
            "conversation": conversation,
            "customer": conversation.customer,
            "transcript": [_bubble(message) for message in reversed(latest[:TRANSCRIPT_LENGTH])],
            "older_hidden": len(latest) > TRANSCRIPT_LENGTH,
            "transcript_length": TRANSCRIPT_LENGTH,
            "window": _window(conversation, now),
            "text_form": form if isinstance(form, ReplyForm) else ReplyForm(),
            "template_form": failed_template,
            "template_choices": [
                _template_choice(template, failed_template) for template in self._templates(request, conversation)
            ],
        }
        # The conversation's salon's clock, whichever salon the page works in (as the change forms
        # of TenantAdmin do): rendered inside the override, the header names that zone too.
        with timezone.override(zoneinfo.ZoneInfo(conversation.salon.timezone)):
            response = TemplateResponse(request, self.conversation_template, context)
            response.render()
        return response


def _bubble(message: Message) -> dict:
    """What one transcript bubble shows; times are printed by the template in the salon's zone."""
    outgoing = message.direction == Direction.OUT
    sender = ""
    if outgoing:
        sender = message.sent_by.email if message.sent_by is not None else _("bot")
    return {
        "message": message,
        "outgoing": outgoing,
        # Inbound: when the customer sent it (Meta's clock); outbound: when it was queued.
        "at": message.created_at if outgoing else (message.sent_at or message.created_at),
        "sender": sender,
        # Media, locations, reactions... are named; a template is named by the template itself.
        "kind": "" if message.type in PLAIN_TYPES or message.template_id else message.type,
        "options": _options(message.payload) if outgoing else [],
        "failed": message.status == MessageStatus.FAILED,
    }


def _options(payload) -> list[str]:
    """The reply buttons or list rows an interactive message offered, as the customer saw them."""
    interactive = payload.get("interactive") if isinstance(payload, dict) else None
    action = interactive.get("action") if isinstance(interactive, dict) else None
    if not isinstance(action, dict):
        return []
    titles = [button.get("reply", {}).get("title") for button in action.get("buttons") or []]
    titles += [row.get("title") for section in action.get("sections") or [] for row in section.get("rows") or []]
    return [title for title in titles if title]


def _window(conversation: Conversation, now: datetime) -> dict:
    """The 24-hour customer-service window: open (for how long) or closed (templates only)."""
    if not conversation.is_window_open(now):
        return {"open": False}
    closes_at = conversation.last_inbound_at + CUSTOMER_SERVICE_WINDOW
    minutes = int((closes_at - now).total_seconds() // 60)
    return {"open": True, "hours": minutes // 60, "minutes": minutes % 60, "closes_at": closes_at}


def _template_choice(template: MessageTemplate, failed: TemplateReplyForm | None) -> dict:
    """A template with an input per parameter; after a refused send, with what was typed."""
    again = failed is not None and failed.data.get("template") == str(template.pk)
    typed = failed.parameters if again else []
    numbers = range(1, template.parameter_count + 1)
    return {
        "template": template,
        "parameters": [(n, typed[n - 1] if n <= len(typed) else "") for n in numbers],
        "open": again,
    }
