"""Admin plumbing: a salon owner with admin access sees and edits only their salons' rows.

Scoping covers every way a row can reach a page: the changelist and change views
(`get_queryset`), foreign-key and many-to-many choices, and the list filters' choices — a plain
related-field filter would list every tenant's rows (Django's `RelatedFieldListFilter` reads the
related model's default manager), so each one is replaced by `TenantRelatedFieldListFilter`.

Times are shown in wall time: the active zone is the salon the user works in (see
`salons.admin_scope`); a row of another salon is shown in its own zone, with the zone named.
"""

from __future__ import annotations

import zoneinfo

from django.contrib import admin
from django.contrib.admin.filters import RelatedFieldListFilter
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from salonbot.localtime import wall_time  # noqa: F401 (admin modules format times with it)
from salonbot.timebounds import FIRST_YEAR, LAST_YEAR, OUT_OF_RANGE


class TenantRelatedFieldListFilter(RelatedFieldListFilter):
    """A related-field filter offering only the rows the user may see.

    Tenant models are narrowed with `for_user()` (their own query, cheap at any table size);
    other models (users) offer only the values present in the user's changelist.
    """

    def field_choices(self, field, request, model_admin):
        related = field.related_model
        ordering = self.field_admin_ordering(field, request, model_admin) or related._meta.ordering or ["pk"]
        rows = related._default_manager.all()
        if hasattr(rows, "for_user"):
            rows = rows.for_user(request.user)
        elif not request.user.is_super_admin:
            present = model_admin.get_queryset(request).values_list(f"{self.field_path}__pk", flat=True)
            rows = rows.filter(pk__in=present)
        return [(row.pk, str(row)) for row in rows.order_by(*ordering)]


def scoped_list_filter(model, entry):
    """`entry` of a `list_filter`, with a plain related-field filter made tenant-scoped."""
    if isinstance(entry, str):
        field = get_fields_from_path(model, entry)[-1]
        if field.is_relation:
            return (entry, TenantRelatedFieldListFilter)
    elif isinstance(entry, tuple | list) and entry[1] is RelatedFieldListFilter:
        return (entry[0], TenantRelatedFieldListFilter)
    return entry


class TenantAdminMixin:
    """Scopes the changelist, foreign-key choices and list filters with the model's `for_user()`.

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

    def get_object(self, request, object_id, from_field=None):
        """Another tenant's object is a 404 on its change, delete and history pages, as in the API.

        (Django's admin would redirect to the index saying it "doesn't exist", which tells that the
        id is real.)
        """
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def get_changeform_initial_data(self, request):
        """A new row starts in the salon the page works in (the header's choice)."""
        initial = super().get_changeform_initial_data(request)
        salon = getattr(request, "admin_salon", None)
        if salon is not None and any(f.name == "salon" for f in self.model._meta.fields):
            initial.setdefault("salon", salon.pk)
        return initial

    def get_list_filter(self, request):
        return [scoped_list_filter(self.model, entry) for entry in super().get_list_filter(request)]

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if "salon" in columns and not _works_in_several_salons(request):
            columns.remove("salon")  # one salon: the column repeats its name on every row
        return columns

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        _scope(field, request)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        _scope(field, request)
        return field

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """An object of a salon other than the page's is edited in its own salon's zone."""
        zone = self._object_zone(request, object_id)
        if zone is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        with timezone.override(zone):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()  # inside the override: the template prints wall time in `zone`
            return response

    def _object_zone(self, request, object_id):
        rows = self.get_queryset(request)
        path = getattr(rows, "salon_path", None)
        if object_id is None or path is None or not _is_pk(self.model, object_id):
            return None
        zone_field = f"{path}__timezone" if path else "timezone"
        zone_name = rows.filter(pk=object_id).values_list(zone_field, flat=True).first()
        if zone_name is None or zone_name == str(timezone.get_current_timezone()):
            return None
        return zoneinfo.ZoneInfo(zone_name)


def scoped_object_or_404(queryset, pk):
    """The row `pk` of an already scoped queryset; a malformed or foreign id is a 404 alike."""
    if not _is_pk(queryset.model, pk):
        raise Http404
    return get_object_or_404(queryset, pk=pk)


def _is_pk(model, value) -> bool:
    try:
        model._meta.pk.to_python(value)
    except ValidationError:  # a malformed id: Django's own view answers it
        return False
    return True


def _works_in_several_salons(request) -> bool:
    user = request.user
    return user.is_super_admin or len(getattr(request, "admin_salons", ())) > 1


def _scope(field, request):
    queryset = getattr(field, "queryset", None)
    if queryset is not None and hasattr(queryset, "for_user"):
        field.queryset = queryset.for_user(request.user)


class BoundedChangeList(ChangeList):
    """A date hierarchy's year outside 2000–2100 is the admin's usual "?e=1", not a 500.

    Django computes the next year, month or day from the link's date: year 9999 overflows, and a
    20-digit year does not even make a datetime (OverflowError, which it does not catch).
    """

    def get_filters(self, request):
        if self.date_hierarchy:
            year = request.GET.get(f"{self.date_hierarchy}__year")
            if year is not None and not (year.isdigit() and FIRST_YEAR <= int(year) <= LAST_YEAR):
                raise IncorrectLookupParameters(str(OUT_OF_RANGE))
        return super().get_filters(request)


class TenantAdmin(TenantAdminMixin, admin.ModelAdmin):
    def get_changelist(self, request, **kwargs):
        return BoundedChangeList


class TenantTabularInline(TenantAdminMixin, admin.TabularInline):
    pass
