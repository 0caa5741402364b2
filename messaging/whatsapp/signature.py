"""Meta's webhook signature: `X-Hub-Signature-256: sha256=<hex>` over the raw request bytes."""

import hashlib
import hmac
import string

_SCHEME = "sha256"
_HEX_DIGITS = frozenset(string.hexdigits)
_DIGEST_HEX_LENGTH = hashlib.sha256().digest_size * 2


def sign(raw_body: bytes, app_secret: str) -> str:
    """Return the header value Meta would send for `raw_body` (for tests and the simulator)."""
    digest = hmac.new(app_secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()
    return f"{_SCHEME}={digest}"


def verify_signature(raw_body: bytes, header: str | None, app_secret: str) -> bool:
    """True only when `header` is a valid signature of exactly these bytes under `app_secret`.

    The hash must be taken over the bytes as received: Meta signs its own escaped-unicode JSON,
    so a parse-and-dump round trip changes the bytes and breaks the hash.
    """
    # An empty secret would make the HMAC computable by anyone, so it never verifies (pywa instead
    # warns and skips the check; a silently open webhook is what GHSA-7rw7-pc8v-mrr3 was about).
    if not app_secret or not isinstance(header, str):
        return False
    scheme, separator, received = header.strip().partition("=")
    if not separator or scheme.strip().lower() != _SCHEME:
        return False
    received = received.strip().lower()
    # Checked before compare_digest, which rejects non-ASCII str with a TypeError.
    if len(received) != _DIGEST_HEX_LENGTH or not _HEX_DIGITS.issuperset(received):
        return False
    expected = sign(bytes(raw_body), app_secret).partition("=")[2]
    return hmac.compare_digest(expected, received)
