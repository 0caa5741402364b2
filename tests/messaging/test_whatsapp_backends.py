"""Outbound backends. The cloud backend talks HTTP to a real local server standing in for Graph."""

import email.utils
import json
import logging
import os
import re
import socket
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from werkzeug import Response

from messaging.whatsapp import backends
from messaging.whatsapp.backends import (
    CloudBackend,
    ConsoleBackend,
    MemoryBackend,
    get_backend,
    send_message,
)
from messaging.whatsapp.errors import PermanentSendError, TransientSendError, is_outside_window
from messaging.whatsapp.messages import Button, Row, Section, buttons_body, list_body, text_body
from tests.messaging.conftest import PHONE_NUMBER_ID, TO, TOKEN, graph_error

# --- cloud backend ----------------------------------------------------------------------------


def test_cloud_send_posts_the_body_with_the_token_and_returns_the_wamid(graph):
    body = text_body(TO, "Olá Marta! A sua marcação está confirmada 💇")
    graph.expect_oneshot_request(
        f"/{PHONE_NUMBER_ID}/messages",
        method="POST",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        json=body,
    ).respond_with_json(
        {
            "messaging_product": "whatsapp",
            "contacts": [{"input": TO, "wa_id": TO}],
            "messages": [{"id": "wamid.HBgMMzUxOTEyMzQ1Njc4FQIAERgSQ0Y"}],
        }
    )
    wamid = get_backend().send(phone_number_id=PHONE_NUMBER_ID, body=body)
    assert wamid == "wamid.HBgMMzUxOTEyMzQ1Njc4FQIAERgSQ0Y"
    ((request, _response),) = graph.log
    assert json.loads(request.get_data()) == body
    assert "💇".encode() in request.get_data()  # UTF-8 on the wire, as Graph accepts


def test_cloud_backend_sends_builder_output_that_the_fake_graph_accepts(fake_graph):
    backend = get_backend()
    list_message = list_body(
        TO,
        "Escolha um horário para sábado",
        "Ver horários",
        [Section("Manhã", [Row("slot:1", "09:30", "Corte · Ana")]), Section("Tarde", [Row("slot:2", "15:00")])],
    )
    buttons_message = buttons_body(TO, "Confirmar?", [Button("confirm:B1", "Confirmar"), Button("cancel:B1", "Não")])
    assert backend.send(phone_number_id=PHONE_NUMBER_ID, body=list_message) == "wamid.FAKE-1"
    assert backend.send(phone_number_id=PHONE_NUMBER_ID, body=buttons_message) == "wamid.FAKE-2"
    assert fake_graph.received == [(PHONE_NUMBER_ID, list_message), (PHONE_NUMBER_ID, buttons_message)]


def test_a_body_breaking_the_limits_is_refused_permanently(fake_graph):
    too_many = {
        "messaging_product": "whatsapp",
        "to": TO,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "b"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": f"b{n}", "title": f"B{n}"}} for n in range(4)]},
        },
    }
    with pytest.raises(PermanentSendError) as caught:
        get_backend().send(phone_number_id=PHONE_NUMBER_ID, body=too_many)
    assert (caught.value.code, caught.value.http_status) == (131009, 400)
    assert "4 buttons, more than 3" in caught.value.details


def test_throughput_limit_429_is_transient_with_retry_after(graph):
    graph.expect_oneshot_request(f"/{PHONE_NUMBER_ID}/messages", method="POST").respond_with_response(
        graph_error(429, 130429, "(#130429) Rate limit hit", headers={"Retry-After": "7"})
    )
    with pytest.raises(TransientSendError) as caught:
        get_backend().send(phone_number_id=PHONE_NUMBER_ID, body=text_body(TO, "hi"))
    assert (caught.value.code, caught.value.http_status, caught.value.retry_after) == (130429, 429, 7.0)


def test_retry_after_as_an_http_date_becomes_seconds(graph):
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    graph.expect_oneshot_request(f"/{PHONE_NUMBER_ID}/messages", method="POST").respond_with_response(
        graph_error(400, 131056, "(#131056) Pair rate limit hit", headers={"Retry-After": later})
    )
    with pytest.raises(TransientSendError) as caught:
        get_backend().send(phone_number_id=PHONE_NUMBER_ID, body=text_body(TO, "hi"))
    assert caught.value.code == 131056
    assert 20 < caught.value.retry_after <= 31


def test_outside_the_24_hour_window_is_permanent(graph):
    graph.expect_oneshot_request(f"/{PHONE_NUMBER_ID}/messages", method="POST").respond_with_response(
        graph_error(
            400, 131047, "Re-engagement message", "More than 24 hours have passed since the recipient last replied"
        )
    )
    with pytest.raises(PermanentSendError) as caught:
        get_backend().send(phone_number_id=PHONE_NUMBER_ID, body=text_body(TO, "Lembrete"))
    assert is_outside_window(caught.value)
    assert caught.value.retry_after is None


def test_server_error_with_a_non_json_body_is_transient(graph):
    graph.expect_oneshot_request(f"/{PHONE_NUMBER_ID}/messages", method="POST").respond_with_data(
        "<html>Internal Server Error</html>", status=500, content_type="text/html"
    )
    with pytest.raises(TransientSendError) as caught:
        get_backend().send(phone_number_id=PHONE_NUMBER_ID, body=text_body(TO, "hi"))
    assert (caught.value.http_status, caught.value.code) == (500, None)


def test_expired_token_is_permanent_and_needs_the_owner(graph):
    graph.expect_oneshot_request(f"/{PHONE_NUMBER_ID}/messages", method="POST").respond_with_response(
        graph_error(401, 190, "Error validating access token: Session has expired")
    )
    with pytest.raises(PermanentSendError) as caught:
        get_backend().send(phone_number_id=PHONE_NUMBER_ID, body=text_body(TO, "hi"))
    assert caught.value.needs_owner_attention


def test_success_without_a_message_id_is_not_retried(graph):
    graph.expect_oneshot_request(f"/{PHONE_NUMBER_ID}/messages", method="POST").respond_with_json({"ok": True})
    with pytest.raises(PermanentSendError):
        get_backend().send(phone_number_id=PHONE_NUMBER_ID, body=text_body(TO, "hi"))


def test_connection_refused_is_transient(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    settings.WHATSAPP_BACKEND = "cloud"
    settings.WHATSAPP_API_BASE_URL = f"http://127.0.0.1:{closed_port}/v21.0"
    settings.WHATSAPP_ACCESS_TOKEN = TOKEN
    with pytest.raises(TransientSendError) as caught:
        get_backend().send(phone_number_id=PHONE_NUMBER_ID, body=text_body(TO, "hi"))
    assert caught.value.http_status is None


def test_a_slow_graph_times_out_as_transient(graph, settings):
    settings.WHATSAPP_HTTP_TIMEOUT = 0.2

    def slow(request):
        time.sleep(0.8)
        return Response("{}", content_type="application/json")

    graph.expect_oneshot_request(f"/{PHONE_NUMBER_ID}/messages", method="POST").respond_with_handler(slow)
    started = time.monotonic()
    with pytest.raises(TransientSendError) as caught:
        get_backend().send(phone_number_id=PHONE_NUMBER_ID, body=text_body(TO, "hi"))
    assert time.monotonic() - started < 0.7
    assert caught.value.title == "timeout"


def test_base_url_with_a_version_path_is_joined_without_double_slashes(graph, settings):
    settings.WHATSAPP_API_BASE_URL = graph.url_for("/v21.0/")
    graph.expect_oneshot_request(f"/v21.0/{PHONE_NUMBER_ID}/messages", method="POST").respond_with_json(
        {"messages": [{"id": "wamid.V"}]}
    )
    assert get_backend().send(phone_number_id=PHONE_NUMBER_ID, body=text_body(TO, "hi")) == "wamid.V"


def test_missing_access_token_fails_before_any_request(graph, settings):
    settings.WHATSAPP_ACCESS_TOKEN = ""
    with pytest.raises(PermanentSendError, match="WHATSAPP_ACCESS_TOKEN"):
        get_backend().send(phone_number_id=PHONE_NUMBER_ID, body=text_body(TO, "hi"))
    assert graph.log == []


def test_a_base_url_without_a_scheme_is_permanent(settings):
    settings.WHATSAPP_ACCESS_TOKEN = TOKEN
    backend = CloudBackend(base_url="graph.facebook.com/v21.0")
    with pytest.raises(PermanentSendError):
        backend.send(phone_number_id=PHONE_NUMBER_ID, body=text_body(TO, "hi"))


def test_one_http_client_is_reused_for_every_send(fake_graph):
    backend = get_backend()
    client = backend._client
    for _ in range(3):
        backend.send(phone_number_id=PHONE_NUMBER_ID, body=text_body(TO, "hi"))
    assert get_backend() is backend
    assert backend._client is client and not client.is_closed
    assert len(fake_graph.received) == 3


# --- console and memory backends ---------------------------------------------------------------


def test_console_backend_logs_one_info_line_per_message(caplog):
    caplog.set_level(logging.INFO, logger="messaging.whatsapp.backends")
    body = text_body(TO, "Olá! Marcação confirmada ✂️\nSee you " + "soon " * 40)
    wamid = ConsoleBackend().send(phone_number_id=PHONE_NUMBER_ID, body=body)
    assert re.fullmatch(r"wamid\.console-[0-9a-f-]{36}", wamid)
    (record,) = caplog.records
    line = record.getMessage()
    assert record.levelno == logging.INFO and "\n" not in line
    assert line.startswith(f"WhatsApp text to +{TO}: Olá! Marcação confirmada ✂️ See you soon")  # not \u-escaped
    assert "…" in line and wamid in line and len(line) < 200
    interactive = buttons_body(TO, "Pick a time", [Button("t1", "10:00")])
    ConsoleBackend().send(phone_number_id=PHONE_NUMBER_ID, body=interactive)
    assert caplog.records[-1].getMessage().startswith(f"WhatsApp interactive to +{TO}: Pick a time")


def test_memory_backend_records_sends_in_the_outbox():
    backend = MemoryBackend()
    first = backend.send(phone_number_id=PHONE_NUMBER_ID, body=text_body(TO, "um"))
    second = backend.send(phone_number_id="420000000000888", body=text_body(TO, "dois"))
    assert re.fullmatch(r"wamid\.memory-\d+", first)
    assert int(second.rsplit("-", 1)[1]) == int(first.rsplit("-", 1)[1]) + 1
    assert [(pnid, body["text"]["body"]) for pnid, body in backends.outbox] == [
        (PHONE_NUMBER_ID, "um"),
        ("420000000000888", "dois"),
    ]


def test_memory_backend_keeps_a_copy_of_what_was_sent():
    body = text_body(TO, "original")
    MemoryBackend().send(phone_number_id=PHONE_NUMBER_ID, body=body)
    body["text"]["body"] = "changed later"
    assert backends.outbox[0][1]["text"]["body"] == "original"


def test_memory_reset_empties_the_outbox_but_wamids_stay_unique():
    before = MemoryBackend().send(phone_number_id=PHONE_NUMBER_ID, body=text_body(TO, "x"))
    backends.reset()
    assert backends.outbox == []
    after = MemoryBackend().send(phone_number_id=PHONE_NUMBER_ID, body=text_body(TO, "y"))
    assert after != before


def test_memory_backend_can_be_told_to_fail_the_next_sends():
    backend = MemoryBackend()
    backend.fail_next(
        TransientSendError("pair rate", code=131056, http_status=400),
        PermanentSendError("window", code=131047, http_status=400),
    )
    with pytest.raises(TransientSendError):
        backend.send(phone_number_id=PHONE_NUMBER_ID, body=text_body(TO, "1"))
    with pytest.raises(PermanentSendError):
        backend.send(phone_number_id=PHONE_NUMBER_ID, body=text_body(TO, "2"))
    backend.send(phone_number_id=PHONE_NUMBER_ID, body=text_body(TO, "3"))
    assert [body["text"]["body"] for _, body in backends.outbox] == ["3"]


# --- get_backend ------------------------------------------------------------------------------


def test_get_backend_follows_the_setting(settings):
    settings.WHATSAPP_BACKEND = "memory"
    memory = get_backend()
    assert isinstance(memory, MemoryBackend)
    assert get_backend() is memory

    settings.WHATSAPP_BACKEND = "console"
    assert isinstance(get_backend(), ConsoleBackend)

    settings.WHATSAPP_BACKEND = "cloud"
    settings.WHATSAPP_API_BASE_URL = "http://127.0.0.1:9/v1"
    cloud = get_backend()
    assert isinstance(cloud, CloudBackend)
    assert cloud.base_url == "http://127.0.0.1:9/v1"

    settings.WHATSAPP_API_BASE_URL = "http://127.0.0.1:9/v2"
    assert get_backend().base_url == "http://127.0.0.1:9/v2"

    settings.WHATSAPP_BACKEND = "memory"
    assert isinstance(get_backend(), MemoryBackend)


def test_get_backend_accepts_a_name_or_a_dotted_path(settings):
    settings.WHATSAPP_BACKEND = "console"
    assert isinstance(get_backend("memory"), MemoryBackend)
    assert isinstance(get_backend("messaging.whatsapp.backends.MemoryBackend"), MemoryBackend)
    settings.WHATSAPP_BACKEND = "tests.messaging.test_whatsapp_backends.FakeGraphlessBackend"
    assert isinstance(get_backend(), FakeGraphlessBackend)


@pytest.mark.parametrize("name", ["carrier-pigeon", "collections.OrderedDict", "no.such.module.Backend"])
def test_get_backend_rejects_what_is_not_a_backend(settings, name):
    settings.WHATSAPP_BACKEND = name
    with pytest.raises(ImproperlyConfigured):
        get_backend()


def test_send_message_goes_through_the_configured_backend(settings):
    settings.WHATSAPP_BACKEND = "memory"
    wamid = send_message(phone_number_id=PHONE_NUMBER_ID, body=text_body(TO, "olá"))
    assert wamid.startswith("wamid.memory-")
    assert backends.outbox == [(PHONE_NUMBER_ID, text_body(TO, "olá"))]


class FakeGraphlessBackend(backends.BaseBackend):
    def send(self, *, phone_number_id, body):
        return "wamid.custom"


def test_memory_wamids_differ_between_forked_processes():
    # Celery's prefork children share one database, where message wamids are unique.
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: send one message and report its wamid
        os.close(read_end)
        os.write(write_end, MemoryBackend().send(phone_number_id=PHONE_NUMBER_ID, body=text_body(TO, "x")).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        child_wamid = pipe.read()
    os.waitpid(pid, 0)
    parent_wamid = MemoryBackend().send(phone_number_id=PHONE_NUMBER_ID, body=text_body(TO, "y"))
    assert re.fullmatch(r"wamid\.memory-\d+", child_wamid)
    assert child_wamid != parent_wamid
