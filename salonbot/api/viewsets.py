"""Base classes of the API: tenant scoping declared once, used by every viewset."""

from rest_framework import mixins, viewsets


class TenantScopedMixin:
    """`queryset` is narrowed to the caller's tenants with the model's `for_user()`.

    No viewset filters by owner by hand; another tenant's object is simply not found (404).
    """

    def get_queryset(self):
        return super().get_queryset().for_user(self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "actor": self.request.user}


class TenantModelViewSet(TenantScopedMixin, viewsets.ModelViewSet):
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]


class TenantReadUpdateViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    http_method_names = ["get", "patch", "head", "options"]


class TenantReadOnlyViewSet(TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    pass
