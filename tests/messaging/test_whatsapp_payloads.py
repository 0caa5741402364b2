"""Webhook parsing against Meta's payload shapes (research/whatsapp.md §1 and §6)."""

import copy
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from messaging.whatsapp.payloads import InboundMessage, OtherChange, StatusUpdate, parse_webhook

WABA_ID = "310000000000001"
PHONE_NUMBER_ID = "420000000000777"
DISPLAY_NUMBER = "351210000111"
CUSTOMER = "351912345678"


def webhook(*values, field="messages"):
    """One entry with one change per value, as Meta sends them."""
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"field": field, "value": value} for value in values]}],
    }


def messages_value(*messages, contacts=None, phone_number_id=PHONE_NUMBER_ID):
    return {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": phone_number_id},
        "contacts": [{"profile": {"name": "Marta Reis"}, "wa_id": CUSTOMER}] if contacts is None else contacts,
        "messages": list(messages),
    }


def statuses_value(*statuses):
    return {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
        "statuses": list(statuses),
    }


def inbound(wamid, type_, **content):
    return {"from": CUSTOMER, "id": wamid, "timestamp": "1767600000", "type": type_, **content}


def only_message(body) -> InboundMessage:
    batch = parse_webhook(body)
    assert batch.problems == ()
    assert len(batch.messages) == 1
    return batch.messages[0]


# Verbatim from research/whatsapp.md §6.
TEXT_WEBHOOK = {
    "object": "whatsapp_business_account",
    "entry": [
        {
            "id": "310000000000001",
            "changes": [
                {
                    "field": "messages",
                    "value": {
                        "messaging_product": "whatsapp",
                        "metadata": {"display_phone_number": "351210000111", "phone_number_id": "420000000000777"},
                        "contacts": [{"profile": {"name": "Marta Reis"}, "wa_id": "351912345678"}],
                        "messages": [
                            {
                                "from": "351912345678",
                                "id": "wamid.SB-IN-0001",
                                "timestamp": "1767600000",
                                "type": "text",
                                "text": {"body": "Olá! Queria marcar um corte para sábado"},
                            }
                        ],
                    },
                }
            ],
        }
    ],
}

LIST_REPLY_WEBHOOK = {
    "object": "whatsapp_business_account",
    "entry": [
        {
            "id": "310000000000001",
            "changes": [
                {
                    "field": "messages",
                    "value": {
                        "messaging_product": "whatsapp",
                        "metadata": {"display_phone_number": "351210000111", "phone_number_id": "420000000000777"},
                        "contacts": [{"profile": {"name": "Marta Reis"}, "wa_id": "351912345678"}],
                        "messages": [
                            {
                                "context": {"from": "351210000111", "id": "wamid.SB-OUT-0042"},
                                "from": "351912345678",
                                "id": "wamid.SB-IN-0002",
                                "timestamp": "1767600095",
                                "type": "interactive",
                                "interactive": {
                                    "type": "list_reply",
                                    "list_reply": {
                                        "id": "slot:s12:cut45:2026-01-10T10:30:st3",
                                        "title": "Sat 10:30",
                                        "description": "Corte 45 min · Inês",
                                    },
                                },
                            }
                        ],
                    },
                }
            ],
        }
    ],
}

FAILED_STATUS_WEBHOOK = {
    "object": "whatsapp_business_account",
    "entry": [
        {
            "id": "310000000000001",
            "changes": [
                {
                    "field": "messages",
                    "value": {
                        "messaging_product": "whatsapp",
                        "metadata": {"display_phone_number": "351210000111", "phone_number_id": "420000000000777"},
                        "statuses": [
                            {
                                "id": "wamid.SB-OUT-0057",
                                "status": "failed",
                                "timestamp": "1767700000",
                                "recipient_id": "351912345678",
                                "biz_opaque_callback_data": "booking:B8812:reminder",
                                "errors": [
                                    {
                                        "code": 131047,
                                        "title": "Re-engagement message",
                                        "message": "Re-engagement message",
                                        "error_data": {
                                            "details": (
                                                "More than 24 hours have passed since the recipient last replied."
                                            )
                                        },
                                        "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
                                    }
                                ],
                            }
                        ],
                    },
                }
            ],
        }
    ],
}


# --- messages ---------------------------------------------------------------------------------


def test_text_message_is_normalised_with_contact_name_and_utc_time():
    message = only_message(TEXT_WEBHOOK)
    assert message == InboundMessage(
        phone_number_id="420000000000777",
        display_phone_number="351210000111",
        wa_id="351912345678",
        profile_name="Marta Reis",
        wamid="wamid.SB-IN-0001",
        timestamp=datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
        type="text",
        text="Olá! Queria marcar um corte para sábado",
        context_wamid=None,
        reply_id=None,
        payload=TEXT_WEBHOOK["entry"][0]["changes"][0]["value"]["messages"][0],
    )
    assert message.timestamp.tzinfo is UTC


def test_list_reply_gives_row_id_title_and_the_list_it_answers():
    message = only_message(LIST_REPLY_WEBHOOK)
    assert message.type == "list_reply"
    assert message.reply_id == "slot:s12:cut45:2026-01-10T10:30:st3"
    assert message.text == "Sat 10:30"
    assert message.context_wamid == "wamid.SB-OUT-0042"
    assert message.payload["interactive"]["list_reply"]["description"] == "Corte 45 min · Inês"


def test_button_reply_gives_button_id_and_title():
    message = only_message(
        webhook(
            messages_value(
                inbound(
                    "wamid.SB-IN-0003",
                    "interactive",
                    context={"from": DISPLAY_NUMBER, "id": "wamid.SB-OUT-0043"},
                    interactive={"type": "button_reply", "button_reply": {"id": "confirm:B8812", "title": "Confirm"}},
                )
            )
        )
    )
    assert (message.type, message.reply_id, message.text) == ("button_reply", "confirm:B8812", "Confirm")
    assert message.context_wamid == "wamid.SB-OUT-0043"


def test_template_quick_reply_button_gives_payload_as_reply_id():
    message = only_message(
        webhook(
            messages_value(
                inbound(
                    "wamid.SB-IN-0004",
                    "button",
                    context={"from": DISPLAY_NUMBER, "id": "wamid.SB-OUT-0057"},
                    button={"text": "Cancelar", "payload": "cancel:B8812"},
                )
            )
        )
    )
    assert (message.type, message.text, message.reply_id) == ("button", "Cancelar", "cancel:B8812")
    assert message.context_wamid == "wamid.SB-OUT-0057"


def test_location_with_name_and_address_reads_as_the_place():
    location = {
        "latitude": 38.7107,
        "longitude": -9.1366,
        "name": "Salão Baixa",
        "address": "Rua Augusta 100, Lisboa",
        "url": "https://example.pt",
    }
    message = only_message(webhook(messages_value(inbound("wamid.SB-IN-0005", "location", location=location))))
    assert (message.type, message.text) == ("location", "Salão Baixa, Rua Augusta 100, Lisboa")


def test_location_without_name_reads_as_coordinates():
    location = {"latitude": 38.7107, "longitude": -9.1366}
    message = only_message(webhook(messages_value(inbound("wamid.SB-IN-0006", "location", location=location))))
    assert message.text == "38.7107,-9.1366"


def test_image_caption_is_the_text_and_media_id_stays_in_payload():
    image = {"caption": "Quero este corte", "mime_type": "image/jpeg", "sha256": "abc=", "id": "1500000000000001"}
    message = only_message(webhook(messages_value(inbound("wamid.SB-IN-0007", "image", image=image))))
    assert (message.type, message.text) == ("image", "Quero este corte")
    assert message.payload["image"]["id"] == "1500000000000001"


def test_voice_note_has_no_text():
    audio = {"mime_type": "audio/ogg; codecs=opus", "sha256": "def=", "id": "1500000000000002", "voice": True}
    message = only_message(webhook(messages_value(inbound("wamid.SB-IN-0008", "audio", audio=audio))))
    assert (message.type, message.text, message.reply_id) == ("audio", "", None)
    assert message.payload["audio"]["voice"] is True


def test_document_caption_is_the_text():
    document = {
        "caption": "Comprovativo",
        "filename": "recibo.pdf",
        "mime_type": "application/pdf",
        "sha256": "ghi=",
        "id": "1500000000000003",
    }
    message = only_message(webhook(messages_value(inbound("wamid.SB-IN-0009", "document", document=document))))
    assert (message.type, message.text) == ("document", "Comprovativo")


def test_sticker_has_no_text():
    sticker = {"mime_type": "image/webp", "sha256": "jkl=", "id": "1500000000000004", "animated": False}
    message = only_message(webhook(messages_value(inbound("wamid.SB-IN-0010", "sticker", sticker=sticker))))
    assert (message.type, message.text) == ("sticker", "")


def test_reaction_gives_emoji_and_the_message_reacted_to():
    reaction = {"message_id": "wamid.SB-OUT-0042", "emoji": "\U0001f44d"}
    message = only_message(webhook(messages_value(inbound("wamid.SB-IN-0011", "reaction", reaction=reaction))))
    assert (message.type, message.text, message.context_wamid) == ("reaction", "👍", "wamid.SB-OUT-0042")


@pytest.mark.parametrize(
    "reaction", [{"message_id": "wamid.SB-OUT-0042"}, {"message_id": "wamid.SB-OUT-0042", "emoji": ""}]
)
def test_removed_reaction_has_empty_text(reaction):
    message = only_message(webhook(messages_value(inbound("wamid.SB-IN-0012", "reaction", reaction=reaction))))
    assert (message.type, message.text, message.context_wamid) == ("reaction", "", "wamid.SB-OUT-0042")


def test_unsupported_message_is_kept_with_its_errors_in_payload():
    errors = [
        {
            "code": 131051,
            "title": "Message type unknown",
            "message": "Message type unknown",
            "error_data": {"details": "Message type is currently not supported."},
        }
    ]
    message = only_message(webhook(messages_value(inbound("wamid.SB-IN-0013", "unsupported", errors=errors))))
    assert (message.type, message.text) == ("unsupported", "")
    assert message.payload["errors"][0]["code"] == 131051


def test_unknown_type_is_preserved_not_dropped():
    raw = inbound("wamid.SB-IN-0014", "hologram", hologram={"id": "H1", "shape": "cube"})
    message = only_message(webhook(messages_value(raw)))
    assert (message.type, message.text, message.payload) == ("hologram", "", raw)


def test_other_interactive_kinds_keep_type_interactive():
    raw = inbound(
        "wamid.SB-IN-0015",
        "interactive",
        interactive={"type": "nfm_reply", "nfm_reply": {"response_json": "{}", "body": "Sent", "name": "flow"}},
    )
    message = only_message(webhook(messages_value(raw)))
    assert (message.type, message.reply_id) == ("interactive", None)


def test_shared_contact_card_reads_as_its_names():
    cards = [{"name": {"formatted_name": "Ana Sousa", "first_name": "Ana"}, "phones": [{"phone": "+351 91 000 0000"}]}]
    message = only_message(webhook(messages_value(inbound("wamid.SB-IN-0016", "contacts", contacts=cards))))
    assert (message.type, message.text) == ("contacts", "Ana Sousa")


def test_two_messages_in_one_change_are_both_read_with_their_own_contact_names():
    other = "351933333333"
    value = messages_value(
        inbound("wamid.A", "text", text={"body": "primeira"}),
        {**inbound("wamid.B", "text", text={"body": "segunda"}), "from": other},
        contacts=[
            {"profile": {"name": "Marta Reis"}, "wa_id": CUSTOMER},
            {"profile": {"name": "Rui"}, "wa_id": other},
        ],
    )
    batch = parse_webhook(webhook(value))
    assert [(m.wamid, m.wa_id, m.profile_name, m.text) for m in batch.messages] == [
        ("wamid.A", CUSTOMER, "Marta Reis", "primeira"),
        ("wamid.B", other, "Rui", "segunda"),
    ]


def test_message_without_contacts_has_empty_profile_name():
    # With business-scoped user ids, `contacts` may be absent and `from` non-numeric.
    raw = {**inbound("wamid.BSUID", "text", text={"body": "oi"}), "from": "PT.bsuid.8a7f"}
    value = messages_value(raw)
    del value["contacts"]
    message = only_message(webhook(value))
    assert (message.wa_id, message.profile_name) == ("PT.bsuid.8a7f", "")


def test_every_entry_and_every_change_is_read():
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA-1",
                "changes": [
                    {"field": "messages", "value": messages_value(inbound("wamid.E0C0", "text", text={"body": "a"}))},
                    {
                        "field": "messages",
                        "value": statuses_value(
                            {"id": "wamid.OUT-1", "status": "read", "timestamp": "1767600001", "recipient_id": CUSTOMER}
                        ),
                    },
                ],
            },
            {
                "id": "WABA-2",
                "changes": [
                    {
                        "field": "messages",
                        "value": messages_value(
                            inbound("wamid.E1C0", "text", text={"body": "b"}), phone_number_id="420000000000888"
                        ),
                    },
                    {
                        "field": "message_template_status_update",
                        "value": {"event": "APPROVED", "message_template_name": "appt_reminder"},
                    },
                ],
            },
        ],
    }
    batch = parse_webhook(body)
    assert batch.problems == ()
    assert [(m.wamid, m.phone_number_id) for m in batch.messages] == [
        ("wamid.E0C0", PHONE_NUMBER_ID),
        ("wamid.E1C0", "420000000000888"),
    ]
    assert [s.wamid for s in batch.statuses] == ["wamid.OUT-1"]
    assert [(o.field, o.waba_id) for o in batch.others] == [("message_template_status_update", "WABA-2")]


def test_one_post_with_two_changes_three_statuses_and_one_message_yields_all_four():
    statuses = [
        {"id": f"wamid.OUT-{n}", "status": "delivered", "timestamp": "1767600001", "recipient_id": CUSTOMER}
        for n in range(3)
    ]
    body = webhook(statuses_value(*statuses), messages_value(inbound("wamid.IN", "text", text={"body": "x"})))
    batch = parse_webhook(body)
    assert (len(batch.statuses), len(batch.messages), batch.problems) == (3, 1, ())


# --- statuses ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["sent", "delivered", "read", "played"])
def test_status_update_is_normalised(status):
    raw = {
        "id": "wamid.SB-OUT-0042",
        "status": status,
        "timestamp": "1767600100",
        "recipient_id": CUSTOMER,
        "conversation": {"id": "CONV1", "origin": {"type": "service"}},
        "pricing": {"billable": True, "pricing_model": "PMP", "category": "service"},
    }
    batch = parse_webhook(webhook(statuses_value(raw)))
    assert batch.problems == ()
    assert batch.statuses == (
        StatusUpdate(
            phone_number_id=PHONE_NUMBER_ID,
            wamid="wamid.SB-OUT-0042",
            status=status,
            timestamp=datetime(2026, 1, 5, 8, 1, 40, tzinfo=UTC),
            recipient_id=CUSTOMER,
            error_code=None,
            error_title="",
            payload=raw,
        ),
    )


def test_failed_status_carries_error_code_and_title():
    batch = parse_webhook(FAILED_STATUS_WEBHOOK)
    assert batch.problems == ()
    (status,) = batch.statuses
    assert (status.wamid, status.status, status.error_code, status.error_title) == (
        "wamid.SB-OUT-0057",
        "failed",
        131047,
        "Re-engagement message",
    )
    assert status.payload["biz_opaque_callback_data"] == "booking:B8812:reminder"
    assert batch.messages == ()


def test_failed_status_falls_back_to_errors_on_the_value():
    value = statuses_value({"id": "wamid.X", "status": "failed", "timestamp": "1767600100", "recipient_id": CUSTOMER})
    value["errors"] = [{"code": 131026, "title": "Message undeliverable"}]
    (status,) = parse_webhook(webhook(value)).statuses
    assert (status.error_code, status.error_title) == (131026, "Message undeliverable")


# --- other changes ----------------------------------------------------------------------------


def test_template_status_update_is_an_other_change():
    value = {
        "event": "REJECTED",
        "message_template_id": 1234567890,
        "message_template_name": "appt_reminder",
        "message_template_language": "pt_BR",
        "reason": "INCORRECT_CATEGORY",
    }
    batch = parse_webhook(webhook(value, field="message_template_status_update"))
    assert batch.others == (OtherChange(field="message_template_status_update", value=value, waba_id=WABA_ID),)
    assert (batch.messages, batch.statuses, batch.problems) == ((), (), ())


def test_account_update_is_an_other_change():
    value = {"phone_number": "351210000111", "event": "VERIFIED_ACCOUNT"}
    batch = parse_webhook(webhook(value, field="account_update"))
    assert [(o.field, o.value) for o in batch.others] == [("account_update", value)]


def test_out_of_band_errors_webhook_is_kept_as_an_other_change():
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
        "errors": [{"code": 131000, "title": "Something went wrong"}],
    }
    batch = parse_webhook(webhook(value))
    assert [(o.field, o.value) for o in batch.others] == [("messages", value)]


# --- malformed input --------------------------------------------------------------------------


@pytest.mark.parametrize("body", [[], "x", None, 3])
def test_a_body_that_is_not_an_object_is_a_value_error(body):
    with pytest.raises(ValueError):
        parse_webhook(body)


def test_another_products_webhook_is_ignored_with_a_problem():
    batch = parse_webhook({"object": "page", "entry": [{"id": "1", "messaging": []}]})
    assert batch.messages == () and batch.others == ()
    assert batch.problems == ("object: expected 'whatsapp_business_account', got 'page'; body ignored",)


def test_missing_object_is_still_read():
    body = copy.deepcopy(TEXT_WEBHOOK)
    del body["object"]
    assert only_message(body).wamid == "wamid.SB-IN-0001"


def _good():
    return inbound("wamid.GOOD", "text", text={"body": "fine"})


@pytest.mark.parametrize(
    ("body", "problem_fragment"),
    [
        ({"object": "whatsapp_business_account"}, "entry: expected a list, got nothing"),
        ({"object": "whatsapp_business_account", "entry": {"id": "1"}}, "entry: expected a list, got dict"),
        ({"object": "whatsapp_business_account", "entry": ["oops"]}, "entry[0]: expected an object, got str"),
        ({"object": "whatsapp_business_account", "entry": [{"id": "1"}]}, "entry[0].changes: expected a list"),
        (webhook("not a value"), "entry[0].changes[0].value: expected an object, got str"),
        ({"entry": [{"changes": [{"value": {}}]}]}, "entry[0].changes[0].field: expected a non-empty string"),
        ({"entry": [{"changes": [7]}]}, "entry[0].changes[0]: expected an object, got int"),
    ],
)
def test_malformed_envelope_records_a_problem(body, problem_fragment):
    batch = parse_webhook(body)
    assert (batch.messages, batch.statuses) == ((), ())
    assert any(problem_fragment in problem for problem in batch.problems), batch.problems


def test_missing_metadata_skips_the_change_but_not_the_next_one():
    without_metadata = messages_value(inbound("wamid.LOST", "text", text={"body": "x"}))
    del without_metadata["metadata"]
    batch = parse_webhook(webhook(without_metadata, messages_value(_good())))
    assert [m.wamid for m in batch.messages] == ["wamid.GOOD"]
    assert any("metadata" in p for p in batch.problems)
    assert any("1 message(s) and 0 status(es) skipped" in p for p in batch.problems)


@pytest.mark.parametrize(
    ("broken", "problem_fragment"),
    [
        (
            {"from": CUSTOMER, "timestamp": "1767600000", "type": "text", "text": {"body": "x"}},
            "missing or invalid: id",
        ),
        (inbound("wamid.T", "text", timestamp="yesterday"), "missing or invalid: timestamp"),
        (inbound("wamid.T", "text", timestamp="99999999999999999999"), "missing or invalid: timestamp"),
        ({**_good(), "id": "wamid.T", "from": None}, "missing or invalid: from"),
        ({**_good(), "id": "wamid.T", "type": ["text"]}, "missing or invalid: type"),
        ("not a message", "expected an object, got str"),
    ],
)
def test_a_broken_message_is_skipped_and_the_others_are_kept(broken, problem_fragment):
    batch = parse_webhook(webhook(messages_value(broken, _good())))
    assert [m.wamid for m in batch.messages] == ["wamid.GOOD"]
    assert len(batch.problems) == 1 and problem_fragment in batch.problems[0]
    assert batch.problems[0].startswith("entry[0].changes[0].value.messages[0]")


@pytest.mark.parametrize(
    "raw",
    [
        inbound("wamid.T", "text", text="just a string"),
        inbound("wamid.T", "text"),
        inbound("wamid.T", "interactive", interactive=None),
        inbound("wamid.T", "interactive", interactive={"type": "list_reply", "list_reply": "x"}),
        inbound("wamid.T", "button", button=[1, 2]),
        inbound("wamid.T", "image", image="x"),
        inbound("wamid.T", "location", location=[]),
        inbound("wamid.T", "reaction", reaction=5),
        inbound("wamid.T", "contacts", contacts={"name": "x"}),
    ],
)
def test_a_message_with_a_broken_body_is_kept_without_content_and_noted(raw):
    batch = parse_webhook(webhook(messages_value(raw)))
    assert [(m.wamid, m.text, m.reply_id) for m in batch.messages] == [("wamid.T", "", None)]
    assert len(batch.problems) == 1


def test_unhashable_interactive_type_does_not_lose_the_message():
    raw = inbound("wamid.T", "interactive", interactive={"type": {"weird": True}})
    batch = parse_webhook(webhook(messages_value(raw)))
    assert [(m.wamid, m.type) for m in batch.messages] == [("wamid.T", "interactive")]


def test_broken_statuses_and_contacts_are_noted():
    value = statuses_value(
        {"id": "wamid.OK", "status": "sent", "timestamp": "1767600000", "recipient_id": CUSTOMER},
        {"id": "wamid.NOSTATUS", "timestamp": "1767600000"},
        ["not", "a", "status"],
    )
    value["contacts"] = "nobody"
    batch = parse_webhook(webhook(value))
    assert [s.wamid for s in batch.statuses] == ["wamid.OK"]
    assert len(batch.problems) == 3, batch.problems


def test_messages_that_is_not_a_list_is_noted():
    value = messages_value()
    value["messages"] = {"id": "wamid.X"}
    batch = parse_webhook(webhook(value))
    assert batch.messages == ()
    assert batch.problems == ("entry[0].changes[0].value.messages: expected a list, got dict",)


def test_integer_ids_and_timestamps_from_hand_written_payloads_are_accepted():
    raw = {"from": 351912345678, "id": "wamid.INT", "timestamp": 1767600000, "type": "text", "text": {"body": "x"}}
    value = messages_value(raw, contacts=[{"profile": {"name": "Marta"}, "wa_id": 351912345678}])
    value["metadata"]["phone_number_id"] = 420000000000777
    message = only_message(webhook(value))
    assert (message.wa_id, message.phone_number_id, message.profile_name) == (CUSTOMER, PHONE_NUMBER_ID, "Marta")


def test_parsed_objects_are_frozen():
    message = only_message(TEXT_WEBHOOK)
    with pytest.raises(AttributeError):
        message.text = "changed"  # type: ignore[misc]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=20,
)
keys = st.sampled_from(
    [
        *("object", "entry", "id", "changes", "field", "value", "metadata", "phone_number_id", "messages", "statuses"),
        *("contacts", "wa_id", "profile", "from", "timestamp", "type", "text", "interactive", "errors", "context"),
    ]
)
shaped_values = st.recursive(
    st.none() | st.integers() | st.text(max_size=5) | st.just("messages") | st.just("1767600000"),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=4) | st.dictionaries(keys, shaped_values, max_size=5))
def test_parse_webhook_never_raises_on_any_json_object(body):
    batch = parse_webhook(body)
    assert all(isinstance(problem, str) for problem in batch.problems)
    # The catch-all guard is a last resort; the checks themselves should describe every fault.
    assert not any("unreadable (" in problem for problem in batch.problems), batch.problems


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_corrupting_any_piece_of_a_real_payload_never_raises(data):
    body = copy.deepcopy(LIST_REPLY_WEBHOOK)
    # Walk to a random node of the real payload and replace it with junk.
    node, key = body, None
    while True:
        children = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        if not children:
            break
        key, child = data.draw(st.sampled_from(children))
        if not isinstance(child, dict | list) or data.draw(st.booleans()):
            break
        node = child
    if key is not None:
        node[key] = data.draw(json_values)
    batch = parse_webhook(body)
    assert not any("unreadable (" in problem for problem in batch.problems), batch.problems
