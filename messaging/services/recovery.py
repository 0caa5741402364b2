"""Work a lost task left behind: events never processed, messages never sent, stale statuses.

Tasks are enqueued after commit; if the broker was down at that moment, or a worker died holding
a message, the rows are still there and say so. The periodic sweep finds them.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F, Q
from django.utils import timezone

from messaging.models import Direction, Message, MessageStatus, PendingStatus, WebhookEvent

from .delivery import CLAIM_LEASE, INTERRUPTED

# Long enough that a task enqueued normally has run; short enough that a customer still cares.
GRACE = timedelta(minutes=2)
MAX_EVENT_ATTEMPTS = 5
# A status for a message we never stored (sent from another app on the same number) waits this long.
PENDING_STATUS_MAX_AGE = timedelta(days=7)


def claim_stale_event_ids(now=None, limit: int = 500) -> list:
    """Unprocessed events old enough that their task was lost, counted as one more attempt.

    Counting here (not when a run starts) keeps the normal path to one write per event, and still
    stops an event that kills its worker every time after MAX_EVENT_ATTEMPTS.
    """
    now = now or timezone.now()
    ids = list(
        WebhookEvent.objects.filter(
            processed_at__isnull=True, received_at__lt=now - GRACE, attempts__lt=MAX_EVENT_ATTEMPTS
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    WebhookEvent.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1, updated_at=now)
    return ids


def stale_messages(now=None, limit: int = 500) -> list[tuple]:
    """(id, attempts) of queued outbound messages no delivery is working on."""
    now = now or timezone.now()
    return list(
        Message.objects.filter(direction=Direction.OUT, status=MessageStatus.QUEUED)
        .filter(Q(send_claimed_at__isnull=True, created_at__lt=now - GRACE) | Q(send_claimed_at__lt=now - CLAIM_LEASE))
        .exclude(INTERRUPTED)  # awaiting its outcome (delivery.settle_interrupted_sends), never resent
        .order_by("created_at")
        .values_list("pk", "attempts")[:limit]
    )


def purge_stale_pending_statuses(now=None) -> int:
    now = now or timezone.now()
    deleted, _ = PendingStatus.objects.filter(created_at__lt=now - PENDING_STATUS_MAX_AGE).delete()
    return deleted
