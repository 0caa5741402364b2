"""Sending one queued message: what the send task does, at most once per message.

A delivery claims the row with a conditional UPDATE before it calls the Cloud API. The claim
succeeds for the attempt the task was enqueued for (`attempts` still equals it) or when an earlier
claim's lease has run out (its worker died). Two deliveries of the same task message therefore
never both send, and a retry is scheduled only by the delivery that holds the claim.

Reminders are never sent twice (their own policy, stated in bookings.models.ReminderStatus): a
reminder's send cut off mid-request — the worker died during the POST, the POST timed out, or the
connection broke before the answer — is not repeated. `send_started_at` stays set on such a row;
a status from Meta that echoes our callback data settles it (sent, delivered, read, failed), and
if none comes within REMINDER_OUTCOME_WINDOW_SECONDS the sweep marks it UNKNOWN
(`settle_interrupted_sends`).

Failures: a TransientSendError is retried with jittered exponential backoff (at least the
`Retry-After` Meta asked for), up to MAX_ATTEMPTS; a PermanentSendError marks the message FAILED
with its code and title, without retrying. A timeout is ambiguous (Meta may have accepted the
message): its retry waits long enough for the `sent` status to arrive first, and that status,
matched by our callback data, stops the retry from sending a second copy.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from bookings.models import REMINDER_KEY_PREFIX
from messaging.models import Direction, Message, MessageStatus
from messaging.signals import announce_failure, announce_status
from messaging.whatsapp.backends import AMBIGUOUS_TITLES, send_message
from messaging.whatsapp.errors import PermanentSendError, SendError, TransientSendError
from salonbot.outages import persist

from .jobs import SEND_MESSAGE, enqueue
from .statuses import apply_pending_statuses

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 300.0
# Longer waits than this from Retry-After are capped: the message would be stale by then (and a
# countdown this long stays well inside the Redis broker's visibility timeout).
MAX_RETRY_AFTER_SECONDS = 900.0
# After a timeout, give Meta's `sent` status time to reach us before trying again.
TIMEOUT_MIN_DELAY_SECONDS = 30.0
# Longer than the task's hard time limit (CELERY_TASK_TIME_LIMIT, 90 s): a claim this old belongs
# to a worker that is gone, so another delivery may take it over.
CLAIM_LEASE = timedelta(minutes=5)
# 131048 is a number-quality block; 132xxx are template configuration errors. Both need a person.
LOUD_CODES = frozenset({131048})
TEMPLATE_CODE_RANGE = range(132000, 133000)
# Messages a request cut off mid-way must not repeat: a second reminder is worse than an unknown one.
NEVER_REPEATED = Q(idempotency_key__startswith=REMINDER_KEY_PREFIX)
INTERRUPTED = Q(send_started_at__isnull=False) & NEVER_REPEATED


def is_never_repeated(message: Message) -> bool:
    return (message.idempotency_key or "").startswith(REMINDER_KEY_PREFIX)


def outcome_window() -> timedelta:
    return timedelta(seconds=settings.REMINDER_OUTCOME_WINDOW_SECONDS)


@dataclass(frozen=True)
class Outcome:
    """What happened; `retry_in` (seconds) tells the task to run again as attempt `next_attempt`."""

    status: str  # "sent", "failed", "retry", "skipped"
    retry_in: float | None = None
    next_attempt: int | None = None


def retry_delay(attempt: int, *, retry_after: float | None = None, rand=random.random) -> float:
    """Seconds before retry number `attempt` (1 for the first retry): equal-jitter exponential backoff."""
    ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
    delay = ceiling / 2 + rand() * ceiling / 2
    if retry_after:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER_SECONDS))
    return delay


def deliver_message(*, message_id, attempt: int = 0) -> Outcome:
    """Send the message if this delivery wins the claim; never sends a message twice."""
    now = timezone.now()
    claimed = (
        Message.objects.filter(pk=message_id, direction=Direction.OUT, status=MessageStatus.QUEUED)
        .filter(Q(attempts=attempt) | Q(send_claimed_at__lt=now - CLAIM_LEASE))
        .exclude(INTERRUPTED)  # its outcome is awaited, not retried
        .update(attempts=F("attempts") + 1, send_claimed_at=now, send_started_at=now, updated_at=now)
    )
    if not claimed:
        return Outcome("skipped")
    # The claim is ours from here: a database outage now would leave the message claimed (sent by
    # nobody until the lease ends) or sent but unrecorded (sent again then); so wait it out.
    message = persist(lambda: Message.objects.select_related("salon").get(pk=message_id))
    if message.attempts > MAX_ATTEMPTS:  # earlier deliveries kept dying mid-send (crash, time limit)
        _fail(message, PermanentSendError("no attempt finished", title="no attempt finished"), gave_up=True)
        return Outcome("failed")
    phone_number_id = message.salon.whatsapp_phone_number_id
    if not phone_number_id:
        _fail(message, PermanentSendError("the salon has no WhatsApp number", title="salon has no WhatsApp number"))
        return Outcome("failed")
    try:
        wamid = send_message(phone_number_id=phone_number_id, body=message.payload)
    except TransientSendError as err:
        if err.title in AMBIGUOUS_TITLES and is_never_repeated(message):
            # Meta may have accepted it: wait for its status (send_started_at stays set).
            logger.warning("WhatsApp send of message %s: %s; not repeated, awaiting its status", message.pk, err)
            return Outcome("unknown")
        if message.attempts >= MAX_ATTEMPTS:
            persist(_fail, message, err, gave_up=True)
            return Outcome("failed")
        delay = retry_delay(message.attempts, retry_after=err.retry_after)
        if err.title in AMBIGUOUS_TITLES:  # give the status that may be on its way time to arrive
            delay = max(delay, TIMEOUT_MIN_DELAY_SECONDS)
        persist(_schedule_retry, message, err, delay)
        return Outcome("retry", retry_in=delay, next_attempt=message.attempts)
    except SendError as err:
        persist(_fail, message, err)
        return Outcome("failed")
    persist(_mark_sent, message, wamid)
    return Outcome("sent")


def send_now(*, message_id) -> Outcome:
    """Deliver a just-committed message from this process, without the hop through the broker.

    For the bot's replies: a customer is waiting. The send task was published as well (it is
    what survives this process dying); whichever claims the message first sends it, once. A
    retry is scheduled as the task schedules its own.
    """
    outcome = deliver_message(message_id=message_id, attempt=0)
    if outcome.retry_in is not None:
        enqueue(SEND_MESSAGE, str(message_id), outcome.next_attempt, countdown=outcome.retry_in)
    return outcome


def _mark_sent(message: Message, wamid: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        updated = Message.objects.filter(
            pk=message.pk, status__in=[MessageStatus.QUEUED, MessageStatus.UNKNOWN]
        ).update(
            wamid=wamid,
            status=MessageStatus.SENT,
            sent_at=now,
            send_started_at=None,
            error_code=None,
            error_title="",
            updated_at=now,
        )
        if updated:
            announce_status(message.pk, salon_id=message.salon_id, status=MessageStatus.SENT)
        else:
            # A status webhook got here first (it found the message by our callback data).
            Message.objects.filter(pk=message.pk, wamid__isnull=True).update(wamid=wamid, updated_at=now)
            Message.objects.filter(pk=message.pk, sent_at__isnull=True).update(sent_at=now)
            Message.objects.filter(pk=message.pk).update(send_started_at=None)
    # After the wamid is committed: statuses that overtook the send are waiting for it.
    apply_pending_statuses(wamid=wamid)


def _schedule_retry(message: Message, err: SendError, delay: float) -> None:
    # The claim stays ours: its lease now runs from the retry's time, so the recovery sweep leaves
    # the message alone until the retry has had its chance.
    Message.objects.filter(pk=message.pk, status=MessageStatus.QUEUED).update(
        send_claimed_at=timezone.now() + timedelta(seconds=delay),
        send_started_at=None,
        error_code=err.code,
        error_title=(err.title or str(err))[:500],
        updated_at=timezone.now(),
    )
    logger.warning(
        "WhatsApp send of message %s failed (attempt %d/%d), retrying in %.1fs: %s",
        message.pk,
        message.attempts,
        MAX_ATTEMPTS,
        delay,
        err,
    )


def _fail(message: Message, err: SendError, *, gave_up: bool = False) -> None:
    title = err.title or str(err)
    if gave_up:
        title = f"gave up after {message.attempts} attempts: {title}"
    failed = Message.objects.filter(pk=message.pk, status=MessageStatus.QUEUED).update(
        status=MessageStatus.FAILED,
        error_code=err.code,
        error_title=title[:500],
        send_started_at=None,
        updated_at=timezone.now(),
    )
    if failed:
        announce_failure(message.pk)
        announce_status(message.pk, salon_id=message.salon_id, status=MessageStatus.FAILED)
    loud = err.code in LOUD_CODES or (err.code is not None and err.code in TEMPLATE_CODE_RANGE) or gave_up
    log = logger.error if loud or err.needs_owner_attention else logger.warning
    log(
        "WhatsApp message %s of salon %s FAILED (code %s): %s%s",
        message.pk,
        message.salon_id,
        err.code,
        title,
        " — the salon owner must act (template or number quality)" if loud and not gave_up else "",
    )


def settle_interrupted_sends(*, now=None, limit: int = 500) -> int:
    """Mark UNKNOWN the never-repeated sends cut off mid-request that no status settled in the window."""
    now = now or timezone.now()
    window = outcome_window()
    rows = list(
        Message.objects.filter(direction=Direction.OUT, status=MessageStatus.QUEUED, send_started_at__lt=now - window)
        .filter(NEVER_REPEATED)
        .order_by("send_started_at")
        .values_list("pk", "salon_id")[:limit]
    )
    settled = 0
    for message_id, salon_id in rows:
        with transaction.atomic():
            title = f"send interrupted; no status from WhatsApp within {window.total_seconds():g}s; not repeated"
            if Message.objects.filter(pk=message_id, status=MessageStatus.QUEUED).update(
                status=MessageStatus.UNKNOWN, error_title=title, updated_at=now
            ):
                announce_status(message_id, salon_id=salon_id, status=MessageStatus.UNKNOWN)
                settled += 1
                logger.error("message %s: %s", message_id, title)
    return settled
