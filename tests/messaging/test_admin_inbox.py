"""The owner's WhatsApp inbox in the admin: the list, the waiting mark, a conversation's page, replies, hand-over."""

import importlib
import re
import time
import zoneinfo
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from messaging.models import Conversation, Direction, Message, MessageStatus
from messaging.services import outbound
from tests import factories
from tests.factories import PASSWORD
from tests.messaging import meta
from tests.messaging.conftest import PHONE_NUMBER_ID
from tests.messaging.factories import ConversationFactory, MessageFactory, TemplateFactory

pytestmark = pytest.mark.django_db

INBOX = "/admin/messaging/conversation/"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def admin_client(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def page_url(conversation, action: str = "change") -> str:
    return f"{INBOX}{conversation.pk}/{action}/"


class VisibleText(HTMLParser):
    """The text a person reads on the page: no tags, attributes, scripts or styles."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("script", "style", "template")

    def handle_endtag(self, tag):
        self._hidden -= tag in ("script", "style", "template")

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(response) -> str:
    parser = VisibleText()
    parser.feed(response.content.decode())
    return " ".join(" ".join(parser.parts).split())


def rows_of(response) -> list[str]:
    """The changelist's rows, as text, top to bottom."""
    html = response.content.decode()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    parser_rows = []
    for row in body.split("</tr>")[:-1]:
        parser = VisibleText()
        parser.feed(row)
        parser_rows.append(" ".join(" ".join(parser.parts).split()))
    return parser_rows


@pytest.fixture
def salon(owner):
    return factories.SalonFactory(owner=owner, whatsapp_phone_number_id=PHONE_NUMBER_ID, timezone="Europe/Berlin")


def conversation_with(salon, name, minutes_ago, text, *, direction=Direction.IN, **kwargs):
    at = timezone.now() - timedelta(minutes=minutes_ago)
    conversation = ConversationFactory(
        salon=salon, customer__name=name, last_inbound_at=at, last_message_at=at, **kwargs
    )
    message = MessageFactory(conversation=conversation, direction=direction, text=text)
    Message.objects.filter(pk=message.pk).update(created_at=at, sent_at=at)
    return conversation


# --- the list -------------------------------------------------------------------------------------


def test_the_inbox_lists_the_latest_conversation_first_with_customer_phone_time_and_preview(owner, salon):
    old = conversation_with(salon, "Olga Old", 300, "Are you open on Sunday?")
    new = conversation_with(salon, "Nina New", 5, "Can I come at 3?")
    conversation_with(salon, "Mia Middle", 60, "Thanks, see you!", direction=Direction.OUT)
    response = admin_client(owner).get(INBOX)
    assert response.status_code == 200
    rows = rows_of(response)
    assert [row.split(" +")[0] for row in rows] == ["Nina New", "Mia Middle", "Olga Old"]
    assert new.customer.phone in rows[0] and "Can I come at 3?" in rows[0]
    assert "You: Thanks, see you!" in rows[1]
    local = timezone.localtime(old.last_message_at, timezone=zoneinfo.ZoneInfo("Europe/Berlin"))
    assert local.strftime("%H:%M") in rows[2]  # the salon's wall time
    assert not UUID.search(visible_text(response))


def test_the_preview_is_short_and_names_a_message_without_text_by_its_type(owner, salon):
    conversation_with(salon, "Long Writer", 5, "word " * 100)
    conversation_with(salon, "Photo Sender", 10, "").messages.update(type="image")
    rows = rows_of(admin_client(owner).get(INBOX))
    assert rows[0].endswith("…") or "… " in rows[0]
    assert len(rows[0]) < 200
    assert "[image]" in rows[1]


def test_an_inbound_message_marks_the_conversation_waiting_and_a_reply_clears_it(owner, salon, post_webhook):
    conversation = ConversationFactory(salon=salon, wa_id=meta.CUSTOMER, customer=None, bot_paused=True)
    sent = int(time.time()) - 60
    post_webhook(meta.messages(meta.text("wamid.WAIT-1", "Is 3 pm free?", ts=sent)))
    conversation.refresh_from_db()
    assert conversation.waiting_since == datetime.fromtimestamp(sent, tz=UTC)
    client = admin_client(owner)
    rows = rows_of(client.get(INBOX))
    # The bot's one acknowledgement ("a person will answer") is no answer: still waiting.
    assert "Waiting for an answer" in rows[0] and "your message is with the team" in rows[0]
    assert len(rows_of(client.get(INBOX, {"waiting": "yes"}))) == 1
    assert "0 conversations" in visible_text(client.get(INBOX, {"waiting": "no"}))

    # A second message keeps the first one's time: the customer has waited since then.
    post_webhook(meta.messages(meta.text("wamid.WAIT-2", "Hello?", ts=sent + 30)))
    conversation.refresh_from_db()
    assert conversation.waiting_since == datetime.fromtimestamp(sent, tz=UTC)

    response = client.post(page_url(conversation, "reply"), {"text": "Yes, 3 pm is free."})
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.waiting_since is None
    assert "Waiting for an answer" not in rows_of(client.get(INBOX))[0]
    assert len(rows_of(client.get(INBOX, {"waiting": "no"}))) == 1


def test_a_reaction_asks_nothing_and_does_not_mark_the_conversation_waiting(salon, post_webhook):
    ConversationFactory(salon=salon, wa_id=meta.CUSTOMER, customer=None, bot_paused=True)
    post_webhook(meta.messages(meta.reaction("wamid.REACT-1")))
    assert Conversation.objects.get().waiting_since is None


def test_while_a_person_is_in_charge_automatic_messages_do_not_answer_the_customer(owner, salon):
    conversation = ConversationFactory(salon=salon, bot_paused=True, waiting_since=timezone.now())
    reminder = TemplateFactory(salon=salon, body="See you tomorrow")
    outbound.queue_template(conversation=conversation, template=reminder, idempotency_key="reminder:x")
    conversation.refresh_from_db()
    assert conversation.waiting_since is not None  # the owner still has to answer
    outbound.queue_text(conversation=conversation, text="Sorry for the wait!", actor=owner)
    conversation.refresh_from_db()
    assert conversation.waiting_since is None


def test_the_bot_answering_clears_the_mark_but_its_hand_off_leaves_it_for_the_owner(salon, post_webhook):
    now = int(time.time())
    post_webhook(meta.messages(meta.text("wamid.BOT-1", "hi", ts=now - 20)))
    conversation = Conversation.objects.get()
    assert not conversation.bot_paused and conversation.waiting_since is None  # the bot answered
    assert conversation.messages.filter(direction=Direction.OUT).exists()

    post_webhook(meta.messages(meta.text("wamid.BOT-2", "operator please", ts=now - 10)))
    conversation.refresh_from_db()
    # The bot handed over and said a person will answer: that is not the answer; the owner's is.
    assert conversation.bot_paused
    assert conversation.waiting_since == datetime.fromtimestamp(now - 10, tz=UTC)


def test_the_list_filters_by_who_handles_the_conversation(owner, salon):
    conversation_with(salon, "Bot Handled", 5, "hi")
    conversation_with(salon, "Person Handled", 6, "hi", bot_paused=True)
    client = admin_client(owner)
    assert [r.split(" +")[0] for r in rows_of(client.get(INBOX, {"handled_by": "person"}))] == ["Person Handled"]
    assert [r.split(" +")[0] for r in rows_of(client.get(INBOX, {"handled_by": "bot"}))] == ["Bot Handled"]


def test_the_inbox_runs_the_same_number_of_queries_for_1_and_20_conversations(owner, salon):
    client = admin_client(owner)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(INBOX)
        assert response.status_code == 200
        return len(captured)

    conversation_with(salon, "First", 1, "hello", bot_paused=True, waiting_since=timezone.now())
    one = queries()
    for n in range(19):
        conversation = conversation_with(salon, f"Customer {n}", n + 2, f"message {n}", bot_paused=n % 2 == 0)
        MessageFactory(conversation=conversation, direction=Direction.OUT, sent_by=owner)
    assert len(rows_of(client.get(INBOX))) == 20
    assert queries() == one


# --- a conversation's page ------------------------------------------------------------------------


def test_the_page_shows_bubbles_with_local_time_status_and_sender_oldest_first(owner, salon):
    conversation = ConversationFactory(salon=salon, customer__name="Anna Berg")
    at = datetime(2026, 3, 2, 9, 5, tzinfo=UTC)  # 10:05 in Berlin
    asked = MessageFactory(conversation=conversation, text="Can I book a cut?", sent_at=at)
    bot = MessageFactory(conversation=conversation, direction=Direction.OUT, status=MessageStatus.READ, text="Sure!")
    mine = MessageFactory(
        conversation=conversation, direction=Direction.OUT, status=MessageStatus.FAILED, text="Call me", sent_by=owner
    )
    Message.objects.filter(pk=mine.pk).update(error_code=131047, error_title="Re-engagement message")
    for offset, message in enumerate([asked, bot, mine]):
        Message.objects.filter(pk=message.pk).update(created_at=at + timedelta(minutes=offset))
    response = admin_client(owner).get(page_url(conversation))
    assert response.status_code == 200
    text = visible_text(response)
    assert text.index("Can I book a cut?") < text.index("Sure!") < text.index("Call me")
    assert "10:05" in text and "Monday 2 March 2026" in text
    assert "Read · bot" in text
    assert f"Call me 10:07 · Failed : Re-engagement message (131047) · {owner.email}" in text
    html = response.content.decode()
    assert 'class="inbox-bubble inbox-bubble-in"' in html and "inbox-bubble-out inbox-bubble-failed" in html


def test_the_page_shows_no_ids_and_no_bot_state(owner, salon):
    conversation = ConversationFactory(salon=salon, bot_state={"step": "service", "draft_marker": "x1"})
    MessageFactory(conversation=conversation, text="hi")
    response = admin_client(owner).get(page_url(conversation))
    text = visible_text(response)
    assert str(conversation.pk) not in text and str(conversation.customer.pk) not in text
    assert str(salon.pk) not in text and not UUID.search(text)
    assert "draft_marker" not in response.content.decode() and "bot_state" not in response.content.decode()
    assert str(conversation) == str(conversation.customer)  # titles and breadcrumbs name the customer


def test_a_conversation_without_customer_is_named_by_its_number():
    assert str(Conversation(wa_id="351912345678")) == "+351912345678"


def test_the_window_indicator_counts_down_and_says_when_only_templates_are_allowed(owner, salon):
    client = admin_client(owner)
    inside = ConversationFactory(
        salon=salon, last_inbound_at=timezone.now() - timedelta(hours=18, minutes=47, seconds=30)
    )
    assert "Window open for 5 h 12 min more" in visible_text(client.get(page_url(inside)))
    outside = ConversationFactory(salon=salon, window_closed=True)
    text = visible_text(client.get(page_url(outside)))
    assert "Window closed: only templates" in text
    assert 'name="text"' not in client.get(page_url(outside)).content.decode()  # no free-text box


def test_the_page_runs_the_same_number_of_queries_for_1_and_60_messages(owner, salon):
    client = admin_client(owner)
    conversation = ConversationFactory(salon=salon)
    TemplateFactory(salon=salon)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page_url(conversation)).status_code == 200
        return len(captured)

    MessageFactory(conversation=conversation)
    one = queries()
    for n in range(59):
        MessageFactory(conversation=conversation, direction=Direction.OUT if n % 2 else Direction.IN, sent_by=owner)
    assert queries() == one


def test_a_super_admin_sees_the_conversation_in_its_salons_wall_time(super_admin):
    salon = factories.SalonFactory(timezone="America/New_York")
    conversation = ConversationFactory(salon=salon)
    MessageFactory(conversation=conversation, sent_at=datetime(2026, 7, 1, 16, 30, tzinfo=UTC))
    text = visible_text(admin_client(super_admin).get(page_url(conversation)))
    assert "12:30" in text and "America/New_York" in text


# --- replies --------------------------------------------------------------------------------------


def test_a_reply_inside_the_window_queues_a_text_sent_by_the_owner(owner, salon):
    conversation = ConversationFactory(salon=salon)
    client = admin_client(owner)
    response = client.post(page_url(conversation, "reply"), {"text": "  See you at 3!  "})
    assert response.status_code == 302 and response.url == page_url(conversation)
    message = Message.objects.get(direction=Direction.OUT)
    assert message.text == "See you at 3!" and message.sent_by == owner and message.status == MessageStatus.QUEUED
    assert message.payload["to"] == conversation.wa_id and message.payload["text"]["body"] == "See you at 3!"
    page = visible_text(client.get(response.url))
    assert "Message queued" in page and "See you at 3!" in page


def test_an_empty_reply_is_refused_on_the_page(owner, salon):
    conversation = ConversationFactory(salon=salon)
    response = admin_client(owner).post(page_url(conversation, "reply"), {"text": "   "})
    assert response.status_code == 200 and "This field is required." in visible_text(response)
    assert not Message.objects.exists()


def test_free_text_outside_the_window_is_refused_and_a_template_goes_out(owner, salon):
    conversation = ConversationFactory(salon=salon, window_closed=True, customer__name="Olga")
    template = TemplateFactory(salon=salon, name="follow_up", body="Hi {{1}}, about {{2}}?")
    client = admin_client(owner)

    response = client.post(page_url(conversation, "reply"), {"text": "Still there?"})
    assert response.status_code == 200
    text = visible_text(response)
    assert "More than 24 hours have passed since the customer's last message; send a template." in text
    assert "follow_up" in text and not Message.objects.exists()

    wrong = client.post(page_url(conversation, "reply"), {"template": str(template.pk), "parameters": ["Olga"]})
    assert wrong.status_code == 200 and "takes 2 parameter(s), got 1" in visible_text(wrong)
    assert 'value="Olga"' in wrong.content.decode()  # what was typed is kept
    assert not Message.objects.exists()

    sent = client.post(
        page_url(conversation, "reply"), {"template": str(template.pk), "parameters": ["Olga", "Friday"]}
    )
    assert sent.status_code == 302
    message = Message.objects.get()
    assert message.template == template and message.sent_by == owner and message.text == "Hi Olga, about Friday?"


def test_a_template_of_another_salon_cannot_be_sent(owner, other_owner, salon):
    conversation = ConversationFactory(salon=salon)
    other_template = TemplateFactory(salon=factories.SalonFactory(owner=other_owner), body="Hello")
    sibling_template = TemplateFactory(salon=factories.SalonFactory(owner=owner), body="Hello")
    client = admin_client(owner)
    for template in (other_template, sibling_template):
        response = client.post(page_url(conversation, "reply"), {"template": str(template.pk)})
        assert response.status_code == 200 and "Select a valid choice" in visible_text(response)
    assert not Message.objects.exists()


def test_the_plan_limit_and_an_inactive_salon_are_error_messages_not_500(owner, salon):
    conversation = ConversationFactory(salon=salon)
    client = admin_client(owner)
    salon.max_messages_per_month = 0
    salon.save(update_fields=["max_messages_per_month"])
    response = client.post(page_url(conversation, "reply"), {"text": "hello"})
    assert response.status_code == 200 and "The plan allows 0 messages per month." in visible_text(response)
    salon.is_active = False
    salon.save(update_fields=["is_active"])
    response = client.post(page_url(conversation, "reply"), {"text": "hello"})
    assert response.status_code == 200 and "The salon is not active." in visible_text(response)
    assert not Message.objects.exists()


# --- hand-over ------------------------------------------------------------------------------------


def test_take_over_and_hand_back_through_the_buttons(owner, salon):
    conversation = ConversationFactory(salon=salon, bot_state={"step": "service"})
    client = admin_client(owner)
    page = client.get(page_url(conversation)).content.decode()
    assert f'action="{page_url(conversation, "take-over")}"' in page

    response = client.post(page_url(conversation, "take-over"))
    assert response.status_code == 302 and response.url == page_url(conversation)
    conversation.refresh_from_db()
    assert conversation.bot_paused
    page = client.get(response.url)
    assert "You took the conversation over" in visible_text(page)
    assert f'action="{page_url(conversation, "hand-back")}"' in page.content.decode()

    response = client.post(page_url(conversation, "hand-back"))
    conversation.refresh_from_db()
    assert response.status_code == 302 and not conversation.bot_paused
    assert set(conversation.bot_state) == {"upto"}  # the service ran: the bot starts afresh


def test_the_write_views_take_only_post(owner, salon):
    conversation = ConversationFactory(salon=salon)
    client = admin_client(owner)
    for action in ("reply", "take-over", "hand-back"):
        assert client.get(page_url(conversation, action)).status_code == 405


def test_another_owners_conversation_is_404_on_the_page_and_every_post(owner, other_owner):
    theirs = ConversationFactory(salon=factories.SalonFactory(owner=other_owner))
    client = admin_client(owner)
    assert client.get(page_url(theirs)).status_code == 404
    for action, data in [("reply", {"text": "hi"}), ("take-over", {}), ("hand-back", {})]:
        assert client.post(page_url(theirs, action), data).status_code == 404
    assert client.post(f"{INBOX}not-a-uuid/take-over/").status_code == 404
    theirs.refresh_from_db()
    assert not theirs.bot_paused and not Message.objects.exists()


def test_anonymous_visitors_are_sent_to_the_login(salon):
    conversation = ConversationFactory(salon=salon)
    response = Client().post(page_url(conversation, "take-over"))
    assert response.status_code == 302 and "/admin/login/" in response.url
    conversation.refresh_from_db()
    assert not conversation.bot_paused


# --- around the inbox -----------------------------------------------------------------------------


def test_the_message_list_names_the_customer_and_shows_no_ids(owner, salon):
    conversation = ConversationFactory(salon=salon, customer__name="Vera Visible")
    MessageFactory(conversation=conversation, text="hello there")
    response = admin_client(owner).get("/admin/messaging/message/")
    text = visible_text(response)
    assert "Vera Visible" in text and "hello there" in text and not UUID.search(text)
    assert f'href="{page_url(conversation)}"' in response.content.decode()


def test_the_webhook_body_is_styled_by_class_not_by_attribute(owner, salon):
    from messaging.models import WebhookEvent

    event = WebhookEvent.objects.create(body='{"a": 1}', salon=salon)
    html = admin_client(owner).get(f"/admin/messaging/webhookevent/{event.pk}/change/").content.decode()
    assert '<pre class="webhook-body">' in html and "messaging/inbox.css" in html
    assert "style=" not in html.split('id="content-main"', 1)[1]


def test_the_migration_marks_conversations_whose_customer_wrote_last(salon):
    from django.apps import apps

    migration = importlib.import_module("messaging.migrations.0003_conversation_waiting_for_an_answer")
    answered = ConversationFactory(salon=salon, wa_id="1")
    waiting = ConversationFactory(salon=salon, wa_id="2")
    silent = ConversationFactory(salon=salon, wa_id="3")
    base = timezone.now() - timedelta(hours=1)
    history = {
        answered: [(Direction.IN, "text"), (Direction.OUT, "text")],
        waiting: [(Direction.IN, "text"), (Direction.OUT, "text"), (Direction.IN, "text"), (Direction.IN, "reaction")],
    }
    for conversation, messages in history.items():
        for minute, (direction, kind) in enumerate(messages):
            message = MessageFactory(conversation=conversation, direction=direction, type=kind)
            at = base + timedelta(minutes=minute)
            Message.objects.filter(pk=message.pk).update(created_at=at, sent_at=at)
    migration.mark_waiting_conversations(apps, None)
    marks = dict(Conversation.objects.values_list("pk", "waiting_since"))
    assert marks[answered.pk] is None and marks[silent.pk] is None
    assert marks[waiting.pk] == base + timedelta(minutes=2)
