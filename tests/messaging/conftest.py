"""Fixtures of the messaging tests: WhatsApp settings, a fake Graph API over real HTTP, webhook posts."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from werkzeug import Request, Response

from messaging.services import routing
from messaging.whatsapp import backends
from messaging.whatsapp.messages import validate_outbound
from messaging.whatsapp.signature import sign
from salonbot.celery import app as celery_app
from tests.conftest import database_url, purge_broker

PHONE_NUMBER_ID = "420000000000777"
TOKEN = "EAAG-test-token"
TO = "351912345678"
APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
WEBHOOK_URL = "/api/whatsapp/webhook"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _whatsapp_settings(settings):
    """Memory backend and known credentials; no outbox, failures or routes leak between tests."""
    settings.WHATSAPP_BACKEND = "memory"
    settings.WHATSAPP_APP_SECRET = APP_SECRET
    settings.WHATSAPP_VERIFY_TOKEN = VERIFY_TOKEN
    backends.reset()
    routing.clear()
    yield
    backends.reset()
    routing.clear()


@pytest.fixture
def graph(httpserver, settings):
    """pytest-httpserver as the Graph API, with the cloud backend pointed at it."""
    settings.WHATSAPP_BACKEND = "cloud"
    settings.WHATSAPP_API_BASE_URL = httpserver.url_for("")
    settings.WHATSAPP_ACCESS_TOKEN = TOKEN
    settings.WHATSAPP_HTTP_TIMEOUT = 5.0
    yield httpserver
    httpserver.check_assertions()


class FakeGraph:
    """Answers like `POST /{phone_number_id}/messages`, refusing bodies that break the limits.

    `fail_next(response, ...)` scripts the next answers (a 429, a permanent error); `accepted`
    lists the requests that got a wamid, so a test can tell "sent once" from "tried twice".
    """

    def __init__(self) -> None:
        self.received: list[tuple[str, dict]] = []
        self.accepted: list[tuple[str, dict, str]] = []
        self.log: list[tuple[float, dict]] = []  # (time.monotonic(), body) of every request
        self._scripted: deque[tuple[Response, object]] = deque()
        self._lock = threading.Lock()

    def fail_next(self, *responses: Response, matching=None) -> None:
        """Answer the next requests with these; only requests whose body `matching(body)` accepts."""
        self._scripted.extend((response, matching) for response in responses)

    def __call__(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return graph_error(401, 190, "Invalid OAuth access token.")
        body = request.get_json(silent=True)
        phone_number_id = request.path.split("/")[1]
        with self._lock:
            self.received.append((phone_number_id, body))
            self.log.append((time.monotonic(), body))
            if self._scripted and (self._scripted[0][1] is None or self._scripted[0][1](body)):
                return self._scripted.popleft()[0]
            problems = validate_outbound(body)
            if problems:
                return graph_error(400, 131009, "(#131009) Parameter value is not valid", "; ".join(problems))
            wamid = f"wamid.FAKE-{len(self.received)}"
            self.accepted.append((phone_number_id, body, wamid))
        answer = {"messaging_product": "whatsapp", "contacts": [{"input": body["to"], "wa_id": body["to"]}]}
        return Response(json.dumps({**answer, "messages": [{"id": wamid}]}), content_type="application/json")


class FakeNumbers:
    """Answers `GET /{phone-number-id}` and `GET /{waba-id}/phone_numbers` like the Graph API.

    `numbers` are the platform's Business Account's; `elsewhere` are numbers the token can see
    that belong to another business. `down` makes every answer a 503 (Meta unreachable).
    """

    def __init__(self, waba_id: str) -> None:
        self.waba_id = waba_id
        self.numbers: set[str] = set()
        self.elsewhere: set[str] = set()
        self.down = False
        self.requests: list[str] = []

    def __call__(self, request: Request) -> Response:
        self.requests.append(request.full_path)
        if self.down:
            return graph_error(503, 2, "Service temporarily unavailable")
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return graph_error(401, 190, "Invalid OAuth access token.")
        parts = request.path.strip("/").split("/")
        if parts == [self.waba_id, "phone_numbers"]:
            rows = [
                {"id": n, "display_phone_number": f"+351 21 {n[-6:]}", "verified_name": "Salon"}
                for n in sorted(self.numbers)
            ]
            return Response(json.dumps({"data": rows, "paging": {"cursors": {}}}), content_type="application/json")
        if len(parts) == 1 and parts[0] in self.numbers | self.elsewhere:
            number = {"id": parts[0], "display_phone_number": f"+351 21 {parts[0][-6:]}", "verified_name": "Salon"}
            return Response(json.dumps(number), content_type="application/json")
        return graph_error(
            400,
            100,
            f"Unsupported get request. Object with ID '{parts[0]}' does not exist, cannot be loaded due to "
            "missing permissions, or does not support this operation.",
        )


@pytest.fixture
def fake_numbers(graph, settings):
    """The Graph API's phone-number reads on the fake server; the platform's Business Account set."""
    settings.WHATSAPP_BUSINESS_ACCOUNT_ID = "310000000000001"
    fake = FakeNumbers(settings.WHATSAPP_BUSINESS_ACCOUNT_ID)
    graph.expect_request(re.compile(r"^/\d+(/phone_numbers)?$"), method="GET").respond_with_handler(fake)
    return fake


def graph_error(status, code, message, details="", headers=None):
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AX1"}
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return Response(json.dumps({"error": error}), status=status, content_type="application/json", headers=headers)


@pytest.fixture
def fake_graph(graph):
    fake = FakeGraph()
    graph.expect_request(re.compile(r"^/\d+/messages$"), method="POST").respond_with_handler(fake)
    return fake


def raw(body) -> bytes:
    """The bytes Meta would send: its JSON escapes non-ASCII characters."""
    return body if isinstance(body, bytes) else json.dumps(body).encode()


@pytest.fixture
def post_webhook(client, django_capture_on_commit_callbacks):
    """POST a body to the real webhook URL, signed with the app secret unless told otherwise.

    On-commit work (the processing task, eager in tests, and what it commits) runs before it returns.
    """

    def post(body, *, signature: str | None = "valid", times: int = 1):
        data = raw(body)
        headers = {}
        if signature == "valid":
            headers["HTTP_X_HUB_SIGNATURE_256"] = sign(data, APP_SECRET)
        elif signature is not None:
            headers["HTTP_X_HUB_SIGNATURE_256"] = signature
        response = None
        for _ in range(times):
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(WEBHOOK_URL, data=data, content_type="application/json", **headers)
        return response

    return post


# --- a real Celery worker (the worker tests) -------------------------------------------------------


@pytest.fixture
def published():
    """Tasks go to the real broker (the one settings name) instead of running in this process."""
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


@pytest.fixture
def worker(fake_graph, published, tmp_path):
    """A Celery worker process on the test database and broker, sending to the fake Graph API.

    Its log goes to a file, not a pipe: a pipe nobody reads fills up and stalls a busy worker.
    """
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
        "SALONBOT_VAR_DIR": str(django_settings.VAR_DIR),
        "WHATSAPP_BACKEND": "cloud",
        "WHATSAPP_API_BASE_URL": django_settings.WHATSAPP_API_BASE_URL,
        "WHATSAPP_ACCESS_TOKEN": TOKEN,
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    purge_broker(django_settings.CELERY_BROKER_URL)
    command = [sys.executable, "-m", "celery", "-A", "salonbot", "worker", "--loglevel=INFO", "--concurrency=2"]
    log_path = tmp_path / "worker.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [*command, "--without-gossip", "--without-mingle"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    yield process
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    output = log_path.read_text()
    if "Traceback" in output:
        print(output[-5000:])


def wait_for(condition, seconds=45.0):
    """Poll `condition` until it holds or the (generous) deadline passes; True when it held."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False
