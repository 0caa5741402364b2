"""Which salon a WhatsApp phone_number_id belongs to, memoised per process."""

from __future__ import annotations

from salonbot.localcache import LocalCache
from salons.models import Salon

# Ten minutes, as DESIGN.md allows for hot configuration. A change made in this process is seen
# at once (salon_changed invalidates); other processes see it when their entry expires. Unknown
# numbers are not memoised, so a newly configured number routes everywhere immediately.
_salons_by_number: LocalCache[Salon] = LocalCache(ttl=600)


def salon_for_phone_number_id(phone_number_id: str) -> Salon | None:
    return _salons_by_number.get_or_load(
        phone_number_id, lambda: Salon.objects.filter(whatsapp_phone_number_id=phone_number_id).first()
    )


def forget_salon(salon: Salon) -> None:
    """Drop the salon's entries: under its current number and under any number it used before."""
    _salons_by_number.invalidate_where(
        lambda number, cached: cached.pk == salon.pk or number == salon.whatsapp_phone_number_id
    )


def clear() -> None:
    _salons_by_number.clear()
