"""Outbound builders and the Cloud API limits (research/whatsapp.md §2)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from messaging.whatsapp.limits import MAX_ROW_ID
from messaging.whatsapp.messages import (
    Button,
    Row,
    Section,
    buttons_body,
    list_body,
    template_body,
    text_body,
    truncate,
    validate_outbound,
)

TO = "351912345678"


def rows(count, prefix="slot"):
    return [Row(id=f"{prefix}:{n}", title=f"{9 + n}:30", description="45 min · Ana") for n in range(count)]


# --- truncate ---------------------------------------------------------------------------------


def test_short_text_is_left_alone():
    assert truncate("Corte", 24) == "Corte"
    assert truncate("x" * 24, 24) == "x" * 24


def test_long_text_is_cut_to_the_limit_with_an_ellipsis():
    assert truncate("Corte e barba com lavagem", 10) == "Corte e b…"
    assert len(truncate("a" * 100, 24)) == 24


def test_trailing_space_before_the_ellipsis_is_dropped():
    assert truncate("Corte de cabelo masculino", 17) == "Corte de cabelo…"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Café\u0301 Lisboa", 5, "Caf…"),  # e + combining acute stays together
        ("Olá 👍🏽 amigo", 6, "Olá…"),  # a skin-tone modifier is not split from its emoji
        ("🇵🇹🇧🇷 salões", 4, "🇵🇹…"),  # flags are pairs of regional indicators
        ("💇\u200d♀️ corte", 3, "…"),  # ZWJ sequences are not cut after the joiner
    ],
)
def test_truncation_does_not_split_simple_grapheme_clusters(text, limit, expected):
    assert truncate(text, limit) == expected


@given(st.text(), st.integers(min_value=1, max_value=80))
def test_truncate_never_exceeds_the_limit_and_keeps_a_prefix(text, limit):
    result = truncate(text, limit)
    assert len(result) <= limit
    if len(text) <= limit:
        assert result == text
    else:
        assert result.endswith("…")
        assert text.startswith(result[:-1])


# --- text -------------------------------------------------------------------------------------


def test_text_body_shape():
    assert text_body(TO, "Olá Marta!") == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": TO,
        "type": "text",
        "text": {"body": "Olá Marta!", "preview_url": False},
    }


def test_text_body_can_quote_the_message_it_answers():
    assert text_body(TO, "Sim", reply_to="wamid.IN-1")["context"] == {"message_id": "wamid.IN-1"}


def test_text_longer_than_4096_is_truncated():
    body = text_body(TO, "a" * 5000)
    assert len(body["text"]["body"]) == 4096
    assert body["text"]["body"].endswith("…")
    assert validate_outbound(body) == []


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text_is_a_programming_error(text):
    with pytest.raises(ValueError):
        text_body(TO, text)


def test_missing_recipient_is_a_programming_error():
    with pytest.raises(ValueError):
        text_body("", "hi")


# --- list -------------------------------------------------------------------------------------


def test_list_body_shape_matches_the_cloud_api():
    body = list_body(
        TO,
        "Escolha um horário",
        "Ver horários",
        [Section("Manhã", [Row("slot:s12:cut45:2026-01-10T09:30:st3", "09:30", "45 min · Ana")])],
        header="Sábado 10 jan",
        footer="Salão Baixa",
    )
    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": TO,
        "type": "interactive",
        "interactive": {
            "type": "list",
            "header": {"type": "text", "text": "Sábado 10 jan"},
            "body": {"text": "Escolha um horário"},
            "footer": {"text": "Salão Baixa"},
            "action": {
                "button": "Ver horários",
                "sections": [
                    {
                        "title": "Manhã",
                        "rows": [
                            {
                                "id": "slot:s12:cut45:2026-01-10T09:30:st3",
                                "title": "09:30",
                                "description": "45 min · Ana",
                            }
                        ],
                    }
                ],
            },
        },
    }
    assert validate_outbound(body) == []


def test_single_section_may_omit_its_title_and_rows_their_description():
    body = list_body(TO, "Serviços", "Escolher", [Section("", [Row("svc:1", "Corte")])])
    assert body["interactive"]["action"]["sections"] == [{"rows": [{"id": "svc:1", "title": "Corte"}]}]
    assert "header" not in body["interactive"] and "footer" not in body["interactive"]
    assert validate_outbound(body) == []


def test_ten_rows_across_sections_are_allowed():
    body = list_body(TO, "b", "Ver", [Section("Manhã", rows(5, "am")), Section("Tarde", rows(5, "pm"))])
    assert validate_outbound(body) == []


def test_more_than_ten_rows_in_total_is_a_programming_error():
    with pytest.raises(ValueError, match="at most 10 rows"):
        list_body(TO, "b", "Ver", [Section("Manhã", rows(6, "am")), Section("Tarde", rows(5, "pm"))])


def test_more_than_ten_sections_is_a_programming_error():
    sections = [Section(f"S{n}", [Row(f"r{n}", "x")]) for n in range(11)]
    with pytest.raises(ValueError, match="at most 10"):
        list_body(TO, "b", "Ver", sections)


def test_several_sections_need_titles():
    with pytest.raises(ValueError, match="needs a title"):
        list_body(TO, "b", "Ver", [Section("Manhã", rows(1, "am")), Section(" ", rows(1, "pm"))])


@pytest.mark.parametrize(
    "sections",
    [[], [Section("Vazia", [])]],
)
def test_a_list_without_rows_is_a_programming_error(sections):
    with pytest.raises(ValueError):
        list_body(TO, "b", "Ver", sections)


def test_long_labels_are_truncated_to_their_limits():
    body = list_body(
        TO,
        "B" * 2000,
        "Ver todos os horários disponíveis",
        [
            Section("Manhã de sábado com a Ana", [Row("r1", "Corte e barba com lavagem e massagem", "D" * 100)]),
            Section("Tarde", [Row("r2", "x")]),
        ],
        header="H" * 100,
        footer="F" * 100,
    )
    interactive = body["interactive"]
    section = interactive["action"]["sections"][0]
    row = section["rows"][0]
    assert len(interactive["body"]["text"]) == 1024
    assert interactive["action"]["button"] == "Ver todos os horári…"
    assert section["title"] == "Manhã de sábado com…"
    assert len(section["title"]) <= 20
    assert row["title"] == "Corte e barba com lavag…"
    assert len(row["description"]) == 72 and row["description"].endswith("…")
    assert len(interactive["header"]["text"]) == 60 and len(interactive["footer"]["text"]) == 60
    assert validate_outbound(body) == []


def test_row_id_at_the_limit_is_allowed_but_longer_raises():
    list_body(TO, "b", "Ver", [Section("", [Row("i" * MAX_ROW_ID, "x")])])
    with pytest.raises(ValueError, match="more than 200"):
        list_body(TO, "b", "Ver", [Section("", [Row("i" * (MAX_ROW_ID + 1), "x")])])


def test_duplicate_row_ids_even_across_sections_raise():
    with pytest.raises(ValueError, match="used twice"):
        list_body(TO, "b", "Ver", [Section("A", [Row("same", "x")]), Section("B", [Row("same", "y")])])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"body": ""},
        {"button": " "},
        {"sections": [Section("", [Row("r1", "")])]},
        {"sections": [Section("", [Row("", "x")])]},
    ],
)
def test_required_list_labels_raise_when_empty(kwargs):
    args = {"to": TO, "body": "b", "button": "Ver", "sections": [Section("", [Row("r1", "x")])]} | kwargs
    with pytest.raises(ValueError):
        list_body(**args)


# --- reply buttons ----------------------------------------------------------------------------


def test_buttons_body_shape_matches_the_cloud_api():
    body = buttons_body(TO, "Confirmar sábado 10:30?", [Button("confirm:B1", "Confirmar"), Button("cancel:B1", "Não")])
    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": TO,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Confirmar sábado 10:30?"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": "confirm:B1", "title": "Confirmar"}},
                    {"type": "reply", "reply": {"id": "cancel:B1", "title": "Não"}},
                ]
            },
        },
    }
    assert validate_outbound(body) == []


def test_more_than_three_buttons_is_a_programming_error():
    with pytest.raises(ValueError, match="at most 3"):
        buttons_body(TO, "b", [Button(f"b{n}", f"B{n}") for n in range(4)])


def test_no_buttons_is_a_programming_error():
    with pytest.raises(ValueError):
        buttons_body(TO, "b", [])


def test_long_button_title_and_body_are_truncated():
    body = buttons_body(TO, "x" * 1500, [Button("resched:B1", "Reagendar para outro dia")])
    interactive = body["interactive"]
    assert interactive["action"]["buttons"][0]["reply"]["title"] == "Reagendar para outr…"
    assert len(interactive["body"]["text"]) == 1024
    assert validate_outbound(body) == []


def test_button_id_up_to_256_is_allowed_and_longer_raises():
    buttons_body(TO, "b", [Button("i" * 256, "ok")])
    with pytest.raises(ValueError, match="more than 256"):
        buttons_body(TO, "b", [Button("i" * 257, "ok")])


def test_duplicate_button_ids_raise():
    with pytest.raises(ValueError, match="used twice"):
        buttons_body(TO, "b", [Button("same", "Sim"), Button("same", "Não")])


def test_titles_that_become_equal_after_truncation_raise():
    with pytest.raises(ValueError, match="unique"):
        buttons_body(TO, "b", [Button("a", "Confirmar a marcação A"), Button("b", "Confirmar a marcação B")])


# --- template ---------------------------------------------------------------------------------


def test_template_body_shape_matches_the_cloud_api():
    body = template_body(
        TO, "appt_reminder", "pt_BR", ["Ana", "Fri 14:30"], quick_replies=["confirm:B123", "cancel:B123"]
    )
    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": TO,
        "type": "template",
        "template": {
            "name": "appt_reminder",
            "language": {"code": "pt_BR"},
            "components": [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "Fri 14:30"}],
                },
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": "0",
                    "parameters": [{"type": "payload", "payload": "confirm:B123"}],
                },
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": "1",
                    "parameters": [{"type": "payload", "payload": "cancel:B123"}],
                },
            ],
        },
    }
    assert validate_outbound(body) == []


def test_template_without_parameters_has_no_components():
    body = template_body(TO, "hello_world", "en_US", [])
    assert body["template"] == {"name": "hello_world", "language": {"code": "en_US"}}


def test_template_parameters_lose_newlines_tabs_and_runs_of_spaces():
    body = template_body(TO, "appt_reminder", "pt_BR", ["Corte\ne\tbarba      longa"])
    assert body["template"]["components"][0]["parameters"][0]["text"] == "Corte e barba longa"
    assert validate_outbound(body) == []


@pytest.mark.parametrize("args", [("", "pt_BR", []), ("appt", "", []), ("appt", "pt_BR", ["Ana", " "])])
def test_template_missing_name_language_or_a_parameter_raises(args):
    with pytest.raises(ValueError):
        template_body(TO, *args)


# --- validate_outbound ------------------------------------------------------------------------


def test_validate_outbound_lists_every_violation_of_a_hand_built_list():
    body = {
        "messaging_product": "whatsapp",
        "to": TO,
        "type": "interactive",
        "interactive": {
            "type": "list",
            "header": {"type": "image", "image": {"id": "1"}},
            "body": {"text": "b" * 1025},
            "footer": {"text": "f" * 61},
            "action": {
                "button": "Ver todos os horários",
                "sections": [
                    {"rows": [{"id": f"r{n}", "title": "t"} for n in range(6)]},
                    {
                        "title": "Tarde de sábado e domingo",
                        "rows": [
                            {"id": "r0", "title": "T" * 25, "description": "d" * 73},
                            {"id": "x" * 201, "title": "ok"},
                            {"id": "r8", "title": ""},
                            {"id": "r9", "title": "ok"},
                            {"id": "r10", "title": "ok"},
                        ],
                    },
                ],
            },
        },
    }
    problems = validate_outbound(body)
    expected = [
        "interactive.body.text: 1025 characters, more than 1024",
        "interactive.header.type: a list header must be 'text', got 'image'",
        "interactive.footer.text: 61 characters, more than 60",
        "interactive.action.button: 21 characters, more than 20",
        "interactive.action.sections[0].title: required non-empty string, got None",
        "interactive.action.sections[1].title: 25 characters, more than 20",
        "interactive.action.sections[1].rows[0].id: 'r0' is used twice; ids must be unique",
        "interactive.action.sections[1].rows[0].title: 25 characters, more than 24",
        "interactive.action.sections[1].rows[0].description: 73 characters, more than 72",
        "interactive.action.sections[1].rows[1].id: 201 characters, more than 200",
        "interactive.action.sections[1].rows[2].title: required non-empty string, got ''",
        "interactive.action.sections: 11 rows in total, more than 10",
    ]
    assert sorted(problems) == sorted(expected)


def test_validate_outbound_lists_every_violation_of_hand_built_buttons():
    body = {
        "messaging_product": "whatsapp",
        "to": TO,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": ""},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": "a", "title": "Sim"}},
                    {"type": "reply", "reply": {"id": "a", "title": "Sim"}},
                    {"type": "url", "reply": {"id": "i" * 257, "title": "t" * 21}},
                    {"type": "reply", "reply": {"id": "d", "title": "Talvez"}},
                ]
            },
        },
    }
    assert sorted(validate_outbound(body)) == sorted(
        [
            "interactive.body.text: required non-empty string, got ''",
            "interactive.action.buttons: 4 buttons, more than 3",
            "interactive.action.buttons[1].reply.id: 'a' is used twice; ids must be unique",
            "interactive.action.buttons[1].reply.title: 'Sim' is used by another button",
            "interactive.action.buttons[2].type: expected 'reply', got 'url'",
            "interactive.action.buttons[2].reply.id: 257 characters, more than 256",
            "interactive.action.buttons[2].reply.title: 21 characters, more than 20",
        ]
    )


def test_validate_outbound_checks_text_template_and_envelope():
    assert validate_outbound(
        {"messaging_product": "whatsapp", "to": TO, "type": "text", "text": {"body": "a" * 4097}}
    ) == ["text.body: 4097 characters, more than 4096"]
    assert validate_outbound({"to": "", "type": "telegram"}) == [
        "messaging_product: expected 'whatsapp', got None",
        "to: required non-empty string, got ''",
        "type: 'telegram' is not a WhatsApp message type",
    ]
    template = {
        "messaging_product": "whatsapp",
        "to": TO,
        "type": "template",
        "template": {
            "name": "appt",
            "language": {},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "a\nb"}]}],
        },
    }
    assert validate_outbound(template) == [
        "template.language.code: required non-empty string, got None",
        "template.components[0].parameters[0].text: new-lines, tabs and more than 4 consecutive spaces are rejected",
    ]


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"messaging_product": "whatsapp", "to": TO, "type": "interactive", "interactive": "x"},
        {
            "messaging_product": "whatsapp",
            "to": TO,
            "type": "interactive",
            "interactive": {"type": "list", "action": 3},
        },
        {
            "messaging_product": "whatsapp",
            "to": TO,
            "type": "interactive",
            "interactive": {
                "type": "list",
                "body": {"text": "b"},
                "action": {"button": "x", "sections": [5, {"rows": "r"}]},
            },
        },
        {
            "messaging_product": "whatsapp",
            "to": TO,
            "type": "template",
            "template": {"components": [1, {"parameters": 2}]},
        },
        {"messaging_product": "whatsapp", "to": TO, "type": ["text"]},
    ],
)
def test_validate_outbound_reports_garbage_instead_of_raising(body):
    assert validate_outbound(body) != []


labels = st.text(min_size=1, max_size=120).filter(lambda s: s.strip())


@given(
    body=labels,
    button=labels,
    titles=st.lists(labels, min_size=1, max_size=10),
    description=st.text(max_size=200),
    header=st.none() | st.text(max_size=100),
)
def test_any_list_the_builder_accepts_passes_validate_outbound(body, button, titles, description, header):
    built = list_body(
        TO, body, button, [Section("", [Row(f"r{n}", title, description) for n, title in enumerate(titles)])], header
    )
    assert validate_outbound(built) == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=25,
)
outbound_keys = st.sampled_from(
    [
        *("messaging_product", "to", "type", "text", "body", "interactive", "action", "sections", "rows", "buttons"),
        *("reply", "id", "title", "description", "button", "header", "footer", "template", "components", "parameters"),
    ]
)
outbound_shaped = st.recursive(
    st.none() | st.integers() | st.text(max_size=30) | st.sampled_from(["whatsapp", "interactive", "list", "button"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(outbound_keys, children, max_size=5),
    max_leaves=30,
)


@given(json_values | outbound_shaped)
def test_validate_outbound_never_raises(body):
    assert all(isinstance(problem, str) for problem in validate_outbound(body))


@given(st.sampled_from(["list", "button", "template", "text"]), st.data())
def test_validate_outbound_never_raises_on_corrupted_real_bodies(kind, data):
    bodies = {
        "list": list_body(TO, "b", "Ver", [Section("A", rows(2, "a")), Section("B", rows(2, "b"))], "h", "f"),
        "button": buttons_body(TO, "b", [Button("a", "A"), Button("b", "B")]),
        "template": template_body(TO, "t", "pt_BR", ["x"], quick_replies=["p"]),
        "text": text_body(TO, "hi", reply_to="wamid.X"),
    }
    body = bodies[kind]
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
    assert all(isinstance(problem, str) for problem in validate_outbound(body))
