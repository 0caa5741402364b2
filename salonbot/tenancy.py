"""Tenant scoping in one place: every tenant model's manager is built from TenantQuerySet."""

from django.db import models


class TenantQuerySet(models.QuerySet):
    """Rows a user may see: all for a super admin, their salons' rows for an owner."""

    salon_path = "salon"  # how this model reaches its Salon

    def for_user(self, user):
        if user is None or not user.is_authenticated:
            return self.none()
        if user.is_super_admin:
            return self
        return self.filter(**{f"{self.salon_path}__owner": user})

    def for_salon(self, salon):
        return self.filter(**{self.salon_path: salon})


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    pass


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
