import django_filters
from django.db.models import Q

from salonbot.api.filters import FilterSet

from .models import Conversation, ConversationStatus, MessageTemplate, TemplatePurpose


class ConversationFilter(FilterSet):
    salon_id = django_filters.UUIDFilter(field_name="salon_id")
    status = django_filters.ChoiceFilter(choices=ConversationStatus.choices)
    search = django_filters.CharFilter(method="filter_search", help_text="Customer name or phone, or WhatsApp id.")

    class Meta:
        model = Conversation
        fields = ["salon_id", "status", "search"]

    def filter_search(self, queryset, name, value):
        condition = Q(customer__name__icontains=value)
        digits = "".join(ch for ch in value if ch.isdigit())
        if digits:
            condition |= Q(customer__phone__contains=digits) | Q(wa_id__contains=digits)
        return queryset.filter(condition)


class TemplateFilter(FilterSet):
    salon_id = django_filters.UUIDFilter(field_name="salon_id")
    purpose = django_filters.ChoiceFilter(choices=TemplatePurpose.choices)

    class Meta:
        model = MessageTemplate
        fields = ["salon_id", "purpose", "language"]
