"""Who may put a WhatsApp number on a salon: the platform operator, or an owner who proves it.

Inbound messages to a number reach the salon that has it (messaging.services.routing), so a
number is assigned by a super admin or claimed by an owner whose claim the Graph API confirms:
it must be one of the numbers of the platform's WhatsApp Business Account. The Graph call lives
with the transport, above salons; the messaging app registers it here (`register_verifier`).

An owner's refused claim gets one answer whatever the reason — nobody's number, another salon's,
one Meta does not know — so that no answer tells one tenant about another's number.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext_lazy as _

from salonbot.errors import InvalidInput
from salonbot.scope import platform_scope

from .models import Salon

FIELD = "whatsapp_phone_number_id"
NOT_CONFIRMED = _(
    "This WhatsApp number id could not be confirmed as one of the platform's numbers available to you; "
    "ask the platform operator to assign it."
)
TAKEN = _("Another salon already uses this WhatsApp number id.")  # said to super admins only

# number id → True when the platform's WhatsApp Business Account has it; raises WhatsAppUnavailable
# when Meta cannot be asked. None until the messaging app registers the Graph check: no proof.
_verifier: Callable[[str], bool] | None = None


def register_verifier(verifier: Callable[[str], bool] | None) -> None:
    global _verifier
    _verifier = verifier


def check_claim(*, actor, salon: Salon | None, number: str | None) -> None:
    """Refuse `number` for `salon` (None: a new salon) unless `actor` may put it there."""
    if not number or number == _stored_number(salon):
        return
    if actor is not None and not actor.is_super_admin:
        # Meta first, then the other salons: a Graph outage answers every claim alike.
        if _verifier is None or not _verifier(number):
            raise InvalidInput(NOT_CONFIRMED, field=FIELD)
        if _taken(number, salon):
            raise InvalidInput(NOT_CONFIRMED, field=FIELD)
    elif _taken(number, salon):
        raise InvalidInput(TAKEN, field=FIELD)


def _stored_number(salon: Salon | None) -> str | None:
    # The stored value, not the instance's: an admin form has already written its input onto it.
    if salon is None or salon.pk is None:
        return None
    return Salon.objects.filter(pk=salon.pk).values_list("whatsapp_phone_number_id", flat=True).first()


def _taken(number: str, salon: Salon | None) -> bool:
    # Another owner's salon counts too, which row-level security hides from this owner.
    with platform_scope():
        return Salon.objects.filter(whatsapp_phone_number_id=number).exclude(pk=getattr(salon, "pk", None)).exists()
