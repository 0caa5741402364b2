"""Receiving a verified webhook: store it durably, then hand it to a task. Nothing is parsed twice."""

from __future__ import annotations

import json
import logging

from django.db import transaction
from django.utils import timezone

from messaging.models import WebhookEvent

from .jobs import PROCESS_WEBHOOK_EVENT, enqueue

logger = logging.getLogger(__name__)


def receive_webhook(*, raw_body: bytes) -> WebhookEvent:
    """Store a body whose signature was verified; enqueue its processing when it is JSON.

    Invalid JSON is stored with its error and not processed: Meta signed it, so it is kept for
    an operator to read, and the same bytes would fail again on every retry.

    One INSERT, committed on its own (no transaction block: BEGIN and COMMIT would add two round
    trips to the path Meta times); the task is enqueued after that commit, or after the caller's
    if it runs inside one.
    """
    text = raw_body.decode("utf-8", errors="replace")
    event = WebhookEvent(body=text)
    try:
        json.loads(raw_body)
    except ValueError as exc:
        event.error = f"invalid JSON: {exc}"
        event.processed_at = timezone.now()
        logger.error("signed WhatsApp webhook is not JSON (%s); stored as event %s", exc, event.pk)
    event.save(force_insert=True)
    if not event.error:
        event_id = str(event.pk)
        # With the broker down the event is still stored, and the recovery sweep enqueues it later.
        transaction.on_commit(lambda: enqueue(PROCESS_WEBHOOK_EVENT, event_id), robust=True)
    return event
