"""Base classes of the API: tenant scoping declared once, used by every viewset."""

from rest_framework import mixins, viewsets

from salonbot import observability
from salonbot.db.router import replica_reads


class TenantScopedMixin:
    """`queryset` is narrowed to the caller's tenants with the model's `for_user()`.

    No viewset filters by owner by hand; another tenant's object is simply not found (404).
    """

    def get_queryset(self):
        return super().get_queryset().for_user(self.request.user)

    def get_object(self):
        obj = super().get_object()
        # The request's log line names the salon it acted in.
        observability.bind(salon=obj.pk if obj._meta.model_name == "salon" else getattr(obj, "salon_id", None))
        return obj

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "actor": self.request.user}


class ReplicaListMixin:
    """A list is read from the replica when one is configured (salonbot/db/router.py)."""

    def list(self, request, *args, **kwargs):
        return replica_reads(super().list)(request, *args, **kwargs)


class TenantModelViewSet(TenantScopedMixin, ReplicaListMixin, viewsets.ModelViewSet):
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]


class TenantReadUpdateViewSet(
    TenantScopedMixin,
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    http_method_names = ["get", "patch", "head", "options"]


class TenantReadOnlyViewSet(TenantScopedMixin, ReplicaListMixin, viewsets.ReadOnlyModelViewSet):
    pass
