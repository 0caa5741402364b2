"""Holds under real concurrency on PostgreSQL: two chats and an API client go for one slot at once.

Everything goes over HTTP to a live server (signed webhooks for the chats, a JWT for the API),
each request in its own thread and database connection, released together by a barrier. The
master's row lock decides: exactly one of the three gets the slot (a hold or a booking), the
others get 409 or fresh choices; while the hold lives every other request for it gets the same;
confirming books it; and once a hold has run out (no worker of any kind runs here) the slot is
anyone's again.
"""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial

import httpx
import pytest
from django.db import connection
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from bookings.models import Booking, SlotHold
from messaging.models import Direction, Message
from messaging.whatsapp.signature import sign
from tests.bookings.conftest import booking_body
from tests.messaging import meta
from tests.messaging.bot.conftest import known_customer
from tests.messaging.bot.helpers import local_at
from tests.messaging.conftest import APP_SECRET, WEBHOOK_URL

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.live,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the race is PostgreSQL's row locks"),
]
CHATS = ("351912345601", "351912345602")


class LiveChat:
    """A customer on WhatsApp: signed webhook posts to the live server; replies read from the database."""

    def __init__(self, url: str, wa_id: str):
        self.url, self.wa_id, self.n = url, wa_id, 0

    def _post(self, item: dict) -> None:
        data = json.dumps(meta.messages(item)).encode()
        headers = {"X-Hub-Signature-256": sign(data, APP_SECRET), "Content-Type": "application/json"}
        with httpx.Client(timeout=60) as client:
            assert client.post(self.url + WEBHOOK_URL, content=data, headers=headers).status_code == 200

    def _wamid(self) -> str:
        self.n += 1
        return f"wamid.RACE-{self.wa_id}-{self.n}-{time.monotonic_ns()}"

    def say(self, text: str) -> None:
        self._post(meta.text(self._wamid(), text, ts=int(time.time()), sender=self.wa_id))

    def tap(self, reply_id: str, title: str) -> None:
        self._post(meta.button_reply(self._wamid(), reply_id, title, ts=int(time.time()), sender=self.wa_id))

    def last(self) -> dict:
        message = (
            Message.objects.filter(conversation__wa_id=self.wa_id, direction=Direction.OUT)
            .order_by("-created_at", "-id")
            .first()
        )
        return message.payload

    def buttons(self) -> dict:
        interactive = self.last().get("interactive") or {}
        return {b["reply"]["title"]: b["reply"]["id"] for b in interactive.get("action", {}).get("buttons", [])}

    def is_confirming(self) -> bool:
        return set(self.buttons()) == {"Confirm", "Change"}


@pytest.fixture
def race(live_server, fake_graph, salon, demo):
    (haircut, *_), (anna, *_) = demo
    for n, wa_id in enumerate(CHATS):
        known_customer(salon, f"Chat {n}", sender=wa_id)
    token = str(RefreshToken.for_user(salon.owner).access_token)
    chats = [LiveChat(live_server.url, wa_id) for wa_id in CHATS]
    return chats, token, haircut, anna


def post_booking(url: str, token: str, body: dict) -> int:
    with httpx.Client(timeout=60) as client:
        return client.post(f"{url}/api/bookings", json=body, headers={"Authorization": f"Bearer {token}"}).status_code


def all_at_once(*calls):
    """Run the calls in threads released together; their results, in order."""
    gate = threading.Barrier(len(calls), timeout=60)

    def run(call):
        gate.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_two_chats_race_one_holds_and_its_confirm_races_the_api_and_the_other_chat(live_server, race, salon):
    chats, token, haircut, anna = race
    for hour in (10, 12):
        start = local_at(salon, 1, hour)
        body = booking_body(salon, anna, haircut, start, customer_phone="+491701112233")
        request = f"haircut with Anna tomorrow at {hour}:00"
        all_at_once(*(partial(chat.say, request) for chat in chats))
        holding = [chat for chat in chats if chat.is_confirming()]
        assert len(holding) == 1, [c.last() for c in chats]  # one hold; the other: fresh choices
        (holder,) = holding
        other = chats[1 - chats.index(holder)]
        assert f"{hour}:00" in str(other.last()) and "is not free" in str(other.last())

        # While held, the API gets 409 and the other chat fresh choices, however often they ask.
        assert post_booking(live_server.url, token, body) == 409
        other.say(request)
        assert not other.is_confirming()

        # Confirm, the API and the other chat at the same moment: the hold becomes the booking.
        _, api_status, _ = all_at_once(
            partial(holder.tap, holder.buttons()["Confirm"], "Confirm"),
            partial(post_booking, live_server.url, token, body),
            partial(other.say, request),
        )
        assert api_status == 409
        assert "Booked!" in holder.last()["text"]["body"] and not other.is_confirming()
        (booking,) = Booking.objects.filter(master=anna, start_ts=start).active()
        assert booking.customer.phone == f"+{holder.wa_id}"
    assert not SlotHold.objects.exists()  # every hold became its booking


def test_two_chats_and_the_api_at_once_and_exactly_one_gets_the_slot(live_server, race, salon):
    chats, token, haircut, anna = race
    for hour in (9, 14, 16):
        start = local_at(salon, 1, hour)
        body = booking_body(salon, anna, haircut, start, customer_phone="+491701112233")
        request = f"haircut with Anna tomorrow at {hour}:00"
        _, _, api_status = all_at_once(
            partial(chats[0].say, request),
            partial(chats[1].say, request),
            partial(post_booking, live_server.url, token, body),
        )
        holding = [chat for chat in chats if chat.is_confirming()]
        assert api_status in (201, 409)
        assert len(holding) + (api_status == 201) == 1, (api_status, [c.last() for c in chats])
        for chat in holding:
            chat.tap(chat.buttons()["Confirm"], "Confirm")
        assert Booking.objects.filter(master=anna, start_ts=start).active().count() == 1


def test_after_a_hold_runs_out_the_slot_is_free_without_any_worker(live_server, race, salon):
    chats, token, haircut, anna = race
    start = local_at(salon, 1, 11)
    chats[0].say("haircut with Anna tomorrow at 11:00")
    assert chats[0].is_confirming()
    body = booking_body(salon, anna, haircut, start, customer_phone="+491701112244")
    assert post_booking(live_server.url, token, body) == 409
    # The customer walks away; five minutes pass. Nothing runs: no beat, no worker, no sweep.
    SlotHold.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert post_booking(live_server.url, token, body) == 201
    chats[0].tap(chats[0].buttons()["Confirm"], "Confirm")  # too late: told so, with fresh times
    assert "Sorry, that time has just been taken." in chats[0].last()["interactive"]["body"]["text"]
    assert Booking.objects.filter(master=anna, start_ts=start).active().count() == 1
