"""Send failures, split into the ones worth retrying and the ones that will fail again.

Codes and advice are from /work/shared/research/whatsapp.md §2 (Meta error codes, pywa
`pywa/errors.py`, whatsapp-python `errors.py`).
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

logger = logging.getLogger(__name__)

OUTSIDE_WINDOW = 131047  # re-engagement: more than 24 h since the customer last wrote
SPAM_RATE_LIMIT = 131048

# Throughput, pair-rate and app/WABA limits, Meta's own hiccups and maintenance: the same request
# can succeed later, with backoff.
TRANSIENT_CODES = frozenset({4, 80007, 130429, 131056, 131000, 131016, 133004, 131057})

# Sending again changes nothing: outside the window (send a template instead), not a WhatsApp user,
# bad parameters, template missing or paused, or a quality block that retrying would make worse.
PERMANENT_CODES = frozenset(
    {
        OUTSIDE_WINDOW,
        131026,
        131051,
        131008,
        131009,
        132000,
        132001,
        132005,
        132007,
        132012,
        132015,
        132016,
        SPAM_RATE_LIMIT,
    }
)

# Failures only the salon owner can fix (number quality, paused or disabled templates, an expired
# access token): logged at ERROR so they reach a person, not just a retry counter.
OWNER_ATTENTION_CODES = frozenset({SPAM_RATE_LIMIT, 132015, 132016, 190})


class SendError(Exception):
    """A message the Cloud API did not accept (or that we could not hand to it)."""

    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str = "",
        *,
        code: int | None = None,
        title: str = "",
        http_status: int | None = None,
        retry_after: float | None = None,
        details: str = "",
    ) -> None:
        super().__init__(message or title or "WhatsApp send failed")
        self.code = code
        self.title = title or message
        self.http_status = http_status
        self.retry_after = retry_after
        self.details = details

    @property
    def needs_owner_attention(self) -> bool:
        return self.code in OWNER_ATTENTION_CODES

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only fields would be lost by Exception's default pickling (Celery pickles errors).
        return (type(self), self.args, self.__dict__)

    def __str__(self) -> str:
        parts = [str(self.args[0]) if self.args else self.title]
        if self.code is not None:
            parts.append(f"code={self.code}")
        if self.http_status is not None:
            parts.append(f"http={self.http_status}")
        if self.retry_after is not None:
            parts.append(f"retry_after={self.retry_after:g}s")
        return " ".join(parts)


class TransientSendError(SendError):
    """Worth retrying later, with backoff (rate limits, 5xx, network trouble, Meta maintenance)."""

    retryable: ClassVar[bool] = True


class PermanentSendError(SendError):
    """Will fail again as is: record it, and fall back (a template) or tell the owner."""

    retryable: ClassVar[bool] = False


def classify(http_status: int | None, error_json: Any, *, retry_after: float | None = None) -> SendError:
    """Turn a Graph error into a Transient or Permanent SendError.

    `error_json` is the response body (`{"error": {"code", "message", "error_data", ...}}`), the
    inner error object, or an item of a failed status's `errors[]`; anything else is tolerated.
    `http_status` is None for failures reported later in a status webhook.
    """
    error = _error_object(error_json)
    code = _int_or_none(error.get("code"))
    title = _str(error.get("title")) or _str(error.get("error_user_title")) or _str(error.get("message"))
    if not title:
        title = f"HTTP {http_status}" if http_status is not None else "unknown error"
    error_data = error.get("error_data")
    details = _str(error_data.get("details")) if isinstance(error_data, dict) else ""
    details = details or _str(error.get("error_user_msg"))

    # A known code decides; HTTP status only when the code is unknown (Meta answers 400 to
    # throttling codes such as 131056, which must still be retried).
    if code in PERMANENT_CODES:
        cls: type[SendError] = PermanentSendError
    elif code in TRANSIENT_CODES or _is_retryable_status(http_status):
        cls = TransientSendError
    else:
        cls = PermanentSendError
    err = cls(title, code=code, title=title, http_status=http_status, retry_after=retry_after, details=details)
    if err.needs_owner_attention:
        logger.error(
            "WhatsApp refused a message and the salon owner must act (code %s, %s): %s",
            code,
            title,
            details or "no details",
        )
    return err


def is_outside_window(err: BaseException | int | None) -> bool:
    """True for 131047: free text after the 24-hour window; send an approved template instead."""
    code = err.code if isinstance(err, SendError) else err
    return code == OUTSIDE_WINDOW


def _is_retryable_status(http_status: int | None) -> bool:
    return http_status is not None and (http_status == 429 or http_status >= 500)


def _error_object(error_json: Any) -> dict[str, Any]:
    if not isinstance(error_json, dict):
        return {}
    inner = error_json.get("error")
    if isinstance(inner, dict):
        return inner
    errors = error_json.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return errors[0]
    return error_json


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""
