"""Free-text understanding for the WhatsApp bot: a pluggable interpreter and its rule-based default.

The bot state machine hands every free-text message to ``get_interpreter().interpret(...)`` and gets
back an :class:`Interpretation`: what the customer wants (intent) and the service, master, salon-local
date and time they named. Another implementation (e.g. LLM-backed) is chosen with the
``BOT_INTERPRETER`` setting; nothing here touches the database.
"""

from .base import (
    DEFAULT_INTERPRETER,
    Choice,
    Intent,
    Interpretation,
    Interpreter,
    PartOfDay,
    get_interpreter,
)
from .base import _load_interpreter as _load_interpreter  # tests clear its cache
from .rules import RuleBasedInterpreter
from .text import fold

__all__ = [
    "DEFAULT_INTERPRETER",
    "Choice",
    "Intent",
    "Interpretation",
    "Interpreter",
    "PartOfDay",
    "RuleBasedInterpreter",
    "fold",
    "get_interpreter",
]
