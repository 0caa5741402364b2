"""A person takes over: the bot pauses, says when someone will answer, acknowledges one more
message, keeps the conversation waiting for the owner, and starts afresh when handed back."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from messaging.bot import texts
from messaging.models import Conversation, Direction, Message
from messaging.services import outbound
from messaging.signals import inbound_message
from salons.models import Master
from tests.conftest import client_for
from tests.messaging.bot.conftest import options, text_of

pytestmark = pytest.mark.django_db

ALL_DAY = {"enabled": True, "start": "00:00", "end": "24:00"}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@pytest.fixture
def signals():
    received = []

    def collect(sender, **kwargs):
        received.append(kwargs["message_id"])

    inbound_message.connect(collect, dispatch_uid="test-bot-handoff")
    yield received
    inbound_message.disconnect(dispatch_uid="test-bot-handoff")


def open_around_the_clock(salon):
    Master.objects.filter(salon=salon).update(working_hours={day: dict(ALL_DAY) for day in WEEKDAYS})


def closed_until_three_days_ahead(salon):
    """Nobody works until the day after tomorrow's next day, 10:00–18:00: the salon is closed now."""
    zone = ZoneInfo(salon.timezone)
    opening_day = timezone.now().astimezone(zone).date() + timedelta(days=3)
    hours = {WEEKDAYS[opening_day.weekday()]: {"enabled": True, "start": "10:00", "end": "18:00"}}
    Master.objects.filter(salon=salon).update(working_hours=hours)
    with translation.override(salon.language):
        return texts.long_day(opening_day)


def test_talk_to_a_person_pauses_the_bot_and_says_someone_answers_now(chat, salon):
    open_around_the_clock(salon)
    chat.say("hi")
    chat.choose_title("Talk to a person")
    assert text_of(chat.last) == (
        "All right, I have asked a person from Studio Nord to take over. "
        "The salon is open now: someone will answer you here shortly."
    )
    conversation = chat.conversation()
    assert conversation.bot_paused is True and conversation.waiting_since is not None
    assert conversation.bot_state["step"] == "human"


def test_hello_after_a_hand_over_is_acknowledged_once_with_the_next_opening(chat, salon, signals):
    opening = closed_until_three_days_ahead(salon)
    chat.say("I want to talk to a human")
    assert text_of(chat.last) == (
        "All right, I have asked a person from Studio Nord to take over. "
        f"The salon is closed now: someone will answer you here from {opening}, 10:00."
    )
    sent, heard = len(chat.sent), len(signals)
    chat.say("hello?")
    assert len(chat.sent) == sent + 1
    assert text_of(chat.last) == (
        "Thank you, your message is with the team of Studio Nord. "
        f"The salon is closed now: someone will answer you here from {opening}, 10:00."
    )
    chat.say("hello? is anyone there?")
    chat.say("book haircut tomorrow at 3pm")
    assert len(chat.sent) == sent + 1  # once: the bot does not answer while a person is in charge
    assert len(signals) == heard  # the bot's flow is not even handed the messages
    assert Message.objects.filter(direction=Direction.IN).count() == 4
    conversation = chat.conversation()
    assert conversation.waiting_since is not None  # the owner sees it waiting: nobody answered yet


def test_russian_hello_after_a_hand_over_is_acknowledged(ru_chat, salon):
    open_around_the_clock(salon)
    ru_chat.say("позовите человека")
    assert text_of(ru_chat.last) == (
        "Хорошо, я попросил сотрудника салона Studio Nord подключиться. "
        "Салон сейчас открыт: вам ответят здесь в ближайшее время."
    )
    ru_chat.say("алло?")
    assert text_of(ru_chat.last) == (
        "Спасибо, ваше сообщение передано команде Studio Nord. "
        "Салон сейчас открыт: вам ответят здесь в ближайшее время."
    )
    ru_chat.say("есть кто?")
    assert len(ru_chat.sent) == 2


def test_once_a_person_answered_the_bot_stays_quiet(chat, salon, owner):
    open_around_the_clock(salon)
    chat.say("operator")
    conversation = chat.conversation()
    outbound.queue_text(conversation=conversation, text="Hi, this is Olga from the salon.", actor=owner)
    sent = len(chat.sent)
    chat.say("hello? when can I come?")
    assert len(chat.sent) == sent


@pytest.mark.parametrize("words", ["operator please", "позовите человека", "can I speak to a manager"])
def test_words_asking_for_a_person_hand_over(chat, words):
    chat.say(words)
    assert chat.conversation().bot_paused
    assert chat.last["type"] == "text"


def test_resume_hands_back_and_the_bot_starts_afresh(chat, salon, owner):
    chat.say("haircut tomorrow")
    chat.say("operator")
    chat.say("the person answered me, thanks")  # acknowledged, not answered
    conversation = chat.conversation()
    response = client_for(owner).post(f"/api/conversations/{conversation.pk}/resume-bot/")
    assert response.status_code == 200 and response.json()["bot_paused"] is False
    conversation.refresh_from_db()
    assert set(conversation.bot_state) == {"upto"}  # afresh, answering nothing said before this moment
    sent = len(chat.sent)
    chat.say("hi")
    assert len(chat.sent) == sent + 1  # only "hi" is answered, not what was said to the person
    assert [t for _i, t in options(chat.last)] == ["Book a visit", "My bookings", "Talk to a person"]


def test_an_owner_taking_over_mid_flow_stops_the_flow(chat, salon, owner):
    open_around_the_clock(salon)
    chat.say("book")
    conversation = Conversation.objects.get()
    client_for(owner).post(f"/api/conversations/{conversation.pk}/pause-bot/")
    sent = len(chat.sent)
    service_row = options(chat.last)[0]
    chat.tap(*service_row)
    chat.tap(*service_row)
    assert len(chat.sent) == sent + 1  # one acknowledgement, no booking step
    assert text_of(chat.last).startswith("Thank you, your message is with the team of Studio Nord.")
