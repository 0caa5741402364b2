"""Which salon a WhatsApp phone_number_id belongs to, memoised per process, invalidated everywhere."""

from __future__ import annotations

from django.db import transaction

from salonbot.localcache import LocalCache, SharedVersion
from salons.models import Salon

# Ten minutes, as DESIGN.md allows for hot configuration; a change is seen by every process (web
# instances, workers) within a quarter of a second of its commit through the shared version.
# Unknown numbers are not memoised, so a newly configured number routes everywhere immediately.
_salons_by_number: LocalCache[Salon] = LocalCache(ttl=600, shared=SharedVersion("messaging.routing"))


def salon_for_phone_number_id(phone_number_id: str) -> Salon | None:
    return _salons_by_number.get_or_load(
        phone_number_id, lambda: Salon.objects.filter(whatsapp_phone_number_id=phone_number_id).first()
    )


def salons_for_phone_number_ids(phone_number_ids) -> dict[str, Salon | None]:
    """salon_for_phone_number_id for many numbers: the ones not memoised are read in one query."""

    def load(numbers: list) -> dict:
        return {s.whatsapp_phone_number_id: s for s in Salon.objects.filter(whatsapp_phone_number_id__in=numbers)}

    return _salons_by_number.get_many_or_load(phone_number_ids, load)


def forget_salon(salon: Salon) -> None:
    """Drop the salon's entries: under its current number and under any number it used before.

    Here at once, and again after the change commits, here and in every other process: a load
    that ran between now and the commit read the old row.
    """
    salon_id, number = salon.pk, salon.whatsapp_phone_number_id

    def forget() -> None:
        _salons_by_number.invalidate_where(lambda key, cached: cached.pk == salon_id or key == number)

    forget()
    transaction.on_commit(lambda: (forget(), _salons_by_number.publish()), robust=True)


def clear() -> None:
    _salons_by_number.clear()
