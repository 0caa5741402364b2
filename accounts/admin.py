"""Users in the admin, for super admins only: added and changed through the account services.

The forms call the service in `clean()` (there are no inlines to validate after it), so a
refusal is a form error; a role change brings its admin access with it (`access_flags`).
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from salonbot.errors import DomainError, InvalidInput

from . import services
from .models import User

PROFILE_FIELDS = ["email", "first_name", "last_name", "role", "is_active"]


def _unique_email(value: str, *, exclude_pk=None) -> str:
    value = User.objects.normalize_email(value).strip().lower()
    if User.objects.filter(email__iexact=value).exclude(pk=exclude_pk).exists():
        raise ValidationError(_("A user with this e-mail already exists."), code="unique")
    return value


def _refusal_on(form, error: DomainError) -> None:
    field = error.field if isinstance(error, InvalidInput) and error.field in form.fields else None
    form.add_error(field, error.detail)


class UserCreateForm(auth_forms.SetPasswordMixin, forms.ModelForm):
    """A new owner or super admin with a password; created by `services.create_user`."""

    password1, password2 = auth_forms.SetPasswordMixin.create_password_fields()

    class Meta:
        model = User
        fields = ["email", "role", "first_name", "last_name"]

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean_email(self):
        return _unique_email(self.cleaned_data["email"])

    def clean(self):
        self.validate_passwords()
        data = super().clean()
        if not self.errors:
            candidate = User(email=data["email"], first_name=data["first_name"], last_name=data["last_name"])
            self.validate_password_for_user(candidate)
        if self.errors:
            return data
        try:
            self.instance = services.create_user(
                email=data["email"],
                password=data["password1"],
                role=data["role"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except DomainError as exc:
            _refusal_on(self, exc)
        return data


class UserChangeForm(auth_forms.UserChangeForm):
    """Profile, role and activity; saved by `services.update_user`. The password has its own page."""

    class Meta:
        model = User
        fields = ["email", "password", *PROFILE_FIELDS[1:]]

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean_email(self):
        return _unique_email(self.cleaned_data["email"], exclude_pk=self.instance.pk)

    def clean(self):
        data = super().clean()
        changed = {f: data[f] for f in self.changed_data if f in PROFILE_FIELDS and f in data}
        if self.errors or not changed:
            return data
        try:
            services.update_user(actor=self.actor, user=self.instance, **changed)
        except DomainError as exc:
            _refusal_on(self, exc)
        except ValidationError as exc:
            self.add_error(None, exc)
        return data


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    add_form = UserCreateForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "role", "is_active", "date_joined"]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (
            _("Access"),
            {
                "fields": ("role", "is_active", "is_staff", "is_superuser"),
                "description": _("Owners and super admins both use the admin; the role sets the rest."),
            },
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "role", "first_name", "last_name", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ["is_staff", "is_superuser", "last_login", "date_joined"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class ActorForm(form_class):
            def __init__(self, *args, **kw):
                super().__init__(*args, actor=request.user, **kw)

        return ActorForm

    def save_model(self, request, obj, form, change):
        pass  # the form's clean() saved through the account services

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_super_admin

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    has_change_permission = has_add_permission = has_delete_permission = has_view_permission
