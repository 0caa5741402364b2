"""The salon an admin page works in: its time zone governs every form and every time shown.

An owner with one salon always works in it; an owner with several picks one in the header (kept
in the session); a super admin works platform-wide (UTC, each row shown in its own salon's zone)
until they pick a salon. The middleware activates the zone for the whole request, so Django's
form fields read wall time in it, templates print wall time in it, and "Today" filters, the date
hierarchy and the admin's "N hours ahead of server time" note agree with the salon's clock.
"""

from __future__ import annotations

import zoneinfo

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from .models import Salon

SESSION_KEY = "admin_salon_id"
# An owner's header lists their salons; more than this many is a platform operator's job.
MAX_LISTED_SALONS = 50


def owned_salons(user) -> list[Salon]:
    """The salons an owner can choose between in the header, by name (one query)."""
    return list(Salon.objects.for_user(user).only("id", "name", "timezone", "owner_id")[:MAX_LISTED_SALONS])


def chosen_salon(request) -> Salon | None:
    """The session's salon if the user may see it; an owner's first salon otherwise."""
    user = request.user
    wanted = request.session.get(SESSION_KEY)
    if user.is_super_admin:
        if not wanted:
            return None
        return Salon.objects.filter(pk=wanted).only("id", "name", "timezone", "owner_id").first()
    salons = request.admin_salons
    return next((s for s in salons if str(s.pk) == wanted), salons[0] if salons else None)


def choose_salon(request, salon: Salon | None) -> None:
    if salon is None:
        request.session.pop(SESSION_KEY, None)
    else:
        request.session[SESSION_KEY] = str(salon.pk)


def zone_of(salon: Salon | None) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(salon.timezone if salon is not None else "UTC")


class AdminSalonMiddleware:
    """Sets `request.admin_salon` (and `admin_salons`) and activates its zone on admin pages."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._prefix = None

    def __call__(self, request):
        if self._prefix is None:
            self._prefix = reverse("admin:index")
        user = getattr(request, "user", None)
        if not request.path.startswith(self._prefix) or user is None or not user.is_authenticated:
            return self.get_response(request)
        request.admin_salons = SimpleLazyObject(lambda: [] if user.is_super_admin else owned_salons(user))
        request.admin_salon = chosen_salon(request)
        timezone.activate(zone_of(request.admin_salon))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
