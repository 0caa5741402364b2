"""Receiving a verified webhook: store it durably, then hand it to a task. Nothing is parsed twice.

The path Meta times, so it does the least that keeps a delivery safe: refuse what cannot be stored
(a NUL byte, JSON nested past any shape Meta sends), one INSERT committed on its own, one publish.
"""

from __future__ import annotations

import json
import logging
import threading
import time

from celery import current_app
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from messaging.models import WebhookEvent
from salonbot.errors import DomainError

from .jobs import PROCESS_WEBHOOK_EVENT, enqueue

logger = logging.getLogger(__name__)

# Meta's deepest bodies (an interactive reply inside a message inside a change) nest about ten
# levels; far deeper is not Meta, and past ~1,000 Python's JSON reader raises RecursionError.
MAX_DEPTH = 64
# Statuses (three in four deliveries) are not waited for by anyone: one processing task published
# with this delay carries every status stored by this process until it runs. Messages are published
# at once, since a customer is waiting for the bot's answer.
STATUS_DELAY_SECONDS = 0.5
# A status stored this close to the scheduled run gets a task of its own: clocks are not exact.
STATUS_DELAY_MARGIN_SECONDS = 0.1


class UnstorableBody(DomainError):
    code = "invalid_body"
    status = 400


def receive_webhook(*, raw_body: bytes) -> WebhookEvent:
    """Store a body whose signature was verified; enqueue its processing when it is JSON.

    Raises UnstorableBody (400, nothing stored) for a NUL byte, which a text column cannot hold,
    and for JSON nested deeper than MAX_DEPTH. Other invalid JSON is stored with its error and not
    processed: Meta signed it, so it is kept for an operator to read, and the same bytes would fail
    again on every retry.

    One INSERT, committed on its own (no transaction block: BEGIN and COMMIT would add two round
    trips to the path Meta times); the task is enqueued after that commit, or after the caller's
    if it runs inside one.
    """
    if b"\x00" in raw_body:
        raise UnstorableBody(_("The body contains a NUL byte; WhatsApp never sends one."))
    event = WebhookEvent(body=raw_body.decode("utf-8", errors="replace"))
    try:
        body = json.loads(raw_body)
    except RecursionError:
        raise UnstorableBody(_("The JSON is nested too deeply.")) from None
    except ValueError as exc:
        event.error = f"invalid JSON: {exc}"
        event.processed_at = timezone.now()
        logger.error("signed WhatsApp webhook is not JSON (%s); stored as event %s", exc, event.pk)
        body = None
    if body is not None and _deeper_than(body, MAX_DEPTH):
        raise UnstorableBody(_("The JSON is nested more than %(depth)d levels deep.") % {"depth": MAX_DEPTH})
    event.save(force_insert=True)
    if not event.error:
        event_id, urgent = str(event.pk), _has_messages(body)
        # With the broker down the event is still stored, and the recovery sweep enqueues it later.
        transaction.on_commit(lambda: publish_processing(event_id, urgent=urgent), robust=True)
    return event


class _StatusSchedule:
    """When this process's last delayed processing task runs (time.time(), the clock ETAs use)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.runs_at = 0.0


_status_schedule = _StatusSchedule()


def publish_processing(event_id: str, *, urgent: bool) -> None:
    """The one place the webhook publishes: at once for messages, coalesced for statuses.

    A processing task claims every stored event not yet processed (ingest_batch.process_pending), so a
    task scheduled to run after this event's commit will process it: a status stored while one is
    scheduled needs no task of its own.
    """
    if urgent or current_app.conf.task_always_eager:  # an eager task runs now, not after the delay
        enqueue(PROCESS_WEBHOOK_EVENT, event_id)
        return
    now = time.time()
    with _status_schedule.lock:
        if now < _status_schedule.runs_at - STATUS_DELAY_MARGIN_SECONDS:
            return
    enqueue(PROCESS_WEBHOOK_EVENT, event_id, countdown=STATUS_DELAY_SECONDS)
    with _status_schedule.lock:  # only once it is published: a failed publish schedules nothing
        _status_schedule.runs_at = max(_status_schedule.runs_at, now + STATUS_DELAY_SECONDS)


def _deeper_than(value, limit: int) -> bool:
    # Iterative: a recursive walk would hit the recursion limit on exactly the bodies it refuses.
    if not isinstance(value, (dict, list)):
        return False
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _has_messages(body) -> bool:
    """Does any change carry `messages` (a customer is waiting), rather than only statuses?"""
    try:
        return any(
            change.get("value", {}).get("messages")
            for entry in body.get("entry") or ()
            for change in entry.get("changes") or ()
        )
    except (AttributeError, TypeError):  # an odd shape: processing reports it; publish at once to be safe
        return True
