"""A salon open around the clock and a customer chatting with it through the real webhook.

Masters work every day 00:00–23:59, so whatever the time of day the tests run, the next free
slots are at most an hour (the notice) away and "tomorrow at 3pm" is free.
"""

from __future__ import annotations

import itertools
import time
from decimal import Decimal

import pytest

from messaging.models import Conversation
from messaging.whatsapp.messages import validate_outbound
from tests import factories
from tests.messaging import meta
from tests.messaging.conftest import PHONE_NUMBER_ID

ALL_DAY = {"enabled": True, "start": "00:00", "end": "23:59"}
EVERY_DAY = {
    day: dict(ALL_DAY) for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}


@pytest.fixture
def salon(owner):
    return factories.SalonFactory(
        owner=owner, name="Studio Nord", whatsapp_phone_number_id=PHONE_NUMBER_ID, timezone="Europe/Berlin"
    )


def open_salon(salon, *, language="en", services=None, masters=None):
    """Services and masters (all doing everything, every day): names in the salon's language."""
    salon.language = language
    salon.save(update_fields=["language"])
    services = services or (
        [("Haircut", 60, "35.00"), ("Manicure", 45, "30.00")]
        if language == "en"
        else [("Стрижка", 60, "1500.00"), ("Маникюр", 45, "1200.00")]
    )
    masters = masters or (["Anna", "Bea"] if language == "en" else ["Анна", "Мария"])
    made = [
        factories.ServiceFactory(salon=salon, name=name, duration_minutes=minutes, price=Decimal(price))
        for name, minutes, price in services
    ]
    staff = [
        factories.MasterFactory(salon=salon, name=name, services=made, working_hours=dict(EVERY_DAY))
        for name in masters
    ]
    return made, staff


@pytest.fixture
def shop(salon):
    return open_salon(salon)


class Chat:
    """One customer's side of the chat: what they send (signed, to the webhook) and what they got."""

    _wamids = itertools.count(1)

    def __init__(self, post_webhook, fake_graph, sender=meta.CUSTOMER):
        self.post = post_webhook
        self.graph = fake_graph
        self.sender = sender
        self.ts = int(time.time())
        self.taps = 0

    def _send(self, item):
        before = len(self.graph.received)
        response = self.post(meta.messages(item))
        assert response.status_code == 200
        self.ts += 1
        return [body for _number, body in self.graph.received[before:] if body.get("to") == self.sender]

    def wamid(self) -> str:
        return f"wamid.BOT-{next(self._wamids)}"

    def say(self, text: str) -> list[dict]:
        return self._send(meta.text(self.wamid(), text, ts=self.ts, sender=self.sender))

    def tap(self, reply_id: str, title: str = "tap") -> list[dict]:
        """A row or a button of an earlier message, by its id."""
        self.taps += 1
        last = self.last
        if last.get("interactive", {}).get("type") == "button" and reply_id in [o[0] for o in options(last)]:
            item = meta.button_reply(self.wamid(), reply_id, title, ts=self.ts, sender=self.sender)
        else:
            item = meta.list_reply(self.wamid(), reply_id, title, ts=self.ts, sender=self.sender)
        return self._send(item)

    def choose(self, number: int) -> list[dict]:
        """The `number`-th row or button (1-based) of the last message."""
        reply_id, title = options(self.last)[number - 1]
        return self.tap(reply_id, title)

    def choose_title(self, title: str) -> list[dict]:
        for reply_id, shown in options(self.last):
            if shown == title:
                return self.tap(reply_id, shown)
        raise AssertionError(f"no option {title!r} in {options(self.last)}")

    def idle(self, minutes: int) -> None:
        self.ts += minutes * 60

    @property
    def sent(self) -> list[dict]:
        """What this customer received (other chats share the fake Graph API)."""
        return [body for _number, body in self.graph.received if body.get("to") == self.sender]

    @property
    def last(self) -> dict:
        return self.sent[-1]

    def conversation(self) -> Conversation:
        return Conversation.objects.get(wa_id=self.sender)


def options(body: dict) -> list[tuple[str, str]]:
    interactive = body.get("interactive") or {}
    if interactive.get("type") == "list":
        return [(r["id"], r["title"]) for s in interactive["action"]["sections"] for r in s["rows"]]
    if interactive.get("type") == "button":
        return [(b["reply"]["id"], b["reply"]["title"]) for b in interactive["action"]["buttons"]]
    return []


def text_of(body: dict) -> str:
    if body.get("type") == "text":
        return body["text"]["body"]
    return body["interactive"]["body"]["text"]


def assert_within_limits(bodies) -> None:
    """Every message the fake Graph received keeps Meta's limits, checked twice over."""
    for body in bodies:
        assert validate_outbound(body) == [], body
        interactive = body.get("interactive")
        if not interactive:
            continue
        if interactive["type"] == "list":
            rows = [r for s in interactive["action"]["sections"] for r in s["rows"]]
            assert 1 <= len(rows) <= 10
            assert all(len(r["title"]) <= 24 and len(r.get("description", "")) <= 72 for r in rows)
            assert len(interactive["action"]["button"]) <= 20
        else:
            buttons = interactive["action"]["buttons"]
            assert 1 <= len(buttons) <= 3
            assert all(len(b["reply"]["title"]) <= 20 for b in buttons)
        assert len(interactive["body"]["text"]) <= 1024


def known_customer(salon, name: str = "Marta", sender: str = meta.CUSTOMER):
    """A customer who told the salon their name before: the bot does not ask it again."""
    return factories.CustomerFactory(salon=salon, phone=f"+{sender}", wa_id=sender, name=name, name_confirmed=True)


@pytest.fixture
def chat(post_webhook, fake_graph, shop, salon):
    """A customer the salon knows by name (no name question before the confirmation)."""
    known_customer(salon)
    conversation_chat = Chat(post_webhook, fake_graph)
    yield conversation_chat
    assert_within_limits(conversation_chat.sent)


@pytest.fixture
def new_chat(post_webhook, fake_graph, shop):
    """A first-time customer: only their WhatsApp profile name ("Marta Reis") is known."""
    conversation_chat = Chat(post_webhook, fake_graph)
    yield conversation_chat
    assert_within_limits(conversation_chat.sent)


@pytest.fixture
def ru_shop(salon):
    return open_salon(salon, language="ru")


@pytest.fixture
def ru_chat(post_webhook, fake_graph, ru_shop, salon):
    known_customer(salon, "Марта")
    conversation_chat = Chat(post_webhook, fake_graph)
    yield conversation_chat
    assert_within_limits(conversation_chat.sent)


# --- a salon like the demo one, whose whole day is still ahead whenever the tests run ----------

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEMO_HOURS = {day: {"enabled": True, "start": "09:00", "end": "20:00"} for day in WEEKDAYS}
DEMO = {
    "en": {
        "services": [("Haircut", 45, "35.00"), ("Manicure", 60, "30.00"), ("Hair colouring", 120, "90.00")],
        "masters": [("Anna", (0, 2)), ("Maria", (1,)), ("Olga", (0, 1))],
    },
    "ru": {
        "services": [("Стрижка", 45, "1500.00"), ("Маникюр", 60, "1200.00"), ("Окрашивание", 120, "4000.00")],
        "masters": [("Анна", (0, 2)), ("Мария", (1,)), ("Ольга", (0, 1))],
    },
}


def morning_zone() -> str:
    """An Etc/GMT zone in which it is now 06:xx: the salon's day (09:00–20:00) is all ahead.

    "Today", "Friday evening" and "tomorrow at 10" then mean the same whenever the suite runs.
    (Etc/GMT signs are inverted: Etc/GMT-3 is UTC+3.)
    """
    from django.utils import timezone

    offset = (6 - timezone.now().hour) % 24
    if offset > 14:
        offset -= 24
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


def demo_salon(salon, language: str = "en"):
    """Haircut (Anna, Olga), Manicure (Maria, Olga), Hair colouring (Anna); 09:00–20:00 every day."""
    salon.language, salon.timezone = language, morning_zone()
    salon.save(update_fields=["language", "timezone"])
    spec = DEMO[language]
    services = [
        factories.ServiceFactory(salon=salon, name=name, duration_minutes=minutes, price=Decimal(price))
        for name, minutes, price in spec["services"]
    ]
    masters = [
        factories.MasterFactory(
            salon=salon, name=name, services=[services[i] for i in does], working_hours=dict(DEMO_HOURS)
        )
        for name, does in spec["masters"]
    ]
    return services, masters


@pytest.fixture
def demo(salon):
    return demo_salon(salon)


@pytest.fixture
def ru_demo(salon):
    return demo_salon(salon, "ru")


@pytest.fixture
def demo_chat(post_webhook, fake_graph, demo, salon):
    known_customer(salon)
    conversation_chat = Chat(post_webhook, fake_graph)
    yield conversation_chat
    assert_within_limits(conversation_chat.sent)


@pytest.fixture
def ru_demo_chat(post_webhook, fake_graph, ru_demo, salon):
    known_customer(salon, "Марта")
    conversation_chat = Chat(post_webhook, fake_graph)
    yield conversation_chat
    assert_within_limits(conversation_chat.sent)


@pytest.fixture
def demo_new_chat(post_webhook, fake_graph, demo):
    conversation_chat = Chat(post_webhook, fake_graph)
    yield conversation_chat
    assert_within_limits(conversation_chat.sent)


@pytest.fixture
def ru_demo_new_chat(post_webhook, fake_graph, ru_demo):
    conversation_chat = Chat(post_webhook, fake_graph)
    yield conversation_chat
    assert_within_limits(conversation_chat.sent)
