"""The bot's state expires after 30 idle minutes: the next message starts again from the menu."""

import pytest

from tests.messaging.bot.conftest import options, text_of

pytestmark = pytest.mark.django_db

MENU = ["Book a visit", "My bookings", "Talk to a person"]


def test_after_thirty_idle_minutes_a_tap_starts_again_from_the_menu(chat):
    chat.say("book")
    chat.idle(31)
    chat.choose_title("Haircut")
    assert text_of(chat.last).startswith("We started over: your earlier choices expired after 30 minutes")
    assert [t for _i, t in options(chat.last)] == MENU
    assert chat.conversation().bot_state["step"] == "menu"


def test_within_thirty_minutes_the_flow_goes_on(chat):
    chat.say("book")
    chat.idle(29)
    chat.choose_title("Haircut")
    assert text_of(chat.last) == "Who would you like for Haircut?"


def test_a_request_after_the_pause_is_answered_from_a_fresh_start(chat):
    chat.say("haircut with Anna")
    chat.idle(45)
    chat.say("manicure tomorrow evening")
    body = text_of(chat.last)
    assert body.startswith("We started over") and "Free times on" in body
    assert chat.conversation().bot_state["mst"] == "any"  # Anna was forgotten with the old draft
