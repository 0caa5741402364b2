"""API rate limits: django-ratelimit counters in Redis, checked as DRF throttles.

A `@ratelimit` decorator on `dispatch` runs before DRF authenticates, so it would key every JWT
client by IP, and its block is a 403. As throttle classes the limits run after authentication,
see the user the JWT names, and answer DRF's 429 with `Retry-After`.

A view opts out with `throttle_classes = []` (the WhatsApp webhook: Meta is one client that
speaks for every salon, and the signature check guards it).
"""

import ipaddress
import logging
import time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

# An IPv6 client usually holds a whole /64; keying single addresses would let it rotate freely.
IPV6_PREFIX = 64


def client_ip(request) -> str:
    """The caller's address: REMOTE_ADDR, or the header a trusted proxy sets (CLIENT_IP_HEADER).

    X-Forwarded-For is never read unless configured: a client can write any address into it.
    For a list header the last entry counts, the one the trusted proxy appended itself.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    header = settings.CLIENT_IP_HEADER
    if not header:
        return remote
    raw = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
    candidate = raw.split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        # No header: the request did not come through the proxy, so the peer is the client.
        return remote


def ip_key(request) -> str:
    ip = client_ip(request)
    if not ip:
        # Keyed on "", every anonymous client would share one budget: 10 logins a minute for all.
        raise ImproperlyConfigured(
            "No client address: REMOTE_ADDR is empty (a proxy on a Unix socket?). "
            "Set CLIENT_IP_HEADER to the header the proxy sets, e.g. X-Real-IP."
        )
    if ":" in ip:
        return "ip:" + str(ipaddress.ip_network(f"{ip}/{IPV6_PREFIX}", strict=False).network_address)
    return "ip:" + ip


class _Breaker:
    """After a counter-store failure the limiter stays open for a few seconds.

    Without it every request would wait for Redis's socket timeout during an outage, and the
    log would get a line per request instead of one per interval.
    """

    def __init__(self, seconds: float = 5.0):
        self.seconds = seconds
        self.open_until = 0.0

    def is_open(self) -> bool:
        return time.monotonic() < self.open_until

    def trip(self, exc: Exception) -> None:
        logger.warning(
            "rate limiter failing open for %.0fs: counter store unreachable (%s: %s)",
            self.seconds,
            exc.__class__.__name__,
            exc,
        )
        self.open_until = time.monotonic() + self.seconds

    def reset(self) -> None:
        self.open_until = 0.0


breaker = _Breaker()


class RateLimitThrottle(BaseThrottle):
    """One django-ratelimit counter per `group` and key; subclasses say which rate and key."""

    group = ""

    def get_rate(self, view) -> str | None:
        raise NotImplementedError

    def get_key(self, request, view) -> str:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        rate = self.get_rate(view)
        if not rate or breaker.is_open():
            return True
        key = self.get_key(request, view)  # outside the try: a configuration error must surface
        try:
            usage = get_usage(
                request, group=self.get_group(view), key=lambda group, req: key, rate=rate, increment=True
            )
        except Exception as exc:  # Redis down or timing out: the API keeps serving
            breaker.trip(exc)
            return True
        if usage is None or not usage["should_limit"]:  # None: disabled, or a lost counter (fail open)
            return True
        self.wait_seconds = max(1, usage["time_left"])
        return False

    def get_group(self, view) -> str:
        return self.group

    def wait(self) -> float | None:
        return getattr(self, "wait_seconds", None)


class ApiRateThrottle(RateLimitThrottle):
    """API_RATE_LIMIT per authenticated user, per client address for anonymous requests."""

    group = "api"

    def get_rate(self, view) -> str | None:
        return settings.API_RATE_LIMIT

    def get_key(self, request, view) -> str:
        user = request.user
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
        return ip_key(request)


class AuthRateThrottle(RateLimitThrottle):
    """AUTH_RATE_LIMIT per client address on views with `throttle_scope = "auth"`.

    Each such view counts on its own, so refreshing a token never uses up a login attempt.
    """

    def get_rate(self, view) -> str | None:
        if getattr(view, "throttle_scope", None) != "auth":
            return None
        return settings.AUTH_RATE_LIMIT

    def get_group(self, view) -> str:
        return f"auth.{view.__class__.__name__}"

    def get_key(self, request, view) -> str:
        return ip_key(request)
