"""Outbound message bodies for `POST /{phone_number_id}/messages`, kept inside the Cloud API limits.

Text a person reads (titles, descriptions, bodies) is shortened with "…" when too long, because a
long service name must not cost the customer the whole message. Structure that code decides (too
many rows or buttons, ids too long or repeated, a required label missing) raises ValueError: that
is a bug to fix, and cutting an id would silently break the state it encodes. The limits
themselves are in `limits.py`; `validate_outbound` (in `validation.py`) checks a finished body.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .limits import (
    MAX_BUTTON_ID,
    MAX_BUTTON_TITLE,
    MAX_BUTTONS,
    MAX_FOOTER,
    MAX_HEADER,
    MAX_INTERACTIVE_BODY,
    MAX_LIST_BUTTON,
    MAX_ROW_DESCRIPTION,
    MAX_ROW_ID,
    MAX_ROW_TITLE,
    MAX_ROWS,
    MAX_SECTION_TITLE,
    MAX_SECTIONS,
    MAX_TEXT_BODY,
    truncate,
)
from .validation import validate_outbound

__all__ = [
    "Button",
    "Row",
    "Section",
    "buttons_body",
    "list_body",
    "template_body",
    "text_body",
    "truncate",
    "validate_outbound",
]


@dataclass(frozen=True)
class Row:
    id: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class Section:
    title: str
    rows: Sequence[Row] = field(hash=False)


@dataclass(frozen=True)
class Button:
    id: str
    title: str


def text_body(to: str, text: str, reply_to: str | None = None, *, preview_url: bool = False) -> dict[str, Any]:
    """A free-form text message (only allowed inside the 24-hour customer-service window)."""
    body = _envelope(to, "text")
    body["text"] = {"body": truncate(_required(text, "text"), MAX_TEXT_BODY), "preview_url": preview_url}
    if reply_to:
        body["context"] = {"message_id": reply_to}
    return body


def list_body(
    to: str,
    body: str,
    button: str,
    sections: Sequence[Section],
    header: str | None = None,
    footer: str | None = None,
) -> dict[str, Any]:
    """An interactive list: `button` opens it, the customer picks one row (≤10 rows in total)."""
    if not sections:
        raise ValueError("a list needs at least one section")
    if len(sections) > MAX_SECTIONS:
        raise ValueError(f"a list has at most {MAX_SECTIONS} sections, got {len(sections)}")
    total_rows = sum(len(section.rows) for section in sections)
    if total_rows > MAX_ROWS:
        raise ValueError(f"a list has at most {MAX_ROWS} rows in total, got {total_rows}")

    seen_ids: set[str] = set()
    built_sections = []
    for index, section in enumerate(sections):
        if not section.rows:
            raise ValueError(f"section {index} ({section.title!r}) has no rows")
        built: dict[str, Any] = {}
        title = (section.title or "").strip()
        if title:
            built["title"] = truncate(title, MAX_SECTION_TITLE)
        elif len(sections) > 1:
            raise ValueError(f"section {index} needs a title: a list with several sections requires them")
        built["rows"] = [_build_row(row, seen_ids) for row in section.rows]
        built_sections.append(built)

    interactive: dict[str, Any] = {"type": "list"}
    _add_header_footer(interactive, header, footer)
    interactive["body"] = {"text": truncate(_required(body, "body"), MAX_INTERACTIVE_BODY)}
    interactive["action"] = {
        "button": truncate(_required(button, "button"), MAX_LIST_BUTTON),
        "sections": built_sections,
    }
    message = _envelope(to, "interactive")
    message["interactive"] = interactive
    return message


def buttons_body(
    to: str,
    body: str,
    buttons: Sequence[Button],
    header: str | None = None,
    footer: str | None = None,
) -> dict[str, Any]:
    """Up to three reply buttons under a body text."""
    if not buttons:
        raise ValueError("reply buttons need at least one button")
    if len(buttons) > MAX_BUTTONS:
        raise ValueError(f"at most {MAX_BUTTONS} reply buttons, got {len(buttons)}")
    seen_ids: set[str] = set()
    seen_titles: set[str] = set()
    built = []
    for button in buttons:
        _check_id(button.id, MAX_BUTTON_ID, "button", seen_ids)
        title = truncate(_required(button.title, f"title of button {button.id!r}"), MAX_BUTTON_TITLE)
        # Meta rejects a message whose buttons share a title; truncation can make two equal.
        if title in seen_titles:
            raise ValueError(f"button title {title!r} is used twice; reply button titles must be unique")
        seen_titles.add(title)
        built.append({"type": "reply", "reply": {"id": button.id, "title": title}})

    interactive: dict[str, Any] = {"type": "button"}
    _add_header_footer(interactive, header, footer)
    interactive["body"] = {"text": truncate(_required(body, "body"), MAX_INTERACTIVE_BODY)}
    interactive["action"] = {"buttons": built}
    message = _envelope(to, "interactive")
    message["interactive"] = interactive
    return message


def template_body(
    to: str,
    name: str,
    language: str,
    parameters: Sequence[str],
    *,
    quick_replies: Sequence[str] = (),
) -> dict[str, Any]:
    """An approved template (the only message allowed outside the 24-hour window).

    `parameters` fill the body's {{1}}, {{2}}, ...; `quick_replies` are the payloads of the
    template's quick-reply buttons by index, and come back as `InboundMessage.reply_id`.
    """
    components: list[dict[str, Any]] = []
    if parameters:
        components.append(
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": _template_parameter(value, index)}
                    for index, value in enumerate(parameters, start=1)
                ],
            }
        )
    for index, payload in enumerate(quick_replies):
        components.append(
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": str(index),
                "parameters": [{"type": "payload", "payload": _required(payload, f"quick reply {index}")}],
            }
        )
    template: dict[str, Any] = {
        "name": _required(name, "template name"),
        "language": {"code": _required(language, "template language")},
    }
    if components:
        template["components"] = components
    message = _envelope(to, "template")
    message["template"] = template
    return message


def _envelope(to: str, message_type: str) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": _required(to, "recipient 'to'"),
        "type": message_type,
    }


def _required(value: str | None, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} is required and must be a non-empty string, got {value!r}")
    return value.strip()


def _check_id(value: str, limit: int, what: str, seen: set[str]) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} id must be a non-empty string, got {value!r}")
    if len(value) > limit:
        raise ValueError(f"{what} id {value[:40]!r}… is {len(value)} characters, more than {limit}")
    if value in seen:
        raise ValueError(f"{what} id {value!r} is used twice; ids must be unique")
    seen.add(value)


def _build_row(row: Row, seen_ids: set[str]) -> dict[str, Any]:
    _check_id(row.id, MAX_ROW_ID, "row", seen_ids)
    built = {"id": row.id, "title": truncate(_required(row.title, f"title of row {row.id!r}"), MAX_ROW_TITLE)}
    description = (row.description or "").strip()
    if description:
        built["description"] = truncate(description, MAX_ROW_DESCRIPTION)
    return built


def _add_header_footer(interactive: dict[str, Any], header: str | None, footer: str | None) -> None:
    # A list accepts only a text header, so that is the only kind built here.
    if header and header.strip():
        interactive["header"] = {"type": "text", "text": truncate(header.strip(), MAX_HEADER)}
    if footer and footer.strip():
        interactive["footer"] = {"text": truncate(footer.strip(), MAX_FOOTER)}


def _template_parameter(value: str, index: int) -> str:
    text = _required(value, f"template parameter {{{{{index}}}}}")
    # Meta rejects a parameter holding a newline, a tab or more than 4 consecutive spaces ("Param
    # text cannot have new-line/tab characters or more than 4 consecutive spaces"), and a reminder
    # must not fail because a service name was typed with a line break.
    return " ".join(text.split())
