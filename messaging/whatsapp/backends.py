"""Where outbound messages go, chosen by `settings.WHATSAPP_BACKEND` like Django's e-mail backends.

- "cloud": the Graph API over HTTP (`WHATSAPP_API_BASE_URL`, so tests can point it at a local server);
- "console": logs one line per message (the default for the embedded run);
- "memory": keeps them in `outbox` for tests;
- or the dotted path of a BaseBackend subclass.
"""

from __future__ import annotations

import copy
import email.utils
import itertools
import json
import logging
import math
import os
import threading
import uuid
from collections import deque
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .errors import PermanentSendError, SendError, TransientSendError, classify

logger = logging.getLogger(__name__)

BACKEND_ALIASES = {
    "cloud": "messaging.whatsapp.backends.CloudBackend",
    "console": "messaging.whatsapp.backends.ConsoleBackend",
    "memory": "messaging.whatsapp.backends.MemoryBackend",
}
DEFAULT_BASE_URL = "https://graph.facebook.com/v21.0"
DEFAULT_TIMEOUT = 10.0
# Titles of the transient errors after which Meta may have the message (we got no answer).
TIMEOUT, CONNECTION_LOST = "timeout", "connection lost"
AMBIGUOUS_TITLES = frozenset({TIMEOUT, CONNECTION_LOST})


class BaseBackend:
    """Sends one message body (built by `messages.py`) from one of the salon's numbers."""

    def send(self, *, phone_number_id: str, body: dict[str, Any]) -> str:
        """Return the wamid the API gave the message, or raise a SendError."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections; a closed backend must not be used again."""


class CloudBackend(BaseBackend):
    """The WhatsApp Cloud API: `POST {base_url}/{phone_number_id}/messages`."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        access_token: str | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = (base_url if base_url is not None else _setting("WHATSAPP_API_BASE_URL")).rstrip("/")
        self.access_token = access_token if access_token is not None else _setting("WHATSAPP_ACCESS_TOKEN")
        self.timeout = float(timeout if timeout is not None else _setting("WHATSAPP_HTTP_TIMEOUT"))
        # One client per backend: its connection pool keeps TLS sessions to Graph alive between
        # sends. httpx.Client is thread-safe; get_backend never shares one across a fork.
        self._client = httpx.Client(
            timeout=self.timeout,
            headers={"Authorization": f"Bearer {self.access_token}"},
            transport=transport,
        )

    def send(self, *, phone_number_id: str, body: dict[str, Any]) -> str:
        if not phone_number_id:
            raise ValueError("phone_number_id is required")
        if not self.access_token:
            raise PermanentSendError("WHATSAPP_ACCESS_TOKEN is not set", title="access token missing")
        # Quoted so that an id can never reach another Graph path.
        url = f"{self.base_url}/{quote(str(phone_number_id), safe='')}/messages"
        try:
            response = self._client.post(url, json=body)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            # No connection, so nothing reached Meta: a retry cannot duplicate.
            raise TransientSendError(f"could not connect: {exc}", title="network error") from exc
        except httpx.TimeoutException as exc:
            # Ambiguous: Meta may have accepted the message before we stopped waiting. Retrying
            # risks a rare duplicate (no idempotency key exists); not retrying risks a lost one.
            raise TransientSendError(f"timed out after {self.timeout:g}s: {exc}", title=TIMEOUT) from exc
        except (httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
            # A bad base URL or header is configuration, not weather: retrying cannot help.
            raise PermanentSendError(f"request could not be made: {exc}", title="bad request setup") from exc
        except httpx.TransportError as exc:
            # The connection broke after the request went out: as ambiguous as a timeout.
            raise TransientSendError(f"connection lost: {exc}", title=CONNECTION_LOST) from exc
        except httpx.InvalidURL as exc:
            raise PermanentSendError(f"invalid URL {url!r}: {exc}", title="bad request setup") from exc

        data = _json_or_none(response)
        if not response.is_success:
            retry_after = _parse_retry_after(response.headers.get("Retry-After"))
            err = classify(response.status_code, data, retry_after=retry_after)
            logger.warning("WhatsApp send from %s failed: %s", phone_number_id, err)
            raise err
        wamid = _wamid(data)
        if wamid is None:
            # Accepted but unreadable: retrying would probably send a duplicate.
            raise PermanentSendError(
                f"HTTP {response.status_code} without messages[0].id", http_status=response.status_code
            )
        logger.info("WhatsApp %s message %s sent from %s", body.get("type"), wamid, phone_number_id)
        return wamid

    def close(self) -> None:
        self._client.close()


class ConsoleBackend(BaseBackend):
    """Logs each message as one INFO line (recipient, type, the start of its text); nothing leaves
    the machine. The embedded default's backend: readable beside the server's own output."""

    PREVIEW = 80

    def send(self, *, phone_number_id: str, body: dict[str, Any]) -> str:
        wamid = f"wamid.console-{uuid.uuid4()}"
        text = " ".join(_visible_text(body).split())
        if len(text) > self.PREVIEW:
            text = text[: self.PREVIEW - 1] + "…"
        logger.info("WhatsApp %s to +%s: %s [%s]", body.get("type"), body.get("to"), text, wamid)
        return wamid


def _visible_text(body: dict[str, Any]) -> str:
    """What the customer reads first: the text, an interactive body, or a template's name."""
    kind = body.get("type")
    if kind == "text":
        return body.get("text", {}).get("body", "")
    if kind == "interactive":
        return body.get("interactive", {}).get("body", {}).get("text", "")
    if kind == "template":
        return f"template {body.get('template', {}).get('name', '')}"
    return json.dumps(body.get(kind, {}), ensure_ascii=False)


# The memory backend's state is module-level, like django.core.mail.outbox, so a test can read it
# whichever backend instance the code under test obtained.
outbox: list[tuple[str, dict[str, Any]]] = []
_pending_failures: deque[SendError] = deque()


# Counts up for the life of the process, even across reset(), so memory wamids stay unique. It
# starts from the pid, and again in each forked child (Celery prefork), so that processes sharing
# one database never hand out the same wamid (message wamids are unique there).
def _new_memory_counter() -> itertools.count:
    return itertools.count(os.getpid() * 10**9 + 1)


_memory_counter = _new_memory_counter()


def _restart_memory_counter() -> None:
    global _memory_counter
    _memory_counter = _new_memory_counter()


os.register_at_fork(after_in_child=_restart_memory_counter)
_memory_lock = threading.Lock()


def reset() -> None:
    """Empty the memory outbox and forget any failures set up with fail_next()."""
    with _memory_lock:
        outbox.clear()
        _pending_failures.clear()


def fail_next(*errors: SendError) -> None:
    """Make the next memory sends raise these errors, one per send, in order."""
    with _memory_lock:
        _pending_failures.extend(errors)


class MemoryBackend(BaseBackend):
    """Appends `(phone_number_id, body)` to `outbox` and answers `wamid.memory-<n>`."""

    def send(self, *, phone_number_id: str, body: dict[str, Any]) -> str:
        with _memory_lock:
            if _pending_failures:
                raise _pending_failures.popleft()
            # A copy, so that a caller mutating its dict afterwards cannot rewrite what was "sent".
            outbox.append((phone_number_id, copy.deepcopy(body)))
            return f"wamid.memory-{next(_memory_counter)}"

    fail_next = staticmethod(fail_next)
    reset = staticmethod(reset)


_backends: dict[str, tuple[tuple[Any, ...], BaseBackend]] = {}
_backends_lock = threading.Lock()


def get_backend(name: str | None = None) -> BaseBackend:
    """The backend named `name` or `settings.WHATSAPP_BACKEND`, one instance per process.

    It is built again when the WhatsApp settings change (tests override them) or after a fork
    (a Celery prefork child must not share its parent's sockets).
    """
    configured = name or _setting("WHATSAPP_BACKEND") or "console"
    path = BACKEND_ALIASES.get(configured.strip().lower(), configured.strip())
    config = (
        os.getpid(),
        _setting("WHATSAPP_API_BASE_URL"),
        _setting("WHATSAPP_ACCESS_TOKEN"),
        _setting("WHATSAPP_HTTP_TIMEOUT"),
    )
    with _backends_lock:
        cached = _backends.get(path)
        if cached is not None and cached[0] == config:
            return cached[1]
        # A replaced backend is not closed: another thread may still be sending with it, and its
        # pool is released when it is garbage-collected.
        backend = _load_backend_class(path, configured)()
        _backends[path] = (config, backend)
        return backend


def send_message(*, phone_number_id: str, body: dict[str, Any]) -> str:
    """Send through the configured backend; returns the wamid or raises a SendError."""
    return get_backend().send(phone_number_id=phone_number_id, body=body)


def _load_backend_class(path: str, configured: str) -> type[BaseBackend]:
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"WHATSAPP_BACKEND {configured!r} is neither one of {sorted(BACKEND_ALIASES)} nor an importable class"
        ) from exc
    if not (isinstance(backend_class, type) and issubclass(backend_class, BaseBackend)):
        raise ImproperlyConfigured(f"WHATSAPP_BACKEND {configured!r} is not a BaseBackend subclass")
    return backend_class


_DEFAULTS: dict[str, Any] = {
    "WHATSAPP_BACKEND": "console",
    "WHATSAPP_API_BASE_URL": DEFAULT_BASE_URL,
    "WHATSAPP_ACCESS_TOKEN": "",
    "WHATSAPP_HTTP_TIMEOUT": DEFAULT_TIMEOUT,
}


def _setting(name: str) -> Any:
    return getattr(settings, name, _DEFAULTS[name])


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:  # includes JSONDecodeError and a body that is not UTF-8
        return None


def _wamid(data: Any) -> str | None:
    messages = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(messages, list) or not messages or not isinstance(messages[0], dict):
        return None
    wamid = messages[0].get("id")
    return wamid if isinstance(wamid, str) and wamid else None


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)
