"""Webhook bodies in the shapes Meta sends (research/whatsapp.md §1 and §6), for the tests."""

from tests.messaging.conftest import PHONE_NUMBER_ID

CUSTOMER = "351912345678"
CUSTOMER_NAME = "Marta Reis"
DISPLAY_NUMBER = "351210000111"
TS = 1767600000  # 2026-01-05 08:00:00 UTC


def body(*values) -> dict:
    """One entry whose changes carry these values (each from `value()`)."""
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "310000000000001", "changes": [{"field": "messages", "value": v} for v in values]}],
    }


def value(*, messages=(), statuses=(), phone_number_id: str = PHONE_NUMBER_ID, contacts=None) -> dict:
    result = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": phone_number_id},
    }
    if messages:
        senders = {m["from"] for m in messages}
        result["contacts"] = (
            contacts
            if contacts is not None
            else [{"profile": {"name": CUSTOMER_NAME}, "wa_id": wa_id} for wa_id in sorted(senders)]
        )
        result["messages"] = list(messages)
    if statuses:
        result["statuses"] = list(statuses)
    return result


def messages(*items, phone_number_id: str = PHONE_NUMBER_ID) -> dict:
    return body(value(messages=items, phone_number_id=phone_number_id))


def statuses(*items, phone_number_id: str = PHONE_NUMBER_ID) -> dict:
    return body(value(statuses=items, phone_number_id=phone_number_id))


def _message(wamid, kind, ts, sender, context=None, **content):
    item = {"from": sender, "id": wamid, "timestamp": str(ts), "type": kind, **content}
    if context:
        item["context"] = {"from": DISPLAY_NUMBER, "id": context}
    return item


def text(wamid, text_body="Olá! Queria marcar um corte para sábado", *, ts=TS, sender=CUSTOMER):
    return _message(wamid, "text", ts, sender, text={"body": text_body})


def button_reply(wamid, reply_id="confirm:B1", title="Confirm", *, context="wamid.OUT-1", ts=TS, sender=CUSTOMER):
    interactive = {"type": "button_reply", "button_reply": {"id": reply_id, "title": title}}
    return _message(wamid, "interactive", ts, sender, context, interactive=interactive)


def list_reply(wamid, reply_id="slot:s12:cut45:2026-01-10T10:30:st3", title="Sat 10:30", *, ts=TS, sender=CUSTOMER):
    interactive = {
        "type": "list_reply",
        "list_reply": {"id": reply_id, "title": title, "description": "Corte 45 min · Inês"},
    }
    return _message(wamid, "interactive", ts, sender, "wamid.OUT-42", interactive=interactive)


def template_button(wamid, payload="cancel:B123", label="Cancel", *, ts=TS, sender=CUSTOMER):
    return _message(wamid, "button", ts, sender, "wamid.OUT-7", button={"text": label, "payload": payload})


def location(wamid, *, ts=TS, sender=CUSTOMER):
    place = {"latitude": 38.7223, "longitude": -9.1393, "name": "Salão Lisboa", "address": "Rua Augusta 1"}
    return _message(wamid, "location", ts, sender, location=place)


def image(wamid, caption="Like this?", *, ts=TS, sender=CUSTOMER):
    media = {"id": "1234567890", "mime_type": "image/jpeg", "sha256": "abc=", "caption": caption}
    return _message(wamid, "image", ts, sender, image=media)


def audio(wamid, *, ts=TS, sender=CUSTOMER):
    return _message(wamid, "audio", ts, sender, audio={"id": "998877", "mime_type": "audio/ogg", "voice": True})


def reaction(wamid, emoji="👍", *, ts=TS, sender=CUSTOMER):
    return _message(wamid, "reaction", ts, sender, reaction={"message_id": "wamid.OUT-1", "emoji": emoji})


def unknown_type(wamid, *, ts=TS, sender=CUSTOMER):
    return _message(wamid, "hologram", ts, sender, hologram={"id": "h1"})


def status(wamid, state, *, ts=TS + 60, recipient=CUSTOMER, code=None, title="", callback=None):
    item = {"id": wamid, "status": state, "timestamp": str(ts), "recipient_id": recipient}
    if callback:
        item["biz_opaque_callback_data"] = callback
    if state == "failed":
        item["errors"] = [
            {
                "code": code or 131047,
                "title": title or "Re-engagement message",
                "message": title or "Re-engagement message",
                "error_data": {"details": "More than 24 hours have passed since the recipient last replied."},
            }
        ]
    else:
        item["conversation"] = {"id": "c1", "origin": {"type": "service"}}
        item["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "service"}
    return item
