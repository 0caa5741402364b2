"""`manage.py chat --salon <id> --phone <E.164>`: talk to a salon's WhatsApp bot in the terminal.

Each typed line becomes a real Meta webhook body (a text message, or the tap on a row or button
when the line is its number) and goes through the same services as a signed webhook: stored as a
WebhookEvent, processed (routing, customer, conversation, message), answered by the bot, sent.
Tasks run in this process and replies are kept by the memory backend, so no Redis, worker or Meta
account is needed. Lines are read one by one from stdin, so a session can be scripted:

    printf 'hi\\n1\\n1\\n' | manage.py chat --salon <id> --phone +4915112345678
"""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from messaging.models import Direction, Message
from messaging.services.webhooks import receive_webhook
from messaging.whatsapp import backends
from salonbot.celery import app as celery_app
from salons.models import Salon
from salons.validation import normalize_phone

QUIET_LOGGERS = ("celery", "messaging", "httpx", "bookings", "salons", "analytics")


class Command(BaseCommand):
    help = "Chat with a salon's WhatsApp bot in the terminal, through the webhook's own processing."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--salon", required=True, help="The salon's id.")
        parser.add_argument("--phone", required=True, help="The customer's phone number in E.164, e.g. +4915112345678.")
        parser.add_argument("--name", default="Chat Customer", help="The customer's WhatsApp profile name.")

    def handle(self, *args, **options):
        try:
            salon = Salon.objects.filter(pk=options["salon"]).first()
        except ValidationError:
            salon = None
        if salon is None:
            raise CommandError(f"No salon with id {options['salon']!r}.")
        if not salon.whatsapp_phone_number_id:
            raise CommandError(f"Salon {salon.name} has no whatsapp_phone_number_id: nothing would route to it.")
        try:
            wa_id = normalize_phone(options["phone"]).lstrip("+")
        except ValidationError as exc:
            raise CommandError(f"{options['phone']!r} is not a phone number in E.164.") from exc

        if options["verbosity"] < 2:
            for name in QUIET_LOGGERS:
                logging.getLogger(name).setLevel(logging.WARNING)
            # Eager tasks never reach a broker; kombu still warns about the unused filesystem URL.
            logging.getLogger("kombu").setLevel(logging.ERROR)
        # In-process: tasks run eagerly, replies are kept in memory and printed here.
        eager = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = True
        try:
            with override_settings(WHATSAPP_BACKEND=f"{__name__}.ChatBackend"):
                self._chat(salon, wa_id, options)
        finally:
            celery_app.conf.task_always_eager = eager

    def _chat(self, salon: Salon, wa_id: str, options) -> None:
        backends.reset()
        session = ChatSession(salon=salon, wa_id=wa_id, name=options["name"])
        stream = options.get("stdin") or sys.stdin
        echo = not (hasattr(stream, "isatty") and stream.isatty())
        self.stdout.write(
            f"Chatting with {salon.name} as +{wa_id}. Type a message; a number picks that row or button. Ctrl-D ends."
        )
        for raw_line in stream:
            line = raw_line.strip()
            if not line:
                continue
            chosen = session.option(line)
            if echo:
                self.stdout.write(f"\nyou> {line}" + (f"  [{chosen[1]}]" if chosen else ""))
            for body in session.send(line, chosen):
                self.stdout.write(render(body))
        self.stdout.write("")


class ChatBackend(backends.MemoryBackend):
    """The memory backend with wamids unique across runs: the chat's messages stay in the database."""

    def send(self, *, phone_number_id: str, body: dict[str, Any]) -> str:
        super().send(phone_number_id=phone_number_id, body=body)
        return f"wamid.chat-out-{uuid.uuid4().hex}"


class ChatSession:
    """One customer's side: builds Meta's webhook bodies and collects the bot's replies."""

    def __init__(self, *, salon: Salon, wa_id: str, name: str) -> None:
        self.salon = salon
        self.wa_id = wa_id
        self.name = name
        self.last_interactive: dict[str, Any] | None = None
        self._seen = len(backends.outbox)

    def option(self, line: str) -> tuple[str, str] | None:
        """The (id, title) a typed number picks from the last interactive message, if it does."""
        if not line.isdigit() or self.last_interactive is None:
            return None
        choices = options_of(self.last_interactive)
        number = int(line)
        return choices[number - 1] if 1 <= number <= len(choices) else None

    def send(self, line: str, chosen: tuple[str, str] | None) -> list[dict[str, Any]]:
        item: dict[str, Any] = {
            "from": self.wa_id,
            "id": f"wamid.chat-{uuid.uuid4().hex}",
            "timestamp": str(int(time.time())),
        }
        if chosen is not None:
            kind = "button_reply" if self.last_interactive["interactive"]["type"] == "button" else "list_reply"
            item.update(type="interactive", interactive={"type": kind, kind: {"id": chosen[0], "title": chosen[1]}})
            context = self._last_outbound_wamid()
            if context:
                item["context"] = {"from": self.salon.phone or "0", "id": context}
        else:
            item.update(type="text", text={"body": line})
        body = {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "chat",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": self.salon.phone or "0",
                                    "phone_number_id": self.salon.whatsapp_phone_number_id,
                                },
                                "contacts": [{"profile": {"name": self.name}, "wa_id": self.wa_id}],
                                "messages": [item],
                            },
                        }
                    ],
                }
            ],
        }
        # What the webhook view does once the signature checks out: store, then process (eagerly).
        receive_webhook(raw_body=json.dumps(body).encode())
        replies = [b for _number, b in backends.outbox[self._seen :]]
        self._seen = len(backends.outbox)
        for reply in replies:
            if reply.get("type") == "interactive":
                self.last_interactive = reply
        return replies

    def _last_outbound_wamid(self) -> str | None:
        return (
            Message.objects.filter(salon=self.salon, direction=Direction.OUT, conversation__wa_id=self.wa_id)
            .exclude(wamid=None)
            .order_by("-created_at")
            .values_list("wamid", flat=True)
            .first()
        )


def options_of(body: dict[str, Any]) -> list[tuple[str, str]]:
    interactive = body.get("interactive") or {}
    if interactive.get("type") == "list":
        return [(r["id"], r["title"]) for s in interactive["action"]["sections"] for r in s["rows"]]
    if interactive.get("type") == "button":
        return [(b["reply"]["id"], b["reply"]["title"]) for b in interactive["action"]["buttons"]]
    return []


def render(body: dict[str, Any]) -> str:
    """A reply as a person would read it: the text, then the numbered rows or buttons."""
    kind = body.get("type")
    if kind == "text":
        return _bot(body["text"]["body"])
    if kind == "template":
        return _bot(f"(template {body['template']['name']})")
    interactive = body.get("interactive") or {}
    lines = [_bot(interactive.get("body", {}).get("text", ""))]
    if interactive.get("type") == "list":
        lines.append(f"     [{interactive['action']['button']}]")
        rows = [r for s in interactive["action"]["sections"] for r in s["rows"]]
        for number, row in enumerate(rows, start=1):
            description = f" — {row['description']}" if row.get("description") else ""
            lines.append(f"     {number:>2}. {row['title']}{description}")
    else:
        buttons = interactive.get("action", {}).get("buttons", [])
        lines.append("     " + "   ".join(f"({n}) {b['reply']['title']}" for n, b in enumerate(buttons, start=1)))
    return "\n".join(lines)


def _bot(text: str) -> str:
    first, *rest = text.splitlines() or [""]
    return "\n".join([f"bot> {first}", *(f"     {line}" for line in rest)])
