"""Admin plumbing: a salon owner with admin access sees and edits only their salons' rows."""

from django.contrib import admin


class TenantAdminMixin:
    """Scopes the changelist and foreign-key choices with the model's `for_user()`.

    Owners need no per-model Django permissions: being an active staff owner is the grant,
    and `for_user()` is the limit, as in the API.
    """

    def _is_tenant_user(self, request) -> bool:
        user = request.user
        return user.is_active and user.is_staff

    def has_module_permission(self, request):
        return self._is_tenant_user(request)

    def has_view_permission(self, request, obj=None):
        return self._is_tenant_user(request)

    def has_add_permission(self, request, *args):
        return self._is_tenant_user(request)

    def has_change_permission(self, request, obj=None):
        return self._is_tenant_user(request)

    def has_delete_permission(self, request, obj=None):
        return self._is_tenant_user(request)

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        _scope(field, request)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        _scope(field, request)
        return field


def _scope(field, request):
    queryset = getattr(field, "queryset", None)
    if queryset is not None and hasattr(queryset, "for_user"):
        field.queryset = queryset.for_user(request.user)


class TenantAdmin(TenantAdminMixin, admin.ModelAdmin):
    pass


class TenantTabularInline(TenantAdminMixin, admin.TabularInline):
    pass
