"""The customer's name asked once and kept, returning customers greeted by it, and small talk."""

import pytest

from bookings.models import Booking
from salons.models import Customer
from tests.messaging import meta
from tests.messaging.bot.conftest import options, text_of

pytestmark = pytest.mark.django_db


def titles(body):
    return [title for _id, title in options(body)]


def test_a_new_customer_is_asked_their_name_once_with_the_profile_name_offered(demo_new_chat, salon):
    chat = demo_new_chat
    chat.say("haircut tomorrow at 10 with Anna")
    assert text_of(chat.last) == (
        "One more thing before I book: what name should I put the booking under? Tap it below or write it."
    )
    assert titles(chat.last) == [meta.CUSTOMER_NAME]  # the WhatsApp profile name, one tap
    chat.say("Marta")  # typed: "Marta", not the profile's "Marta Reis"
    body = text_of(chat.last)
    assert body.startswith("Thank you, Marta!\n\nPlease check your booking:") and "Name: Marta\n" in body
    chat.choose_title("Confirm")
    booking = Booking.objects.get()
    assert booking.customer_name == "Marta"
    customer = Customer.objects.get()
    assert (customer.name, customer.name_confirmed) == ("Marta", True)

    chat.say("and a manicure tomorrow at 12")  # the second time: no question
    assert text_of(chat.last).startswith("Please check your booking:\nManicure")


def test_the_profile_name_button_is_the_name(demo_new_chat, salon):
    chat = demo_new_chat
    chat.say("haircut tomorrow at 10")
    chat.choose_title(meta.CUSTOMER_NAME)
    assert f"Name: {meta.CUSTOMER_NAME}" in text_of(chat.last)
    assert Customer.objects.get().name_confirmed


def test_russian_name_question(ru_demo_new_chat, salon):
    chat = ru_demo_new_chat
    chat.say("стрижка завтра в 10")
    assert text_of(chat.last).startswith("И последнее: на какое имя записать?")
    chat.say("Марта")
    assert "Имя: Марта" in text_of(chat.last)
    chat.say("да")
    assert Booking.objects.get().customer_name == "Марта"


def test_a_returning_customer_is_greeted_by_name_with_their_last_booking_one_tap_away(demo_chat, salon, demo):
    chat = demo_chat
    chat.say("haircut with Olga tomorrow at 10")
    chat.say("yes")
    chat.say("hi")
    assert text_of(chat.last).startswith("Hello, Marta! Good to see you again. Book Haircut with Olga again")
    assert titles(chat.last) == ["Haircut · Olga", "Book a visit", "My bookings"]


def test_russian_greeting_by_name(ru_demo_chat, salon):
    ru_demo_chat.say("Здравствуйте")
    assert text_of(ru_demo_chat.last).startswith("Здравствуйте, Марта!")


@pytest.mark.parametrize(
    ("words", "answer"),
    [
        ("thanks!", "You're welcome! Write any time if you need something else."),
        ("thank you", "You're welcome! Write any time if you need something else."),
        ("ok", "Great! Write any time if you need something else."),
        ("bye", "Goodbye! See you at Studio Nord."),
    ],
)
def test_small_talk_closes_politely(demo_chat, words, answer):
    demo_chat.say("haircut tomorrow at 10")
    demo_chat.say("yes")
    demo_chat.say(words)
    assert text_of(demo_chat.last) == answer
    assert demo_chat.last["type"] == "text"


@pytest.mark.parametrize(
    ("words", "answer"),
    [
        ("спасибо!", "Пожалуйста! Пишите, если что-то понадобится."),
        ("ок", "Отлично! Пишите, если что-то понадобится."),
        ("до свидания", "До свидания! Ждём вас в Studio Nord."),
    ],
)
def test_russian_small_talk_closes_politely(ru_demo_chat, words, answer):
    ru_demo_chat.say("привет")
    ru_demo_chat.say(words)
    assert text_of(ru_demo_chat.last) == answer


def test_thanks_in_the_middle_of_a_booking_keeps_the_step(demo_chat):
    demo_chat.say("haircut tomorrow")
    demo_chat.say("thanks")
    assert text_of(demo_chat.last).startswith("You're welcome!\n\nThere are many free times on")
