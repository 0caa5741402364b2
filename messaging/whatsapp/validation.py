"""validate_outbound: every limit an already-built outbound body breaks (for tests and fake servers)."""

from __future__ import annotations

from typing import Any

from .limits import (
    KNOWN_TYPES,
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
)


def validate_outbound(body: Any) -> list[str]:
    """Every Cloud API limit that `body` breaks, as readable strings (empty when it is fine).

    It accepts anything and never raises, so a fake Graph server can run it on what it received.
    """
    problems: list[str] = []
    if not isinstance(body, dict):
        return [f"body: expected an object, got {type(body).__name__}"]
    if body.get("messaging_product") != "whatsapp":
        problems.append(f"messaging_product: expected 'whatsapp', got {body.get('messaging_product')!r}")
    _check_text_field(problems, "to", body.get("to"), None)
    message_type = body.get("type")
    if not isinstance(message_type, str) or message_type not in KNOWN_TYPES:
        problems.append(f"type: {message_type!r} is not a WhatsApp message type")
        return problems
    if message_type == "text":
        text = body.get("text")
        _check_text_field(problems, "text.body", text.get("body") if isinstance(text, dict) else None, MAX_TEXT_BODY)
    elif message_type == "interactive":
        _validate_interactive(problems, body.get("interactive"))
    elif message_type == "template":
        _validate_template(problems, body.get("template"))
    return problems


def _check_text_field(problems: list[str], path: str, value: Any, limit: int | None, *, required: bool = True) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{path}: required non-empty string, got {value!r}")
    elif limit is not None and len(value) > limit:
        problems.append(f"{path}: {len(value)} characters, more than {limit}")


def _as_dict(problems: list[str], path: str, value: Any, *, required: bool = True) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    if value is not None or required:
        problems.append(f"{path}: expected an object, got {type(value).__name__}")
    return None


def _as_list(problems: list[str], path: str, value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    problems.append(f"{path}: expected a list, got {type(value).__name__}")
    return []


def _validate_interactive(problems: list[str], interactive: Any) -> None:
    interactive = _as_dict(problems, "interactive", interactive)
    if interactive is None:
        return
    kind = interactive.get("type")
    if kind not in ("list", "button"):
        # Other interactive kinds (cta_url, flow, product) are not built here; checked no further.
        if not isinstance(kind, str) or not kind:
            problems.append(f"interactive.type: required, got {kind!r}")
        return
    body = _as_dict(problems, "interactive.body", interactive.get("body"))
    if body is not None:
        _check_text_field(problems, "interactive.body.text", body.get("text"), MAX_INTERACTIVE_BODY)
    header = _as_dict(problems, "interactive.header", interactive.get("header"), required=False)
    if header is not None:
        if kind == "list" and header.get("type") != "text":
            problems.append(f"interactive.header.type: a list header must be 'text', got {header.get('type')!r}")
        if header.get("type") == "text":
            _check_text_field(problems, "interactive.header.text", header.get("text"), MAX_HEADER)
    footer = _as_dict(problems, "interactive.footer", interactive.get("footer"), required=False)
    if footer is not None:
        _check_text_field(problems, "interactive.footer.text", footer.get("text"), MAX_FOOTER)
    action = _as_dict(problems, "interactive.action", interactive.get("action"))
    if action is None:
        return
    if kind == "list":
        _validate_list_action(problems, action)
    else:
        _validate_button_action(problems, action)


def _validate_list_action(problems: list[str], action: dict[str, Any]) -> None:
    _check_text_field(problems, "interactive.action.button", action.get("button"), MAX_LIST_BUTTON)
    sections = _as_list(problems, "interactive.action.sections", action.get("sections"))
    if not sections and isinstance(action.get("sections"), list):
        problems.append("interactive.action.sections: at least one section is required")
    if len(sections) > MAX_SECTIONS:
        problems.append(f"interactive.action.sections: {len(sections)} sections, more than {MAX_SECTIONS}")
    total_rows = 0
    seen_ids: set[str] = set()
    for s, section in enumerate(sections):
        path = f"interactive.action.sections[{s}]"
        section = _as_dict(problems, path, section)
        if section is None:
            continue
        title = section.get("title")
        _check_text_field(problems, f"{path}.title", title, MAX_SECTION_TITLE, required=len(sections) > 1)
        rows = _as_list(problems, f"{path}.rows", section.get("rows"))
        if not rows and isinstance(section.get("rows"), list):
            problems.append(f"{path}.rows: a section needs at least one row")
        total_rows += len(rows)
        for r, row in enumerate(rows):
            row_path = f"{path}.rows[{r}]"
            row = _as_dict(problems, row_path, row)
            if row is None:
                continue
            _check_unique_id(problems, f"{row_path}.id", row.get("id"), MAX_ROW_ID, seen_ids)
            _check_text_field(problems, f"{row_path}.title", row.get("title"), MAX_ROW_TITLE)
            _check_text_field(
                problems, f"{row_path}.description", row.get("description"), MAX_ROW_DESCRIPTION, required=False
            )
    if total_rows > MAX_ROWS:
        problems.append(f"interactive.action.sections: {total_rows} rows in total, more than {MAX_ROWS}")


def _validate_button_action(problems: list[str], action: dict[str, Any]) -> None:
    buttons = _as_list(problems, "interactive.action.buttons", action.get("buttons"))
    if not buttons and isinstance(action.get("buttons"), list):
        problems.append("interactive.action.buttons: at least one button is required")
    if len(buttons) > MAX_BUTTONS:
        problems.append(f"interactive.action.buttons: {len(buttons)} buttons, more than {MAX_BUTTONS}")
    seen_ids: set[str] = set()
    seen_titles: set[str] = set()
    for b, button in enumerate(buttons):
        path = f"interactive.action.buttons[{b}]"
        button = _as_dict(problems, path, button)
        if button is None:
            continue
        if button.get("type") != "reply":
            problems.append(f"{path}.type: expected 'reply', got {button.get('type')!r}")
        reply = _as_dict(problems, f"{path}.reply", button.get("reply"))
        if reply is None:
            continue
        _check_unique_id(problems, f"{path}.reply.id", reply.get("id"), MAX_BUTTON_ID, seen_ids)
        title = reply.get("title")
        _check_text_field(problems, f"{path}.reply.title", title, MAX_BUTTON_TITLE)
        if isinstance(title, str):
            if title in seen_titles:
                problems.append(f"{path}.reply.title: {title!r} is used by another button")
            seen_titles.add(title)


def _check_unique_id(problems: list[str], path: str, value: Any, limit: int, seen: set[str]) -> None:
    if not isinstance(value, str) or not value:
        problems.append(f"{path}: required non-empty string, got {value!r}")
        return
    if len(value) > limit:
        problems.append(f"{path}: {len(value)} characters, more than {limit}")
    if value in seen:
        problems.append(f"{path}: {value!r} is used twice; ids must be unique")
    seen.add(value)


def _validate_template(problems: list[str], template: Any) -> None:
    template = _as_dict(problems, "template", template)
    if template is None:
        return
    _check_text_field(problems, "template.name", template.get("name"), None)
    language = _as_dict(problems, "template.language", template.get("language"))
    if language is not None:
        _check_text_field(problems, "template.language.code", language.get("code"), None)
    if "components" not in template:
        return
    for c, component in enumerate(_as_list(problems, "template.components", template.get("components"))):
        path = f"template.components[{c}]"
        component = _as_dict(problems, path, component)
        if component is None:
            continue
        for p, parameter in enumerate(_as_list(problems, f"{path}.parameters", component.get("parameters", []))):
            parameter = _as_dict(problems, f"{path}.parameters[{p}]", parameter)
            if parameter is None or parameter.get("type") != "text":
                continue
            text = parameter.get("text")
            _check_text_field(problems, f"{path}.parameters[{p}].text", text, None)
            if isinstance(text, str) and ("\n" in text or "\t" in text or "     " in text):
                problems.append(
                    f"{path}.parameters[{p}].text: new-lines, tabs and more than 4 consecutive spaces are rejected"
                )
