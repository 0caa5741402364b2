"""Which send failures are retried (research/whatsapp.md §2, error code table)."""

import logging
import pickle

import pytest

from messaging.whatsapp.errors import (
    PermanentSendError,
    SendError,
    TransientSendError,
    classify,
    is_outside_window,
)


def graph_error(code, message="(#%s) error", http_details="details"):
    """The body the Graph API answers with when a send is refused."""
    return {
        "error": {
            "message": message % code if "%s" in message else message,
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": http_details},
            "fbtrace_id": "AbCdEf",
        }
    }


@pytest.mark.parametrize("code", [4, 80007, 130429, 131056, 131000, 131016, 133004, 131057])
def test_throttling_and_meta_side_codes_are_transient_even_on_a_400(code):
    err = classify(400, graph_error(code))
    assert isinstance(err, TransientSendError)
    assert err.retryable
    assert (err.code, err.http_status) == (code, 400)


@pytest.mark.parametrize(
    "code", [131047, 131026, 131051, 131008, 131009, 132000, 132001, 132005, 132007, 132012, 132015, 132016, 131048]
)
def test_codes_that_will_fail_again_are_permanent_even_on_a_5xx(code):
    err = classify(500, graph_error(code))
    assert isinstance(err, PermanentSendError)
    assert not err.retryable


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_rate_limit_and_server_errors_without_a_known_code_are_transient(status):
    assert isinstance(classify(status, None), TransientSendError)
    assert isinstance(
        classify(status, {"error": {"code": 1, "message": "An unknown error occurred"}}), TransientSendError
    )


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_other_client_errors_are_permanent(status):
    assert isinstance(classify(status, graph_error(100, "(#100) Invalid parameter")), PermanentSendError)


def test_fields_are_read_from_the_graph_error():
    err = classify(
        400, graph_error(131047, "Re-engagement message", "More than 24 hours have passed"), retry_after=None
    )
    assert (err.code, err.title, err.details, err.http_status, err.retry_after) == (
        131047,
        "Re-engagement message",
        "More than 24 hours have passed",
        400,
        None,
    )
    assert "code=131047" in str(err) and "http=400" in str(err)


def test_retry_after_is_kept():
    err = classify(429, graph_error(130429), retry_after=12.5)
    assert isinstance(err, TransientSendError)
    assert err.retry_after == 12.5


def test_a_failed_status_error_item_can_be_classified():
    # Async failures arrive in a status webhook, without an HTTP status.
    err = classify(None, {"code": 131047, "title": "Re-engagement message", "message": "Re-engagement message"})
    assert isinstance(err, PermanentSendError)
    assert (err.code, err.title, err.http_status) == (131047, "Re-engagement message", None)


@pytest.mark.parametrize("error_json", [None, "Bad Gateway", [], {"error": "nope"}, {"error": {"code": "x"}}])
def test_unreadable_error_bodies_are_tolerated(error_json):
    err = classify(502, error_json)
    assert isinstance(err, TransientSendError)
    assert err.code is None
    assert err.title


def test_spam_rate_limit_is_logged_loudly_for_the_owner(caplog):
    with caplog.at_level(logging.ERROR, logger="messaging.whatsapp.errors"):
        err = classify(400, graph_error(131048, "Spam rate limit hit"))
    assert isinstance(err, PermanentSendError)
    assert err.needs_owner_attention
    assert [record.levelno for record in caplog.records] == [logging.ERROR]
    assert "131048" in caplog.text


def test_ordinary_failures_are_not_logged_at_error(caplog):
    with caplog.at_level(logging.ERROR, logger="messaging.whatsapp.errors"):
        classify(400, graph_error(131047))
    assert caplog.records == []


def test_is_outside_window_recognises_131047_only():
    assert is_outside_window(classify(400, graph_error(131047)))
    assert is_outside_window(131047)
    assert not is_outside_window(classify(400, graph_error(131026)))
    assert not is_outside_window(ValueError("x"))
    assert not is_outside_window(None)


def test_send_errors_survive_pickling_with_their_fields():
    # Celery pickles exceptions across processes; keyword-only fields must not be lost.
    err = classify(429, graph_error(130429, "Rate limit hit"), retry_after=3.0)
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is TransientSendError
    assert (copy.code, copy.title, copy.http_status, copy.retry_after, copy.details) == (
        130429,
        "Rate limit hit",
        429,
        3.0,
        "details",
    )


def test_both_kinds_are_send_errors():
    assert issubclass(TransientSendError, SendError)
    assert issubclass(PermanentSendError, SendError)
