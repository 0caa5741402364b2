"""The proof behind an owner's WhatsApp number claim (salons.numbers), registered by MessagingConfig."""

from __future__ import annotations

import logging

from django.conf import settings

from messaging.whatsapp import backends, numbers
from salonbot.errors import WhatsAppUnavailable

logger = logging.getLogger(__name__)


def platform_owns(phone_number_id: str) -> bool:
    """True when the platform's WhatsApp Business Account has the number.

    Only the cloud backend talks to Meta. The console and memory backends (the embedded default,
    development, tests) send nothing anywhere and have no Business Account to ask: there a claim
    is taken as it is, as any number there is only a label.
    """
    if not isinstance(backends.get_backend(), backends.CloudBackend):
        return True
    try:
        return numbers.platform_owns_number(
            phone_number_id,
            base_url=settings.WHATSAPP_API_BASE_URL,
            access_token=settings.WHATSAPP_ACCESS_TOKEN,
            business_account_id=settings.WHATSAPP_BUSINESS_ACCOUNT_ID,
            timeout=float(settings.WHATSAPP_HTTP_TIMEOUT),
        )
    except numbers.GraphUnavailable as exc:
        logger.warning("WhatsApp number claim %s could not be checked: %s", phone_number_id, exc)
        raise WhatsAppUnavailable() from exc
