"""Whether a phone number id is one of the platform's: asked of the Graph API with the platform token.

Two reads (research/whatsapp.md): `GET /{phone-number-id}` must answer that very id — the token can
see the number at all — and `GET /{waba-id}/phone_numbers` must list it, so a number of some other
business the token happens to reach does not count. Meta's error answers (code 100, "Unsupported
get request", for a number the token cannot see) mean no; an outage, a timeout or a refused token
is `GraphUnavailable`, never a no.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import httpx

# Meta's ids are decimal digits; anything else is never put into a Graph path.
NUMBER_ID = re.compile(r"\d{1,64}")
MAX_PAGES = 20


class GraphUnavailable(Exception):
    """The Graph API could not answer (network, timeout, 5xx, 429, or the platform token refused)."""


def platform_owns_number(
    phone_number_id: str,
    *,
    base_url: str,
    access_token: str,
    business_account_id: str,
    timeout: float,
    transport: httpx.BaseTransport | None = None,
) -> bool:
    if not NUMBER_ID.fullmatch(phone_number_id or "") or not business_account_id or not access_token:
        return False
    base = base_url.rstrip("/")
    headers = {"Authorization": f"Bearer {access_token}"}
    with httpx.Client(timeout=timeout, headers=headers, transport=transport) as client:
        number = _get(client, f"{base}/{phone_number_id}", {"fields": "id,display_phone_number,verified_name"})
        if number is None or str(number.get("id")) != phone_number_id:
            return False
        url: str | None = f"{base}/{quote(business_account_id, safe='')}/phone_numbers"
        params: dict[str, str] | None = {"fields": "id", "limit": "100"}
        for _page in range(MAX_PAGES):
            page = _get(client, url, params) if url else None
            if page is None:
                return False
            if any(str(row.get("id")) == phone_number_id for row in page.get("data") or [] if isinstance(row, dict)):
                return True
            url, params = (page.get("paging") or {}).get("next"), None  # `next` carries its own query
    return False


def _get(client: httpx.Client, url: str, params: dict[str, str] | None) -> dict[str, Any] | None:
    try:
        response = client.get(url, params=params)
    except httpx.HTTPError as exc:
        raise GraphUnavailable(f"Graph API unreachable: {exc}") from exc
    if response.status_code in (401, 429) or response.status_code >= 500:
        raise GraphUnavailable(f"Graph API answered HTTP {response.status_code}")
    if not response.is_success:
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
