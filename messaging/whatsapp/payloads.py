"""Webhook bodies from the Cloud API, normalised into small frozen dataclasses.

Every `entry[]`, `changes[]`, `messages[]` and `statuses[]` is read: Meta batches them, and the
integrations that read only `[0]` lose the rest. A piece we cannot understand is skipped and
described in `WebhookBatch.problems`; it never raises, because one odd item must not cost the
other items of the batch (the raw body is stored upstream, so nothing is lost for good).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

logger = logging.getLogger(__name__)

WABA_OBJECT = "whatsapp_business_account"
MESSAGES_FIELD = "messages"

# The Cloud API caps a text at 4,096 characters: anything longer did not come from a phone, and is
# cut (and flagged) rather than stored whole.
MAX_INBOUND_TEXT = 4096
NUL = "\x00"
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"

# The interactive replies we split into their own types; other interactive kinds (Flows'
# `nfm_reply`, ...) keep type "interactive" and their raw message in `payload`.
INTERACTIVE_REPLY_TYPES = frozenset({"button_reply", "list_reply"})


@dataclass(frozen=True)
class InboundMessage:
    """One item of `value.messages[]`, with the fields the bot needs lifted out."""

    phone_number_id: str
    display_phone_number: str
    wa_id: str
    profile_name: str
    wamid: str
    timestamp: datetime
    # The WhatsApp type, except that interactive replies are "button_reply" / "list_reply".
    type: str
    # What a person would read: text body, chosen title, caption, place, emoji ("" if none).
    text: str
    # The message this one answers (`context.id`); for a reaction, the message reacted to.
    context_wamid: str | None
    # The id of the chosen button or list row, or a template quick-reply's payload.
    reply_id: str | None
    payload: dict[str, Any] = dataclasses.field(hash=False, repr=False)
    # The text was longer than MAX_INBOUND_TEXT and was cut to it (in `payload` too).
    truncated: bool = False


@dataclass(frozen=True)
class StatusUpdate:
    """One item of `value.statuses[]`: sent, delivered, read, failed or played."""

    phone_number_id: str
    wamid: str
    status: str
    timestamp: datetime
    recipient_id: str
    error_code: int | None
    error_title: str
    payload: dict[str, Any] = dataclasses.field(hash=False, repr=False)


@dataclass(frozen=True)
class OtherChange:
    """A change that is not a message or a status (template status, account update, errors)."""

    field: str
    value: dict[str, Any] = dataclasses.field(hash=False)
    # The WhatsApp Business Account (`entry[].id`): these changes carry no phone_number_id.
    waba_id: str = ""


@dataclass(frozen=True)
class WebhookBatch:
    messages: tuple[InboundMessage, ...] = ()
    statuses: tuple[StatusUpdate, ...] = ()
    others: tuple[OtherChange, ...] = ()
    problems: tuple[str, ...] = ()


@dataclass
class _Collector:
    messages: list[InboundMessage] = dataclasses.field(default_factory=list)
    statuses: list[StatusUpdate] = dataclasses.field(default_factory=list)
    others: list[OtherChange] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)

    def problem(self, path: str, what: str) -> None:
        self.problems.append(f"{path}: {what}")

    def batch(self) -> WebhookBatch:
        if self.problems:
            logger.warning("WhatsApp webhook had %d unreadable piece(s): %s", len(self.problems), self.problems)
        return WebhookBatch(
            messages=tuple(self.messages),
            statuses=tuple(self.statuses),
            others=tuple(self.others),
            problems=tuple(self.problems),
        )


@dataclass(frozen=True)
class _Metadata:
    phone_number_id: str
    display_phone_number: str


def parse_webhook(body: dict[str, Any]) -> WebhookBatch:
    """Read every message, status and other change of a webhook body (the decoded JSON)."""
    if not isinstance(body, dict):
        raise ValueError(f"a WhatsApp webhook body is a JSON object, not {_kind(body)}")
    # PostgreSQL's text and jsonb cannot hold U+0000, and no database column takes a lone
    # surrogate (valid as a JSON escape, not as UTF-8): a customer's text is kept without them.
    body = _storable(body)
    out = _Collector()
    obj = body.get("object")
    # Without `object` we still try (hand-written fixtures often omit it); another product's
    # webhook (Messenger's "page", ...) has other shapes and is not ours to read.
    if obj is not None and obj != WABA_OBJECT:
        out.problem("object", f"expected {WABA_OBJECT!r}, got {obj!r}; body ignored")
        return out.batch()
    entries = body.get("entry")
    if not isinstance(entries, list):
        out.problem("entry", f"expected a list, got {_kind(entries)}")
        return out.batch()
    for i, entry in enumerate(entries):
        _guarded(out, f"entry[{i}]", lambda path, entry=entry: _parse_entry(entry, path, out))
    return out.batch()


def _guarded(out: _Collector, path: str, parse: Callable[[str], None]) -> None:
    # A last line of defence: a shape Meta invents tomorrow must cost one piece, not the batch.
    try:
        parse(path)
    except Exception as exc:
        logger.exception("Unexpected error reading %s of a WhatsApp webhook", path)
        out.problem(path, f"unreadable ({type(exc).__name__}: {exc})")


def _parse_entry(entry: Any, path: str, out: _Collector) -> None:
    if not isinstance(entry, dict):
        out.problem(path, f"expected an object, got {_kind(entry)}")
        return
    waba_id = _as_id(entry.get("id")) or ""
    changes = entry.get("changes")
    if not isinstance(changes, list):
        out.problem(f"{path}.changes", f"expected a list, got {_kind(changes)}")
        return
    for j, change in enumerate(changes):
        _guarded(
            out,
            f"{path}.changes[{j}]",
            lambda change_path, change=change: _parse_change(change, change_path, waba_id, out),
        )


def _parse_change(change: Any, path: str, waba_id: str, out: _Collector) -> None:
    if not isinstance(change, dict):
        out.problem(path, f"expected an object, got {_kind(change)}")
        return
    field_name = change.get("field")
    value = change.get("value")
    if not isinstance(field_name, str) or not field_name:
        out.problem(f"{path}.field", f"expected a non-empty string, got {_kind(field_name)}")
        return
    if not isinstance(value, dict):
        out.problem(f"{path}.value", f"expected an object, got {_kind(value)}")
        return
    if field_name != MESSAGES_FIELD or ("messages" not in value and "statuses" not in value):
        # Template and account updates, and the out-of-band `value.errors` webhook: the caller
        # decides; answering 200 to fields we do not use is what stops Meta's 7 days of retries.
        out.others.append(OtherChange(field=field_name, value=value, waba_id=waba_id))
        return

    path = f"{path}.value"
    raw_messages = _list_or_problem(value, "messages", path, out)
    raw_statuses = _list_or_problem(value, "statuses", path, out)
    metadata = _parse_metadata(value.get("metadata"), f"{path}.metadata", out)
    if metadata is None:
        if raw_messages or raw_statuses:
            out.problem(
                path,
                f"{len(raw_messages)} message(s) and {len(raw_statuses)} status(es) skipped: "
                "without metadata.phone_number_id they cannot be routed to a salon",
            )
        return
    names = _contact_names(value.get("contacts"), f"{path}.contacts", out)
    for k, raw in enumerate(raw_messages):
        _guarded(
            out,
            f"{path}.messages[{k}]",
            lambda item_path, raw=raw: _parse_message(raw, item_path, metadata, names, out),
        )
    for k, raw in enumerate(raw_statuses):
        _guarded(
            out,
            f"{path}.statuses[{k}]",
            lambda item_path, raw=raw: _parse_status(raw, item_path, metadata, value, out),
        )


def _list_or_problem(value: dict[str, Any], key: str, path: str, out: _Collector) -> list[Any]:
    items = value.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        out.problem(f"{path}.{key}", f"expected a list, got {_kind(items)}")
        return []
    return items


def _parse_metadata(metadata: Any, path: str, out: _Collector) -> _Metadata | None:
    if not isinstance(metadata, dict):
        out.problem(path, f"expected an object, got {_kind(metadata)}")
        return None
    phone_number_id = _as_id(metadata.get("phone_number_id"))
    if not phone_number_id:
        out.problem(f"{path}.phone_number_id", "missing or not a string")
        return None
    display = _as_id(metadata.get("display_phone_number")) or ""
    return _Metadata(phone_number_id=phone_number_id, display_phone_number=display)


def _contact_names(contacts: Any, path: str, out: _Collector) -> dict[str, str]:
    """Map wa_id → profile name; `contacts` is absent for business-scoped user ids."""
    names: dict[str, str] = {}
    if contacts is None:
        return names
    if not isinstance(contacts, list):
        out.problem(path, f"expected a list, got {_kind(contacts)}")
        return names
    for i, contact in enumerate(contacts):
        wa_id = _as_id(contact.get("wa_id")) if isinstance(contact, dict) else None
        if not wa_id:
            out.problem(f"{path}[{i}]", "no wa_id; its profile name is not used")
            continue
        profile = contact.get("profile")
        name = profile.get("name") if isinstance(profile, dict) else None
        names[wa_id] = name if isinstance(name, str) else ""
    return names


def _parse_message(raw: Any, path: str, metadata: _Metadata, names: dict[str, str], out: _Collector) -> None:
    if not isinstance(raw, dict):
        out.problem(path, f"expected an object, got {_kind(raw)}")
        return
    wamid = _as_id(raw.get("id"))
    sender = _as_id(raw.get("from"))
    timestamp = _parse_timestamp(raw.get("timestamp"))
    wa_type = raw.get("type")
    missing = [
        name
        for name, ok in (
            ("id", wamid),
            ("from", sender),
            ("timestamp", timestamp),
            ("type", isinstance(wa_type, str) and wa_type),
        )
        if not ok
    ]
    if missing:
        out.problem(path, f"message skipped, missing or invalid: {', '.join(missing)}")
        return
    assert wamid and sender and timestamp and isinstance(wa_type, str)  # narrowed for type checkers

    context = raw.get("context")
    context_wamid = _as_id(context.get("id")) if isinstance(context, dict) else None
    extract = _EXTRACTORS.get(wa_type, _extract_nothing)
    content = extract(raw, wa_type, path, out)
    text, truncated = content.text, len(content.text) > MAX_INBOUND_TEXT
    if truncated:
        text, raw = text[:MAX_INBOUND_TEXT], _capped(raw)
        out.problem(path, f"text of {len(content.text)} characters cut to {MAX_INBOUND_TEXT}")
    out.messages.append(
        InboundMessage(
            phone_number_id=metadata.phone_number_id,
            display_phone_number=metadata.display_phone_number,
            wa_id=sender,
            profile_name=names.get(sender, ""),
            wamid=wamid,
            timestamp=timestamp,
            type=content.type,
            text=text,
            context_wamid=context_wamid or content.context_wamid,
            reply_id=content.reply_id,
            payload=raw,
            truncated=truncated,
        )
    )


def _storable(value: Any) -> Any:
    """`value` with U+0000 removed from every string in it (keys too) and each lone surrogate made
    U+FFFD; the same object if no string needed it."""
    if isinstance(value, str):
        if NUL in value:
            value = value.replace(NUL, "")
        return LONE_SURROGATE.sub(REPLACEMENT, value) if LONE_SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


def _capped(value: Any) -> Any:
    """`value` with every string cut to MAX_INBOUND_TEXT characters: the stored copy stays small."""
    if isinstance(value, str):
        return value[:MAX_INBOUND_TEXT]
    if isinstance(value, dict):
        return {k: _capped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_capped(v) for v in value]
    return value


@dataclass(frozen=True)
class _Content:
    type: str
    text: str = ""
    reply_id: str | None = None
    context_wamid: str | None = None


def _body_object(raw: dict[str, Any], key: str, path: str, out: _Collector) -> dict[str, Any]:
    """The type-named sub-object (`raw["text"]`, ...); a bad one keeps the message, text empty."""
    inner = raw.get(key)
    if isinstance(inner, dict):
        return inner
    out.problem(f"{path}.{key}", f"expected an object, got {_kind(inner)}; message kept without its content")
    return {}


def _extract_text(raw: dict[str, Any], wa_type: str, path: str, out: _Collector) -> _Content:
    return _Content(wa_type, text=_as_str(_body_object(raw, "text", path, out).get("body")))


def _extract_interactive(raw: dict[str, Any], wa_type: str, path: str, out: _Collector) -> _Content:
    interactive = _body_object(raw, "interactive", path, out)
    kind = interactive.get("type")
    if not isinstance(kind, str) or kind not in INTERACTIVE_REPLY_TYPES:
        return _Content(wa_type)
    reply = interactive.get(kind)
    if not isinstance(reply, dict):
        out.problem(f"{path}.interactive.{kind}", f"expected an object, got {_kind(reply)}")
        return _Content(kind)
    return _Content(kind, text=_as_str(reply.get("title")), reply_id=_as_id(reply.get("id")))


def _extract_template_button(raw: dict[str, Any], wa_type: str, path: str, out: _Collector) -> _Content:
    button = _body_object(raw, "button", path, out)
    return _Content(wa_type, text=_as_str(button.get("text")), reply_id=_as_id(button.get("payload")))


def _extract_caption(raw: dict[str, Any], wa_type: str, path: str, out: _Collector) -> _Content:
    return _Content(wa_type, text=_as_str(_body_object(raw, wa_type, path, out).get("caption")))


def _extract_location(raw: dict[str, Any], wa_type: str, path: str, out: _Collector) -> _Content:
    location = _body_object(raw, "location", path, out)
    place = ", ".join(part for part in (_as_str(location.get("name")), _as_str(location.get("address"))) if part)
    if place:
        return _Content(wa_type, text=place)
    latitude, longitude = location.get("latitude"), location.get("longitude")
    if _is_number(latitude) and _is_number(longitude):
        return _Content(wa_type, text=f"{latitude},{longitude}")
    return _Content(wa_type)


def _extract_reaction(raw: dict[str, Any], wa_type: str, path: str, out: _Collector) -> _Content:
    reaction = _body_object(raw, "reaction", path, out)
    # A removed reaction has an empty or absent emoji: text "" tells the two apart.
    return _Content(wa_type, text=_as_str(reaction.get("emoji")), context_wamid=_as_id(reaction.get("message_id")))


def _extract_contacts(raw: dict[str, Any], wa_type: str, path: str, out: _Collector) -> _Content:
    cards = raw.get("contacts")
    if not isinstance(cards, list):
        out.problem(f"{path}.contacts", f"expected a list, got {_kind(cards)}; message kept without its content")
        return _Content(wa_type)
    names = []
    for card in cards:
        name = card.get("name") if isinstance(card, dict) else None
        formatted = _as_str(name.get("formatted_name")) if isinstance(name, dict) else ""
        if formatted:
            names.append(formatted)
    return _Content(wa_type, text=", ".join(names))


def _extract_system(raw: dict[str, Any], wa_type: str, path: str, out: _Collector) -> _Content:
    return _Content(wa_type, text=_as_str(_body_object(raw, "system", path, out).get("body")))


def _extract_nothing(raw: dict[str, Any], wa_type: str, path: str, out: _Collector) -> _Content:
    # audio, sticker, unsupported, order, and types WhatsApp adds later: the raw message stays
    # in `payload` for whoever wants it.
    return _Content(wa_type)


_EXTRACTORS: dict[str, Callable[[dict[str, Any], str, str, _Collector], _Content]] = {
    "text": _extract_text,
    "interactive": _extract_interactive,
    "button": _extract_template_button,
    "image": _extract_caption,
    "video": _extract_caption,
    "document": _extract_caption,
    "location": _extract_location,
    "reaction": _extract_reaction,
    "contacts": _extract_contacts,
    "system": _extract_system,
}


def _parse_status(raw: Any, path: str, metadata: _Metadata, value: dict[str, Any], out: _Collector) -> None:
    if not isinstance(raw, dict):
        out.problem(path, f"expected an object, got {_kind(raw)}")
        return
    wamid = _as_id(raw.get("id"))
    status = raw.get("status")
    timestamp = _parse_timestamp(raw.get("timestamp"))
    missing = [
        name
        for name, ok in (("id", wamid), ("status", isinstance(status, str) and status), ("timestamp", timestamp))
        if not ok
    ]
    if missing:
        out.problem(path, f"status skipped, missing or invalid: {', '.join(missing)}")
        return
    assert wamid and isinstance(status, str) and timestamp  # narrowed for type checkers

    errors = raw.get("errors")
    if not errors and status == "failed":
        # pywa also finds a failure's errors on the enclosing value (`value.errors`).
        errors = value.get("errors")
    error_code, error_title = _first_error(errors)
    out.statuses.append(
        StatusUpdate(
            phone_number_id=metadata.phone_number_id,
            wamid=wamid,
            status=status,
            timestamp=timestamp,
            recipient_id=_as_id(raw.get("recipient_id")) or "",
            error_code=error_code,
            error_title=error_title,
            payload=raw,
        )
    )


def _first_error(errors: Any) -> tuple[int | None, str]:
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return None, ""
    error = errors[0]
    code = error.get("code")
    if isinstance(code, str) and code.isascii() and code.isdigit():
        code = int(code)
    title = _as_str(error.get("title")) or _as_str(error.get("message"))
    return (code if isinstance(code, int) and not isinstance(code, bool) else None), title


def _parse_timestamp(value: Any) -> datetime | None:
    """Meta sends epoch seconds as a string; hand-made payloads sometimes use an int."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _as_id(value: Any) -> str | None:
    """Ids and phone numbers are strings in Meta's payloads; accept ints from hand-made ones."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__
