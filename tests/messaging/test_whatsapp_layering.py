"""messaging.whatsapp is the transport layer: the models and services above it call it, never the reverse."""

import ast
from pathlib import Path

import pytest

import messaging.whatsapp

PACKAGE_DIR = Path(messaging.whatsapp.__file__).parent
PROJECT_APPS = ("accounts", "salons", "bookings", "analytics", "salonbot")
FORBIDDEN_PREFIXES = ("django.db", "django.contrib", "messaging.models", "messaging.bot", "messaging.views")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("module", sorted(PACKAGE_DIR.glob("*.py")), ids=lambda path: path.name)
def test_module_imports_no_model_and_no_higher_app(module):
    offending = sorted(
        name
        for name in imported_modules(module)
        if name.startswith(FORBIDDEN_PREFIXES) or name.split(".")[0] in PROJECT_APPS
    )
    assert offending == []
