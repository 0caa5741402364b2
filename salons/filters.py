import django_filters
from django.db.models import Q

from salonbot.api.filters import FilterSet

from .models import Customer, Master, Service


class SalonScopedFilterSet(FilterSet):
    salon_id = django_filters.UUIDFilter(field_name="salon_id")


class MasterFilter(SalonScopedFilterSet):
    service_id = django_filters.UUIDFilter(field_name="services__id", distinct=True)
    search = django_filters.CharFilter(method="filter_search")

    class Meta:
        model = Master
        fields = ["salon_id", "is_active", "service_id", "search"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(specialization__icontains=value) | Q(email__icontains=value)
        )


class ServiceFilter(SalonScopedFilterSet):
    search = django_filters.CharFilter(method="filter_search")

    class Meta:
        model = Service
        fields = ["salon_id", "category", "is_active", "search"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))


class CustomerFilter(SalonScopedFilterSet):
    search = django_filters.CharFilter(method="filter_search")

    class Meta:
        model = Customer
        fields = ["salon_id", "search"]

    def filter_search(self, queryset, name, value):
        digits = "".join(ch for ch in value if ch.isdigit())
        condition = Q(name__icontains=value)
        if digits:
            condition |= Q(phone__contains=digits)
        return queryset.filter(condition)
