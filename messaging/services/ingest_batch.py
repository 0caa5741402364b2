"""Processing stored webhook events in batches: the same statements for one event or fifty.

`process_pending()` is what the processing task runs. It claims the oldest events nobody has
processed or claimed yet (`SELECT … FOR UPDATE SKIP LOCKED`, so workers never wait for each other
and never share an event), and processes the whole batch in one transaction:

- senders' customers and conversations: read, the missing ones inserted (ON CONFLICT DO NOTHING),
  read back; the inbound messages inserted the same way, so Meta's re-deliveries (the same wamid
  again, in this batch or an earlier one) store nothing twice;
- the conversations that got new messages locked in id order and moved forward in one UPDATE;
- statuses: their messages locked in one SELECT, merged in memory by the rules of `statuses.merge`
  (never backwards; `failed` keeps DELIVERED and READ), written back in one UPDATE; statuses whose
  message is not stored yet kept as PendingStatus rows in one INSERT;
- the events marked processed in one UPDATE.

After the commit, the bot runs once per conversation with new inbound messages (it answers every
unanswered one of them, in order), and the signals go out once per salon or message as before.

A batch that fails anywhere is rolled back to its savepoint and its events are processed one by
one with `ingest.process_event`, which records each item's error on its event: one bad event
never costs the others. Events the recovery sweep re-enqueued twice (they may be what killed a
worker) are no longer batched; they are processed alone by the task that names them.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from messaging.models import (
    Conversation,
    ConversationStatus,
    Direction,
    Message,
    MessageStatus,
    PendingStatus,
    WebhookEvent,
)
from messaging.signals import (
    announce_failure,
    announce_status,
    inbound_message,
    inbound_while_paused,
    message_stored,
    send_logged,
)
from messaging.whatsapp.payloads import InboundMessage, StatusUpdate, parse_webhook
from salons.models import Customer, Salon
from salons.services import count_usage, upsert_customers
from salons.validation import normalize_phone

from . import ingest, routing
from .jobs import PROCESS_WEBHOOK_EVENT, enqueue
from .statuses import CALLBACK_PREFIX, META_STATUSES, StatusChange, apply_pending_statuses, merge

logger = logging.getLogger(__name__)

BATCH_SIZE = 50
# Events re-enqueued by the recovery sweep this many times are processed alone: one that kills
# its worker then kills nobody else's batch. Once is still batched: under a backlog older than
# the sweep's grace the sweep re-enqueues healthy events too, and they should not go one by one.
ALONE_FROM_ATTEMPTS = 2
# A task drains batches while there are full ones, for at most this long (far under the task's
# 60-second soft time limit); then it publishes its own continuation.
DRAIN_SECONDS = 20.0
NAME_LENGTH = Customer._meta.get_field("name").max_length


@dataclass
class _Event:
    row: WebhookEvent
    problems: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    salons: set = field(default_factory=set)
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)


@dataclass
class _AfterCommit:
    """What the batch announces once it is committed."""

    salons_with_messages: set = field(default_factory=set)
    answer: dict = field(default_factory=dict)  # conversation id → (newest new message id, salon id)
    acknowledge: dict = field(default_factory=dict)  # paused conversation id → (message id, salon id)
    pending_wamids: list[str] = field(default_factory=list)


def process_pending(
    *, event_id=None, limit: int = BATCH_SIZE, drain_seconds: float = DRAIN_SECONDS
) -> list[WebhookEvent]:
    """Process the task's own event if the sweep re-enqueued it, then batches while they come full.

    Returns the events processed (each with its `error`, empty when all went well).
    """
    done = _process_retried(event_id) if event_id else []
    deadline = time.monotonic() + drain_seconds
    while True:
        rows = process_batch(limit=limit)
        done.extend(rows)
        if len(rows) < limit:
            return done
        if time.monotonic() > deadline:
            enqueue(PROCESS_WEBHOOK_EVENT, "")  # a continuation: the queue may be long
            return done


def process_batch(*, limit: int = BATCH_SIZE) -> list[WebhookEvent]:
    """Claim up to `limit` fresh events and process them together; returns the events claimed."""
    with transaction.atomic():
        rows = list(
            WebhookEvent.objects.select_for_update(skip_locked=True)
            .filter(processed_at__isnull=True, attempts__lt=ALONE_FROM_ATTEMPTS)
            .order_by("received_at")[:limit]
        )
        if not rows:
            return []
        after = _AfterCommit()
        try:
            with transaction.atomic():
                _ingest(rows, after)
        except Exception:
            logger.exception("a batch of %d webhook events failed; processing them one by one", len(rows))
            for row in rows:
                _process_alone(row)
        else:
            transaction.on_commit(lambda: _announce(after), robust=True)
    return rows


def _process_retried(event_id) -> list[WebhookEvent]:
    """An event the sweep re-enqueued more than once, alone: if it crashes its worker, nothing else goes with it."""
    with transaction.atomic():
        row = (
            WebhookEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=event_id, processed_at__isnull=True, attempts__gte=ALONE_FROM_ATTEMPTS)
            .first()
        )
        if row is None:
            return []
        _process_alone(row)
    return [row]


def _process_alone(row: WebhookEvent) -> None:
    """ingest.process_event in a savepoint; what even that cannot survive is recorded on the event."""
    try:
        with transaction.atomic():
            ingest.process_event(row)
    except Exception as exc:
        logger.exception("processing webhook event %s failed", row.pk)
        row.error = f"{type(exc).__name__}: {exc}"
        WebhookEvent.objects.filter(pk=row.pk).update(
            error=row.error, processed_at=timezone.now(), attempts=F("attempts") + 1, updated_at=timezone.now()
        )


# --- the batch ---------------------------------------------------------------------------------


def _ingest(rows: list[WebhookEvent], after: _AfterCommit) -> None:
    events = [_parse(row) for row in rows]
    numbers = [m.phone_number_id for e in events for m in e.messages] + [
        s.phone_number_id for e in events for s in e.statuses
    ]
    salons = routing.salons_for_phone_number_ids(numbers) if numbers else {}
    for event in events:
        unknown = Counter(m.phone_number_id for m in event.messages if salons.get(m.phone_number_id) is None)
        unknown.update(s.phone_number_id for s in event.statuses if salons.get(s.phone_number_id) is None)
        for number, count in unknown.items():
            event.problems.append(f"phone_number_id {number}: no salon uses this number; {count} item(s) ignored")
        event.salons = {salons[n].pk for n in _numbers_of(event) if salons.get(n) is not None}

    inbound = [(m, salons[m.phone_number_id]) for e in events for m in e.messages if salons.get(m.phone_number_id)]
    if inbound:
        _store_messages(inbound, after)
    updates = [(s, salons[s.phone_number_id]) for e in events for s in e.statuses if salons.get(s.phone_number_id)]
    if updates:
        _apply_statuses(updates, events, after)
    _finish(events, salons)


def _parse(row: WebhookEvent) -> _Event:
    event = _Event(row)
    try:
        batch = parse_webhook(json.loads(row.body))
    except ValueError as exc:  # invalid JSON, or JSON that is not an object
        event.errors.append(f"unreadable body: {exc}")
        return event
    event.problems.extend(batch.problems)
    event.messages.extend(batch.messages)
    event.statuses.extend(batch.statuses)
    for other in batch.others:
        logger.info("WhatsApp webhook change %r ignored (waba %s): %s", other.field, other.waba_id, other.value)
    return event


def _numbers_of(event: _Event) -> set:
    return {m.phone_number_id for m in event.messages} | {s.phone_number_id for s in event.statuses}


def _store_messages(inbound: list[tuple[InboundMessage, Salon]], after: _AfterCommit) -> None:
    # Oldest first (wamid breaks ties): the conversation and the bot see them in the customer's
    # order, and two batches holding the same re-delivered messages insert them in the same order.
    inbound.sort(key=lambda pair: (pair[0].timestamp, pair[0].wamid))
    unique: dict[str, tuple[InboundMessage, Salon]] = {}
    for item, salon in inbound:
        unique.setdefault(item.wamid, (item, salon))

    wanted: dict[tuple, tuple[str, str]] = {}
    phone_of: dict[tuple, str] = {}
    for item, salon in unique.values():
        phone = _phone(item.wa_id)
        if phone is not None:
            phone_of[(salon.pk, item.wa_id)] = phone
            wanted.setdefault((salon.pk, phone), (item.profile_name[:NAME_LENGTH], item.wa_id))
    customers = upsert_customers(wanted)
    conversations = _conversations(
        {key: customers.get((key[0], phone)) for key, phone in phone_of.items()},
        {(salon.pk, item.wa_id) for item, salon in unique.values()},
    )

    rows = [
        Message(
            id=uuid.uuid4(),
            salon_id=salon.pk,
            conversation_id=conversations[(salon.pk, item.wa_id)].pk,
            direction=Direction.IN,
            wamid=item.wamid,
            type=item.type[:32],
            text=item.text,
            truncated=item.truncated,
            payload=item.payload,
            status=MessageStatus.RECEIVED,
            reply_id=(item.reply_id or "")[:256],
            context_wamid=(item.context_wamid or "")[:128],
            sent_at=item.timestamp,
        )
        for item, salon in unique.values()
    ]
    Message.objects.bulk_create(rows, ignore_conflicts=True)
    stored = set(Message.objects.filter(pk__in=[r.pk for r in rows]).values_list("pk", flat=True))
    new = [(row, unique[row.wamid][0], unique[row.wamid][1]) for row in rows if row.pk in stored]
    if not new:
        return

    touched: dict = {}  # conversation id → [newest sent_at, earliest asking sent_at or None]
    for row, item, _salon in new:
        times = touched.setdefault(row.conversation_id, [item.timestamp, None])
        times[0] = max(times[0], item.timestamp)
        if item.type not in ingest.NOT_A_QUESTION:
            times[1] = item.timestamp if times[1] is None else min(times[1], item.timestamp)
    # Locked in id order (two batches never wait for each other in a cycle), and read under the
    # lock: a pause committed a moment ago is seen. Conversation before usage counter, the order
    # outbound queueing locks them in too.
    paused = dict(
        Conversation.objects.select_for_update().filter(pk__in=touched).order_by("pk").values_list("pk", "bot_paused")
    )
    _touch(touched)
    per_salon = Counter(salon.pk for _row, _item, salon in new)
    salon_by_id = {salon.pk: salon for _row, _item, salon in new}
    for salon_id in sorted(per_salon, key=str):
        count_usage(salon=salon_by_id[salon_id], kind="messages", amount=per_salon[salon_id])

    after.salons_with_messages.update(per_salon)
    for row, item, salon in new:  # oldest first: the newest of each conversation is kept
        if not paused.get(row.conversation_id):
            after.answer[row.conversation_id] = (row.pk, salon.pk)
        elif item.type not in ingest.NOT_A_QUESTION:
            after.acknowledge[row.conversation_id] = (row.pk, salon.pk)


def _phone(wa_id: str) -> str | None:
    try:
        return normalize_phone(wa_id)
    except ValidationError:
        # A business-scoped user id is not a phone number: keep the conversation without a customer.
        logger.info("WhatsApp sender %r is not a phone number; no customer row", wa_id)
        return None


def _conversations(customers: dict[tuple, Customer | None], keys: set[tuple]) -> dict[tuple, Conversation]:
    """The conversations of `keys` ((salon id, wa_id)), created when missing, with their customer."""
    ordered = sorted(keys, key=lambda k: (str(k[0]), k[1]))
    found = _read_conversations(ordered)
    missing = [key for key in ordered if key not in found]
    if missing:
        Conversation.objects.bulk_create(
            [Conversation(salon_id=s, wa_id=w, customer=customers.get((s, w))) for s, w in missing],
            ignore_conflicts=True,
        )
        found.update(_read_conversations(missing))
    linked = []
    for key, conversation in found.items():
        customer = customers.get(key)
        if conversation.customer_id is None and customer is not None:
            conversation.customer, conversation.updated_at = customer, timezone.now()
            linked.append(conversation)
    if linked:
        Conversation.objects.bulk_update(linked, ["customer", "updated_at"])
    return found


def _read_conversations(keys: list[tuple]) -> dict[tuple, Conversation]:
    by_salon: dict = {}
    for salon_id, wa_id in keys:
        by_salon.setdefault(salon_id, []).append(wa_id)
    matching = Q()
    for salon_id, wa_ids in by_salon.items():
        matching |= Q(salon_id=salon_id, wa_id__in=wa_ids)
    return {(c.salon_id, c.wa_id): c for c in Conversation.objects.filter(matching)}


def _touch(touched: dict) -> None:
    """Move each conversation's window and recency forward (never back), reopen it, mark it waiting."""
    stamp = _by_value({pk: times[0] for pk, times in touched.items()}, default=None)
    changes = {
        "last_inbound_at": Greatest(Coalesce(F("last_inbound_at"), stamp), stamp),
        "last_message_at": Greatest(Coalesce(F("last_message_at"), stamp), stamp),
        "status": ConversationStatus.OPEN,
        "updated_at": timezone.now(),
    }
    asking = {pk: times[1] for pk, times in touched.items() if times[1] is not None}
    if asking:
        ask = _by_value(asking, default=F("waiting_since"))
        changes["waiting_since"] = Least(Coalesce(F("waiting_since"), ask), ask)
    Conversation.objects.filter(pk__in=list(touched)).update(**changes)


def _by_value(values: dict, *, default, output_field=None):
    """CASE choosing each row's value by primary key, one WHEN per distinct value (not per row)."""
    rows_of: dict = {}
    for pk, value in values.items():
        rows_of.setdefault(value, []).append(pk)
    whens = [When(pk__in=pks, then=Value(value)) for value, pks in rows_of.items()]
    return Case(*whens, default=default, output_field=output_field or DateTimeField())


def _apply_statuses(updates: list[tuple[StatusUpdate, Salon]], events: list[_Event], after: _AfterCommit) -> None:
    problems_of = {id(s): e.problems for e in events for s in e.statuses}
    changes: dict[str, list[StatusChange]] = {}
    salon_of: dict[str, Salon] = {}
    callbacks: dict[str, uuid.UUID] = {}
    for update, salon in updates:
        status = META_STATUSES.get(update.status)
        if status is None:
            problems_of[id(update)].append(f"status {update.wamid}: unknown status {update.status!r} ignored")
            continue
        change = StatusChange(status, update.timestamp, update.error_code, update.error_title)
        changes.setdefault(update.wamid, []).append(change)
        salon_of.setdefault(update.wamid, salon)
        callback = _callback_id(update.payload.get("biz_opaque_callback_data"))
        if callback is not None:
            callbacks.setdefault(update.wamid, callback)
    if not changes:
        return

    matching = Q(wamid__in=list(changes))
    if callbacks:
        matching |= Q(pk__in=list(callbacks.values()), wamid__isnull=True)
    # Locked in id order; a message found by its callback data (the send task has not stored the
    # wamid yet) gets the wamid here, as statuses.apply_status does.
    locked = list(Message.objects.select_for_update().filter(matching, direction=Direction.OUT).order_by("pk"))
    by_wamid = {m.wamid: m for m in locked if m.wamid}
    by_id = {m.pk: m for m in locked if not m.wamid}
    now = timezone.now()
    written: dict = {}
    fields: set[str] = set()
    unmatched: list[str] = []
    for wamid, wamid_changes in changes.items():
        salon = salon_of[wamid]
        message = by_wamid.get(wamid)
        if message is None or message.salon_id != salon.pk:
            message = by_id.pop(callbacks.get(wamid), None)
            if message is None or message.salon_id != salon.pk:
                unmatched.append(wamid)
                continue
            message.wamid = wamid
            fields.add("wamid")
            logger.info("status for %s arrived before the send finished; wamid taken from its callback data", wamid)
        was = message.status
        for change in sorted(wamid_changes, key=lambda c: c.timestamp):  # the latest failure's error is kept
            fields.update(merge(message, change))
        message.updated_at = now
        written[message.pk] = message
        if message.status != was:
            announce_status(
                message.pk,
                salon_id=message.salon_id,
                status=message.status,
                idempotency_key=message.idempotency_key or "",
            )
            if message.status == MessageStatus.FAILED:
                announce_failure(message.pk)
    if fields:
        Message.objects.bulk_update(list(written.values()), [*sorted(fields), "updated_at"])
    if unmatched:
        PendingStatus.objects.bulk_create(
            [
                PendingStatus(
                    salon=salon_of[wamid],
                    wamid=wamid,
                    status=change.status,
                    timestamp=change.timestamp,
                    error_code=change.error_code,
                    error_title=change.error_title[:500],
                )
                for wamid in sorted(unmatched)
                for change in changes[wamid]
            ],
            ignore_conflicts=True,
        )
        after.pending_wamids.extend(unmatched)


def _callback_id(value) -> uuid.UUID | None:
    if not isinstance(value, str) or not value.startswith(CALLBACK_PREFIX):
        return None
    try:
        return uuid.UUID(value.removeprefix(CALLBACK_PREFIX))
    except ValueError:
        return None


def _finish(events: list[_Event], salons: dict) -> None:
    """Mark the batch processed in one UPDATE; CASEs only for what differs (salon, problems, errors)."""
    now = timezone.now()
    salon_of, problems_of, errors_of = {}, {}, {}
    for event in events:
        row = event.row
        row.salon_id = next(iter(event.salons)) if len(event.salons) == 1 else None
        row.problems, row.error = event.problems, "\n".join(event.errors)
        row.processed_at, row.attempts, row.updated_at = now, row.attempts + 1, now
        salon_of[row.pk] = row.salon_id
        if row.problems:
            problems_of[row.pk] = row.problems
        if row.error:
            errors_of[row.pk] = row.error
    changes = {
        "salon_id": _by_value(salon_of, default=None, output_field=WebhookEvent._meta.get_field("salon_id")),
        "processed_at": now,
        "attempts": F("attempts") + 1,
        "updated_at": now,
    }
    if problems_of:
        problems = WebhookEvent._meta.get_field("problems")
        whens = [When(pk=pk, then=Value(value, output_field=problems)) for pk, value in problems_of.items()]
        changes["problems"] = Case(*whens, default=F("problems"), output_field=problems)
    if errors_of:
        whens = [When(pk=pk, then=Value(value)) for pk, value in errors_of.items()]
        changes["error"] = Case(*whens, default=F("error"), output_field=WebhookEvent._meta.get_field("error"))
    WebhookEvent.objects.filter(pk__in=[e.row.pk for e in events]).update(**changes)


def _announce(after: _AfterCommit) -> None:
    """After the commit: the receivers of each signal, and statuses that raced their send."""
    for salon_id in after.salons_with_messages:
        send_logged(message_stored, salon_id=salon_id, direction=Direction.IN)
    for conversation_id, (message_id, salon_id) in after.answer.items():
        send_logged(inbound_message, message_id=message_id, conversation_id=conversation_id, salon_id=salon_id)
    for conversation_id, (message_id, salon_id) in after.acknowledge.items():
        send_logged(inbound_while_paused, message_id=message_id, conversation_id=conversation_id, salon_id=salon_id)
    if after.pending_wamids:
        # The send task stores the wamid and then looks for pending rows; the batch committed its
        # pending rows and now looks for the wamids: one of the two sees the other's write.
        stored = Message.objects.filter(wamid__in=after.pending_wamids, direction=Direction.OUT)
        for wamid in stored.values_list("wamid", flat=True):
            apply_pending_statuses(wamid=wamid)
