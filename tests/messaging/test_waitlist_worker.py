"""The waiting list end to end: a real Celery worker, a real broker, a live server, the fake Graph API.

A booking is cancelled over the API; the worker runs `messaging.offer_freed_time` and offers the
freed time to three waiting customers in the order they joined (buttons inside the 24-hour
window, the salon's WAITLIST template outside it); two of them tap "Book it" at the same moment,
as signed webhooks the worker processes side by side: exactly one is booked, the other is told
the time is gone and keeps their place on the list.
"""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from bookings import waitlist
from bookings.models import ActorKind, Booking, BookingSource, WaitlistEntry, WaitlistStatus
from bookings.services import create_booking
from messaging.models import Direction, Message
from messaging.whatsapp.signature import sign
from tests import factories
from tests.messaging import meta
from tests.messaging.bot.conftest import demo_salon
from tests.messaging.bot.helpers import local_at
from tests.messaging.conftest import APP_SECRET, PHONE_NUMBER_ID, WEBHOOK_URL, wait_for
from tests.messaging.factories import ConversationFactory, TemplateFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]
WAITING = {"Ada": "351912345611", "Bea": "351912345612", "Cleo": "351912345613"}  # in join order


def sent_to(fake_graph, wa_id: str) -> list[dict]:
    return [body for _number, body, _wamid in list(fake_graph.accepted) if body["to"] == wa_id]


def text_of(body: dict) -> str:
    if body["type"] == "text":
        return body["text"]["body"]
    return body["interactive"]["body"]["text"]


def tap(url: str, wa_id: str, reply_id: str) -> int:
    item = meta.button_reply(f"wamid.WL-{wa_id}-{time.monotonic_ns()}", reply_id, "Book it", ts=int(time.time()))
    item["from"] = wa_id
    data = json.dumps(meta.messages(item)).encode()
    headers = {"X-Hub-Signature-256": sign(data, APP_SECRET), "Content-Type": "application/json"}
    with httpx.Client(timeout=60) as client:
        return client.post(url + WEBHOOK_URL, content=data, headers=headers).status_code


@pytest.fixture
def full_day():
    """Anna's tomorrow is fully booked; three customers wait for it, one of them silent for two days."""
    salon = factories.SalonFactory(name="Studio Nord", whatsapp_phone_number_id=PHONE_NUMBER_ID)
    (haircut, *_), (anna, *_) = demo_salon(salon)
    TemplateFactory(
        salon=salon,
        name="waitlist_offer",
        language="en",
        purpose="WAITLIST",
        body="Hello {{1}}, {{3}} with {{4}} on {{2}} has just become free. Tap Book it to take it.",
    )
    bookings = [
        create_booking(
            actor=None,
            actor_kind=ActorKind.SYSTEM,
            salon=salon,
            service=haircut,
            master=anna,
            start_ts=local_at(salon, 1, hour),
            source=BookingSource.API,
            customer_name=f"Regular {hour}",
            customer_phone=f"+4917077{hour:05d}",
        )
        for hour in range(9, 20)
    ]
    for name, wa_id in WAITING.items():
        customer = factories.CustomerFactory(
            salon=salon, name=name, phone=f"+{wa_id}", wa_id=wa_id, name_confirmed=True
        )
        silent = timezone.now() - timedelta(days=2)
        ConversationFactory(
            salon=salon,
            customer=customer,
            wa_id=wa_id,
            **({"last_inbound_at": silent, "last_message_at": silent} if name == "Cleo" else {}),
        )
        waitlist.join_waitlist(salon=salon, customer=customer, service=haircut, day=local_at(salon, 1, 0).date())
    return salon, anna, bookings


def test_a_cancellation_is_offered_to_three_and_of_two_at_once_exactly_one_books(
    live_server, worker, fake_graph, full_day
):
    salon, anna, bookings = full_day
    freed = bookings[3]  # 12:00
    token = str(RefreshToken.for_user(salon.owner).access_token)
    response = httpx.post(
        f"{live_server.url}/api/bookings/{freed.pk}/cancel",
        json={"reason": "Cannot make it"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert response.status_code == 200

    # The worker offers the freed time to all three, in the order they joined.
    assert wait_for(lambda: all(sent_to(fake_graph, wa_id) for wa_id in WAITING.values())), fake_graph.received
    offers = Message.objects.filter(direction=Direction.OUT, idempotency_key__startswith="waitlist-offer:")
    assert [m.conversation.customer.name for m in offers.order_by("created_at", "id")] == ["Ada", "Bea", "Cleo"]
    ada, bea = (sent_to(fake_graph, WAITING[name])[0] for name in ("Ada", "Bea"))
    for body, name in ((ada, "Ada"), (bea, "Bea")):  # inside the 24-hour window: text with buttons
        assert text_of(body).startswith(f"Good news, {name}!") and "12:00" in text_of(body)
        assert [b["reply"]["title"] for b in body["interactive"]["action"]["buttons"]] == ["Book it", "Not this one"]
    (cleo,) = sent_to(fake_graph, WAITING["Cleo"])  # silent for two days: the salon's approved template
    assert cleo["type"] == "template" and cleo["template"]["name"] == "waitlist_offer"
    quick_reply = next(c for c in cleo["template"]["components"] if c["type"] == "button")
    assert quick_reply["parameters"][0]["payload"].startswith("wl:")

    # Ada and Bea tap "Book it" at the same moment; the worker answers both side by side.
    book_it = {
        name: body["interactive"]["action"]["buttons"][0]["reply"]["id"] for name, body in (("Ada", ada), ("Bea", bea))
    }
    gate = threading.Barrier(2, timeout=60)

    def confirm(name):
        gate.wait()
        return tap(live_server.url, WAITING[name], book_it[name])

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert list(pool.map(confirm, ("Ada", "Bea"))) == [200, 200]
    assert wait_for(lambda: all(len(sent_to(fake_graph, WAITING[n])) == 2 for n in ("Ada", "Bea"))), fake_graph.received

    answers = {name: text_of(sent_to(fake_graph, WAITING[name])[1]) for name in ("Ada", "Bea")}
    winners = [name for name, text in answers.items() if text.startswith("Booked! ✅")]
    losers = [name for name, text in answers.items() if text.startswith("Sorry, someone else was quicker")]
    assert len(winners) == 1 and len(losers) == 1, answers
    (booking,) = Booking.objects.filter(master=anna, start_ts=freed.start_ts).active()
    assert booking.customer.name == winners[0] and booking.source == BookingSource.WHATSAPP
    statuses = dict(WaitlistEntry.objects.values_list("customer__name", "status"))
    assert statuses == {winners[0]: WaitlistStatus.BOOKED, losers[0]: WaitlistStatus.WAITING, "Cleo": "WAITING"}
