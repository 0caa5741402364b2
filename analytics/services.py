"""Writes of analytics: dropping and re-warming cached dashboards."""

from uuid import UUID

from salons.models import Salon

from . import cache as dashboard_cache
from . import selectors


def invalidate_salon_dashboard(*, salon_id: UUID | str) -> bool:
    """Make the salon's cached figures unreachable; True when someone read them lately.

    Called after commit of every change the figures depend on, so the next read recomputes.
    """
    return dashboard_cache.bump(salon_id)


def drop_dashboard(*, salon_id: UUID | str | None) -> None:
    """DELETE /api/cache/dashboard: one salon's entry, or the platform-wide one."""
    if salon_id is None:
        dashboard_cache.drop_platform()
    else:
        dashboard_cache.bump(salon_id)


def warm_salon_dashboard(*, salon_id: UUID | str) -> None:
    """Compute and store the salon's figures if the current version has none; idempotent."""
    salon = Salon.objects.filter(pk=salon_id).first()
    if salon is None:
        return
    version, entry = dashboard_cache.read(salon.pk)
    if entry is None and version is not None:
        dashboard_cache.store_warm(salon.pk, version, selectors.salon_dashboard(salon))
