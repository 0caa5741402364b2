"""End to end with a real Celery worker: no eager mode, a real broker, the fake Graph API over HTTP.

A signed webhook POSTed to a live server is stored, published, and processed by the worker; a
queued message meets a 429 with Retry-After, waits on a real countdown, and is sent once.
"""

import time

import httpx
import pytest

from messaging.models import Message, MessageStatus, WebhookEvent
from messaging.services import outbound
from messaging.whatsapp.signature import sign
from tests import factories
from tests.messaging import meta
from tests.messaging.conftest import APP_SECRET, PHONE_NUMBER_ID, WEBHOOK_URL, graph_error, raw, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def test_a_webhook_is_processed_and_a_rate_limited_reply_is_sent_once_by_the_worker(live_server, worker, fake_graph):
    salon = factories.SalonFactory(whatsapp_phone_number_id=PHONE_NUMBER_ID)
    data = raw(meta.messages(meta.text("wamid.LIVE-1", ts=int(time.time()))))
    headers = {"X-Hub-Signature-256": sign(data, APP_SECRET), "Content-Type": "application/json"}
    for _ in range(2):  # Meta re-delivers: stored once all the same
        assert httpx.post(live_server.url + WEBHOOK_URL, content=data, headers=headers).status_code == 200
    assert wait_for(lambda: WebhookEvent.objects.filter(processed_at__isnull=False).count() == 2)
    inbound = Message.objects.get(wamid="wamid.LIVE-1")
    assert inbound.salon == salon

    text = "Olá Marta, temos vaga sábado às 10h."
    rate_limited = graph_error(429, 130429, "(#130429) Rate limit hit", headers={"Retry-After": "1"})
    # Only our reply meets the 429: a bot listening to inbound_message may be answering too.
    fake_graph.fail_next(rate_limited, matching=lambda body: body.get("text", {}).get("body") == text)
    reply = outbound.queue_text(conversation=inbound.conversation, text=text)
    assert wait_for(lambda: Message.objects.get(pk=reply.pk).status == MessageStatus.SENT)

    reply.refresh_from_db()
    ours = [(body, wamid) for _, body, wamid in fake_graph.accepted if body.get("text", {}).get("body") == reply.text]
    assert len(ours) == 1 and ours[0][1] == reply.wamid and reply.attempts == 2
    tries = [entry for entry in fake_graph.log if entry[1].get("text", {}).get("body") == reply.text]
    assert len(tries) == 2
    assert tries[1][0] - tries[0][0] >= 0.9  # the retry waited for Retry-After on a real countdown
