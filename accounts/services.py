"""The write path for accounts: one way a user comes to exist (API register, admin, scripts)."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework_simplejwt.tokens import RefreshToken

from salonbot.errors import InvalidInput

from .models import Role, User, access_flags


def _taken() -> InvalidInput:
    return InvalidInput(_("A user with this e-mail already exists."), field="email")


@transaction.atomic
def create_user(
    *, email: str, password: str | None, role: str = Role.SALON_OWNER, first_name: str = "", last_name: str = ""
) -> User:
    """Create an account whose admin access follows its role; the e-mail is unique regardless of case.

    The caller has checked the password against the validators (the API serializer, the admin form).
    """
    if role not in Role.values:
        raise InvalidInput(_("Unknown role: %s") % role, field="role")
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=email,
                password=password,
                first_name=first_name,
                last_name=last_name,
                role=role,  # the manager sets the role's admin access (`access_flags`)
            )
    except IntegrityError as exc:
        raise _taken() from exc


@transaction.atomic
def update_user(*, actor: User, user: User, **data) -> User:
    """Change an account's e-mail, names, role or activity; a new role brings its admin access."""
    for field, value in data.items():
        setattr(user, field, value)
    if "role" in data:
        for flag, value in access_flags(user.role).items():
            setattr(user, flag, value)
    user.full_clean(exclude=["password"])
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise _taken() from exc
    return user


def issue_tokens(user: User) -> dict:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}
