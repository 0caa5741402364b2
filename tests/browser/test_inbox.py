"""The owner's WhatsApp inbox in a real browser: see who waits, answer them, hand back to the bot."""

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.models import Conversation, Direction, Message, MessageStatus
from tests import factories
from tests.messaging.conftest import PHONE_NUMBER_ID
from tests.messaging.factories import ConversationFactory, MessageFactory, TemplateFactory

pytestmark = pytest.mark.django_db(transaction=True)

REPLY = "Hi Marta, yes: Saturday at 11:00 works. See you then!"


@pytest.fixture
def waiting_customer():
    """A paused conversation whose customer wrote 10 minutes ago and got no answer yet."""
    owner = factories.UserFactory(email="inbox@example.com")
    salon = factories.SalonFactory(
        owner=owner, name="Studio Nord", timezone="Europe/Berlin", whatsapp_phone_number_id=PHONE_NUMBER_ID
    )
    asked_at = timezone.now() - timedelta(minutes=10)
    conversation = ConversationFactory(
        salon=salon,
        customer__name="Marta Reis",
        customer__phone="+351912345678",
        bot_paused=True,
        last_inbound_at=asked_at,
        last_message_at=asked_at,
        waiting_since=asked_at,
    )
    earlier = [
        (Direction.IN, "hi", 40),
        (Direction.OUT, "Hello! What would you like to do?", 39),
        (Direction.IN, "Talk to a person", 12),
        (Direction.OUT, "All right, I have asked a person from Studio Nord to take over.", 11),
        (Direction.IN, "Can I come on Saturday at 11? My hair is long, it takes a while.", 10),
    ]
    for direction, text, minutes in earlier:
        status = MessageStatus.READ if direction == Direction.OUT else MessageStatus.RECEIVED
        message = MessageFactory(conversation=conversation, direction=direction, text=text, status=status)
        at = timezone.now() - timedelta(minutes=minutes)
        Message.objects.filter(pk=message.pk).update(created_at=at, sent_at=at)
    TemplateFactory(salon=salon, name="appointment_follow_up", body="Hi {{1}}, we have a free slot on {{2}}.")
    other = ConversationFactory(salon=salon, customer__name="Bruno Bot", last_message_at=asked_at - timedelta(hours=3))
    MessageFactory(conversation=other, direction=Direction.OUT, text="Your booking is confirmed.")
    return owner, conversation


def test_the_owner_answers_a_waiting_customer_and_hands_back_to_the_bot(page, fake_graph, waiting_customer):
    owner, conversation = waiting_customer
    page.login(owner.email)

    page.goto("/admin/messaging/conversation/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    first = rows.nth(0)
    assert "Marta Reis" in first.inner_text() and "Waiting for an answer" in first.inner_text()
    assert first.locator(".inbox-waiting-person").is_visible()
    assert "Waiting for an answer" not in rows.nth(1).inner_text()
    page.screenshot("inbox")

    first.locator("th a, td a").first.click()
    page.wait_for_selector(".inbox-transcript")
    assert page.locator(".inbox-bubble").count() == 5
    assert "Window open for 23 h" in page.inner_text(".inbox-facts")
    last = page.locator(".inbox-bubble").last
    assert "Saturday at 11" in last.inner_text() and "inbox-bubble-in" in last.get_attribute("class")
    page.screenshot("conversation")

    page.fill("textarea[name=text]", REPLY)
    page.click(".inbox-text-form button[type=submit]")
    page.wait_for_selector(".messagelist .success")
    assert [(number, body["text"]["body"]) for number, body, _wamid in fake_graph.accepted] == [
        (PHONE_NUMBER_ID, REPLY)
    ]
    bubble = page.locator(".inbox-bubble").last
    assert REPLY in bubble.inner_text() and "inbox-bubble-out" in bubble.get_attribute("class")
    assert "Sent" in bubble.inner_text() and owner.email in bubble.inner_text()
    conversation.refresh_from_db()
    assert conversation.waiting_since is None
    page.screenshot("replied")

    page.click("text=Hand back to the bot")
    page.wait_for_selector("text=The bot answers this conversation again.")
    assert page.locator(".inbox-switch button").inner_text() == "Take over"
    assert not Conversation.objects.get(pk=conversation.pk).bot_paused
    page.goto("/admin/messaging/conversation/")
    assert "Waiting for an answer" not in page.locator("#result_list tbody tr").nth(0).inner_text()
    page.screenshot("handed-back")


def test_outside_the_window_the_owner_picks_a_template(page, fake_graph, waiting_customer):
    owner, conversation = waiting_customer
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now() - timedelta(hours=30))
    page.login(owner.email)
    page.goto(f"/admin/messaging/conversation/{conversation.pk}/change/")
    assert "Window closed: only templates" in page.inner_text(".inbox-facts")
    assert page.locator("textarea[name=text]").count() == 0
    page.click("text=appointment_follow_up")
    inputs = page.locator(".inbox-template input[name=parameters]")
    inputs.nth(0).fill("Marta")
    inputs.nth(1).fill("Saturday 11:00")
    page.screenshot("template")
    page.click("text=Send this template")
    page.wait_for_selector(".messagelist .success")
    [(_number, body, _wamid)] = fake_graph.accepted
    assert body["type"] == "template" and body["template"]["name"] == "appointment_follow_up"
    assert "Hi Marta, we have a free slot on Saturday 11:00." in page.locator(".inbox-bubble").last.inner_text()
    page.screenshot("template-sent")


def test_a_long_transcript_opens_at_the_newest_message_and_nothing_overflows(page, waiting_customer):
    owner, conversation = waiting_customer
    start = timezone.now() - timedelta(days=2)
    for n in range(60):
        direction = Direction.OUT if n % 3 else Direction.IN
        text = f"message {n} " + ("https://example.com/" + "x" * 300 if n == 30 else "lorem ipsum " * (n % 7))
        message = MessageFactory(conversation=conversation, direction=direction, text=text, sent_by=owner)
        Message.objects.filter(pk=message.pk).update(created_at=start + timedelta(minutes=45 * n))
    newest = MessageFactory(conversation=conversation, text="the newest question?")
    Message.objects.filter(pk=newest.pk).update(created_at=timezone.now(), sent_at=timezone.now())
    page.login(owner.email)
    page.goto(f"/admin/messaging/conversation/{conversation.pk}/change/")
    transcript = page.locator(".inbox-transcript")
    assert page.locator(".inbox-bubble").last.inner_text().startswith("the newest question?")
    assert page.locator(".inbox-bubble").last.is_visible()
    box = transcript.bounding_box()
    last = page.locator(".inbox-bubble").last.bounding_box()
    assert box["y"] <= last["y"] and last["y"] + last["height"] <= box["y"] + box["height"] + 1  # opened at the end
    sizes = transcript.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert sizes[0] <= sizes[1], sizes  # the long link wraps instead of widening the page
    assert page.evaluate("document.documentElement.scrollWidth") <= 1400
    page.screenshot("long")
