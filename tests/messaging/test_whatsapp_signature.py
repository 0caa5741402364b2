import hashlib
import hmac
import json

import pytest

from messaging.whatsapp.signature import sign, verify_signature

SECRET = "app-secret-123"
BODY = b'{"object":"whatsapp_business_account","entry":[]}'


def test_valid_signature_is_accepted():
    assert verify_signature(BODY, sign(BODY, SECRET), SECRET)


def test_sign_matches_an_independent_hmac_sha256():
    expected = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert sign(BODY, SECRET) == f"sha256={expected}"


def test_signature_made_with_another_secret_is_rejected():
    assert not verify_signature(BODY, sign(BODY, "another-secret"), SECRET)


def test_signature_of_other_bytes_is_rejected():
    assert not verify_signature(BODY + b" ", sign(BODY, SECRET), SECRET)


def test_missing_header_is_rejected():
    assert not verify_signature(BODY, None, SECRET)
    assert not verify_signature(BODY, "", SECRET)


@pytest.mark.parametrize(
    "header",
    [
        "sha256",
        "sha256=",
        "sha1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha1).hexdigest(),
        "md5=" + "0" * 64,
        "sha256=" + "z" * 64,
        "sha256=" + "a" * 63,
        "sha256=" + "a" * 65,
        "sha256=é" + "a" * 63,  # non-ASCII must not reach hmac.compare_digest (TypeError)
        sign(BODY, SECRET).partition("=")[2],  # the hex alone, without the scheme
    ],
)
def test_malformed_header_is_rejected_without_raising(header):
    assert not verify_signature(BODY, header, SECRET)


def test_empty_secret_never_verifies_even_a_matching_signature():
    # Anyone can compute an HMAC with an empty key, so an unset secret must not open the webhook.
    assert not verify_signature(BODY, sign(BODY, ""), "")


def test_uppercase_hex_and_surrounding_spaces_are_tolerated():
    header = sign(BODY, SECRET)
    assert verify_signature(BODY, " sha256=" + header.partition("=")[2].upper() + " ", SECRET)


def test_signature_is_over_raw_bytes_with_unicode_escapes_not_a_reserialised_body():
    # Meta sends non-ASCII as \u escapes and signs exactly those bytes.
    raw = (
        b'{"object":"whatsapp_business_account","entry":[{"changes":[{"value":'
        b'{"messages":[{"text":{"body":"Ol\\u00e1! Queria marcar \\ud83d\\udc87\\u200d\\u2640\\ufe0f"}}]}}]}]}'
    )
    header = sign(raw, SECRET)
    assert verify_signature(raw, header, SECRET)

    decoded = json.loads(raw)
    assert decoded["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"].startswith("Olá!")
    reserialised = json.dumps(decoded, ensure_ascii=False, separators=(",", ":")).encode()
    assert reserialised != raw
    assert not verify_signature(reserialised, header, SECRET)


def test_a_str_body_is_a_programming_error():
    with pytest.raises(TypeError):
        verify_signature(BODY.decode(), sign(BODY, SECRET), SECRET)  # type: ignore[arg-type]
