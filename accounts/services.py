from django.db import IntegrityError, transaction
from rest_framework_simplejwt.tokens import RefreshToken

from salonbot.errors import InvalidInput

from .models import Role, User


@transaction.atomic
def register_owner(*, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    """Create a salon owner account; the e-mail is unique regardless of case."""
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=email,
                password=password,
                first_name=first_name,
                last_name=last_name,
                role=Role.SALON_OWNER,
            )
    except IntegrityError as exc:
        raise InvalidInput("A user with this e-mail already exists.", field="email") from exc


def issue_tokens(user: User) -> dict:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}
