from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from salonbot.api.fields import TenantPrimaryKeyRelatedField
from salons.models import Salon

from .models import Conversation, Message, MessageTemplate
from .services.conversations import TEMPLATE_LANGUAGE, TEMPLATE_NAME
from .whatsapp.limits import MAX_TEXT_BODY


class ConversationCustomerSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    phone = serializers.CharField()


class ConversationSerializer(serializers.ModelSerializer):
    salon_id = serializers.UUIDField(read_only=True)
    customer = ConversationCustomerSerializer(read_only=True, allow_null=True)
    window_open = serializers.SerializerMethodField(
        help_text="Free-form text may be sent: the customer wrote within the last 24 hours."
    )

    class Meta:
        model = Conversation
        fields = [
            "id",
            "salon_id",
            "customer",
            "wa_id",
            "status",
            "bot_paused",
            "last_inbound_at",
            "last_message_at",
            "window_open",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_window_open(self, conversation) -> bool:
        return conversation.is_window_open()


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = [
            "id",
            "direction",
            "type",
            "text",
            "truncated",
            "status",
            "wamid",
            "error_code",
            "error_title",
            "created_at",
        ]
        read_only_fields = fields


class MessageCreateSerializer(serializers.Serializer):
    """Either `text` (inside the 24-hour window) or `template_id` with its `parameters`."""

    text = serializers.CharField(required=False, max_length=MAX_TEXT_BODY, trim_whitespace=True)
    template_id = TenantPrimaryKeyRelatedField(queryset=MessageTemplate.objects.all(), required=False)
    parameters = serializers.ListField(
        child=serializers.CharField(max_length=1024), required=False, max_length=20, default=list
    )

    def validate(self, attrs):
        has_text, has_template = "text" in attrs, "template_id" in attrs
        if has_text == has_template:
            raise serializers.ValidationError({"non_field_errors": [_("Send either text or template_id.")]})
        if has_text and attrs.get("parameters"):
            raise serializers.ValidationError({"parameters": [_("Parameters go with a template_id.")]})
        conversation = self.context.get("conversation")
        template = attrs.get("template_id")
        if template is not None and conversation is not None and template.salon_id != conversation.salon_id:
            raise serializers.ValidationError({"template_id": [_("The template belongs to another salon.")]})
        return attrs


class TemplateSerializer(serializers.ModelSerializer):
    salon_id = TenantPrimaryKeyRelatedField(source="salon", queryset=Salon.objects.all())
    # The patterns are in the schema too; the service checks them again for the admin and the bot.
    name = serializers.RegexField(
        TEMPLATE_NAME.pattern,
        max_length=512,
        error_messages={"invalid": _("Use lower-case letters, digits and underscores, as in WhatsApp Manager.")},
    )
    language = serializers.RegexField(
        TEMPLATE_LANGUAGE.pattern,
        max_length=15,
        error_messages={"invalid": _("Use a WhatsApp language code such as en, en_US or ru.")},
    )

    class Meta:
        model = MessageTemplate
        fields = ["id", "salon_id", "name", "language", "category", "body", "purpose", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_salon_id(self, salon):
        if self.instance is not None and salon.pk != self.instance.salon_id:
            raise serializers.ValidationError(_("A template cannot move to another salon."))
        return salon
