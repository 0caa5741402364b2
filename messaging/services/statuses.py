"""Delivery statuses of outbound messages, applied monotonically whatever order Meta sends them in.

Statuses only move forward along QUEUED → UNKNOWN → SENT → FAILED → DELIVERED → READ (UNKNOWN:
a send cut off mid-request that is never repeated; any status from Meta tells more):
- sent, delivered and read never go backwards; `delivered` may be skipped (read at once);
- `failed` wins over QUEUED and SENT: the message never reached the phone;
- a `failed` after DELIVERED or READ keeps that status (the customer demonstrably got the
  message) but its error code and title are still recorded;
- a `delivered` or `read` after FAILED is evidence of delivery, so it moves the message on.
Re-sent duplicates change nothing. A status whose wamid is not stored yet (the send task has
not written it) is kept as a PendingStatus and applied when the wamid is stored.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from messaging.models import Direction, Message, MessageStatus, PendingStatus
from messaging.signals import announce_failure, announce_status
from salons.models import Salon

logger = logging.getLogger(__name__)

RANK = {
    MessageStatus.QUEUED: 0,
    MessageStatus.UNKNOWN: 0.5,
    MessageStatus.SENT: 1,
    MessageStatus.FAILED: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.READ: 4,
}
META_STATUSES = {
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.READ,
    "played": MessageStatus.READ,  # a voice message was listened to
    "failed": MessageStatus.FAILED,
}
TIMESTAMP_FIELDS = {
    MessageStatus.SENT: "sent_at",
    MessageStatus.DELIVERED: "delivered_at",
    MessageStatus.READ: "read_at",
}
# Our outbound bodies carry `biz_opaque_callback_data = "sb:<message id>"`; Meta echoes it in
# every status, so a status can find its message even before the send task stored the wamid.
CALLBACK_PREFIX = "sb:"


@dataclass(frozen=True)
class StatusChange:
    status: str  # a MessageStatus
    timestamp: datetime
    error_code: int | None = None
    error_title: str = ""


def callback_data(message_id) -> str:
    return f"{CALLBACK_PREFIX}{message_id}"


def merge(message: Message, change: StatusChange) -> list[str]:
    """Apply `change` to `message` in memory; return the fields that changed."""
    changed = []
    if RANK.get(change.status, -1) > RANK.get(message.status, -1):
        message.status = change.status
        changed.append("status")
    field = TIMESTAMP_FIELDS.get(change.status)
    if field and getattr(message, field) is None:
        setattr(message, field, change.timestamp)
        changed.append(field)
    if change.status == MessageStatus.FAILED and (change.error_code is not None or change.error_title):
        message.error_code, message.error_title = change.error_code, change.error_title[:500]
        changed += ["error_code", "error_title"]
    return changed


def apply_status(*, salon: Salon, wamid: str, change: StatusChange, callback: str = "") -> bool:
    """Apply one status to the salon's outbound message `wamid`; keep it pending if not stored yet.

    Returns True when it was applied now, False when it was kept for later.
    """
    if _apply_to_stored(salon=salon, wamid=wamid, changes=[change]):
        return True
    if _attach_wamid_from_callback(salon=salon, wamid=wamid, callback=callback) and _apply_to_stored(
        salon=salon, wamid=wamid, changes=[change]
    ):
        return True
    with transaction.atomic():
        PendingStatus.objects.bulk_create(
            [
                PendingStatus(
                    salon=salon,
                    wamid=wamid,
                    status=change.status,
                    timestamp=change.timestamp,
                    error_code=change.error_code,
                    error_title=change.error_title[:500],
                )
            ],
            ignore_conflicts=True,
        )
    # The send task stores the wamid and then looks for pending rows; we store the pending row and
    # then look for the wamid. Each writes (and commits) before it reads, so at least one of the
    # two sees the other's write: a status is never stranded by the race.
    apply_pending_statuses(wamid=wamid)
    return False


def apply_pending_statuses(*, wamid: str) -> int:
    """Apply and delete the statuses kept for `wamid`, once its message is stored."""
    if not PendingStatus.objects.filter(wamid=wamid).exists():
        return 0
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(wamid=wamid, direction=Direction.OUT).first()
        if message is None:
            return 0
        pending = list(PendingStatus.objects.filter(wamid=wamid, salon_id=message.salon_id))
        changes = [StatusChange(p.status, p.timestamp, p.error_code, p.error_title) for p in pending]
        _save_merged(message, changes)
        PendingStatus.objects.filter(pk__in=[p.pk for p in pending]).delete()
    return len(pending)


def _apply_to_stored(*, salon: Salon, wamid: str, changes: Iterable[StatusChange]) -> bool:
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(salon=salon, wamid=wamid, direction=Direction.OUT).first()
        if message is None:
            return False
        _save_merged(message, changes)
    return True


def _save_merged(message: Message, changes: Iterable[StatusChange]) -> None:
    # Oldest first, so that the recorded error is the latest failure.
    changed: set[str] = set()
    for change in sorted(changes, key=lambda c: c.timestamp):
        changed.update(merge(message, change))
    if changed:
        message.save(update_fields=[*sorted(changed), "updated_at"])
    if "status" in changed:
        announce_status(
            message.pk,
            salon_id=message.salon_id,
            status=message.status,
            idempotency_key=message.idempotency_key or "",
        )
        if message.status == MessageStatus.FAILED:
            announce_failure(message.pk)


def _attach_wamid_from_callback(*, salon: Salon, wamid: str, callback: str) -> bool:
    if not callback.startswith(CALLBACK_PREFIX):
        return False
    try:
        message_id = uuid.UUID(callback.removeprefix(CALLBACK_PREFIX))
    except ValueError:
        return False
    attached = Message.objects.filter(pk=message_id, salon=salon, direction=Direction.OUT, wamid__isnull=True).update(
        wamid=wamid
    )
    if attached:
        logger.info("status for %s arrived before the send finished; wamid taken from its callback data", wamid)
    return bool(attached)
