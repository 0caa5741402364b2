"""A person takes over: the bot pauses, says so, stays silent, and starts afresh when handed back."""

import pytest

from messaging.models import Conversation, Direction, Message
from messaging.signals import inbound_message
from tests.conftest import client_for
from tests.messaging.bot.conftest import options, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def signals():
    received = []

    def collect(sender, **kwargs):
        received.append(kwargs["message_id"])

    inbound_message.connect(collect, dispatch_uid="test-bot-handoff")
    yield received
    inbound_message.disconnect(dispatch_uid="test-bot-handoff")


def test_talk_to_a_person_pauses_the_bot_and_flags_the_conversation(chat, salon):
    chat.say("hi")
    chat.choose_title("Talk to a person")
    assert text_of(chat.last).startswith("All right, I have asked a person from Studio Nord to take over.")
    conversation = chat.conversation()
    assert conversation.bot_paused is True
    assert "step" not in conversation.bot_state or conversation.bot_state["step"] == "human"


def test_a_paused_conversation_is_stored_and_never_answered_and_no_signal_is_sent(chat, signals):
    chat.say("hi")
    chat.say("I want to talk to a human")
    assert chat.conversation().bot_paused
    sent, stored, heard = len(chat.sent), Message.objects.filter(direction=Direction.IN).count(), len(signals)
    chat.say("hello? is anyone there?")
    chat.say("book haircut tomorrow at 3pm")
    assert len(chat.sent) == sent
    assert Message.objects.filter(direction=Direction.IN).count() == stored + 2
    assert len(signals) == heard  # ingest does not even hand them to the bot


@pytest.mark.parametrize("words", ["operator please", "позовите человека", "can I speak to a manager"])
def test_words_asking_for_a_person_hand_over(chat, words):
    chat.say(words)
    assert chat.conversation().bot_paused
    assert chat.last["type"] == "text"


def test_resume_hands_back_and_the_bot_starts_afresh(chat, salon, owner):
    chat.say("haircut tomorrow")
    chat.say("operator")
    chat.say("the person answered me, thanks")  # stored, not answered
    conversation = chat.conversation()
    response = client_for(owner).post(f"/api/conversations/{conversation.pk}/resume-bot/")
    assert response.status_code == 200 and response.json()["bot_paused"] is False
    conversation.refresh_from_db()
    assert set(conversation.bot_state) == {"upto"}  # afresh, answering nothing said before this moment
    sent = len(chat.sent)
    chat.say("hi")
    assert len(chat.sent) == sent + 1  # only "hi" is answered, not what was said to the person
    assert [t for _i, t in options(chat.last)] == ["Book a visit", "My bookings", "Talk to a person"]


def test_an_owner_pausing_mid_flow_silences_the_bot(chat, salon, owner):
    chat.say("book")
    conversation = Conversation.objects.get()
    client_for(owner).post(f"/api/conversations/{conversation.pk}/pause-bot/")
    sent = len(chat.sent)
    chat.choose(1)
    assert len(chat.sent) == sent
