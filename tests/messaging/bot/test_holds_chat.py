"""The confirm step holds the slot: other chats, the API and "any master" see it busy until the
customer confirms, moves on, or the hold runs out."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings.models import Booking, SlotHold
from tests.bookings.conftest import booking_body
from tests.messaging.bot.conftest import Chat, known_customer, options, text_of
from tests.messaging.bot.helpers import local_at

pytestmark = pytest.mark.django_db
OTHER = "351912345679"


def titles(body):
    return [title for _id, title in options(body)]


@pytest.fixture
def rival(post_webhook, fake_graph, salon, demo):
    known_customer(salon, "Rita", sender=OTHER)
    return Chat(post_webhook, fake_graph, sender=OTHER)


def test_a_held_slot_is_busy_for_another_chat_and_the_api_until_the_holder_moves_on(demo_chat, rival, salon, api, demo):
    (haircut, *_), (anna, *_) = demo
    demo_chat.say("haircut with Anna tomorrow at 10")
    assert titles(demo_chat.last) == ["Confirm", "Change"]
    hold = SlotHold.objects.get()
    assert (hold.master, hold.start_ts) == (anna, local_at(salon, 1, 10))
    assert hold.expires_at - timezone.now() > timedelta(minutes=4)  # the salon's 5 minutes

    rival.say("haircut with Anna tomorrow at 10")
    assert text_of(rival.last).startswith("Sorry, 10:00 on") and "is not free" in text_of(rival.last)
    assert "10:00" not in [t.split(", ")[-1] for t in titles(rival.last)]
    response = api.post("/api/bookings", booking_body(salon, anna, haircut, local_at(salon, 1, 10)), format="json")
    assert response.status_code == 409 and response.json()["code"] == "booking_conflict"

    demo_chat.choose_title("Change")  # moved on: the slot is free at once, no waiting for the hold to run out
    assert not SlotHold.objects.exists()
    rival.say("haircut with Anna tomorrow at 10")
    assert titles(rival.last) == ["Confirm", "Change"]
    rival.choose_title("Confirm")
    assert Booking.objects.get().customer.name == "Rita"


def test_any_master_holds_one_master_and_the_next_chat_gets_the_other(demo_chat, rival, salon, demo):
    demo_chat.say("haircut tomorrow at 10")
    rival.say("haircut tomorrow at 10")
    assert titles(demo_chat.last) == titles(rival.last) == ["Confirm", "Change"]
    first, second = SlotHold.objects.order_by("created_at")
    assert first.master != second.master
    rival.choose_title("Confirm")
    demo_chat.choose_title("Confirm")
    booked = {b.customer.name: b.master for b in Booking.objects.select_related("customer", "master")}
    assert booked == {"Marta": first.master, "Rita": second.master}


def test_an_expired_hold_frees_the_slot_by_itself(demo_chat, rival, salon, demo):
    demo_chat.say("haircut with Anna tomorrow at 10")
    SlotHold.objects.update(expires_at=timezone.now() - timedelta(seconds=1))  # five minutes later
    rival.say("haircut with Anna tomorrow at 10")
    assert titles(rival.last) == ["Confirm", "Change"]


@pytest.mark.parametrize("words", ["bye", "operator", "my bookings"])
def test_leaving_the_confirm_step_releases_the_hold(demo_chat, salon, words):
    demo_chat.say("haircut with Anna tomorrow at 10")
    assert SlotHold.objects.exists()
    demo_chat.say(words)
    assert not SlotHold.objects.exists()


def test_a_new_customers_slot_is_held_only_once_their_name_is_known(demo_new_chat, salon):
    demo_new_chat.say("haircut with Anna tomorrow at 10")
    assert text_of(demo_new_chat.last).startswith("One more thing before I book")
    assert not SlotHold.objects.exists()
    demo_new_chat.say("Marta")
    assert SlotHold.objects.get().start_ts == local_at(salon, 1, 10)
