"""The message being read by the rules, phrase by phrase."""

from __future__ import annotations

import re
from collections.abc import Callable

from .names import _STOPWORDS

_NEGATED = object()


class _Scanner:
    """The message being read; each recognised phrase is blanked out so later rules cannot reuse it."""

    def __init__(self, text: str) -> None:
        self.text = text

    def take(self, pattern: re.Pattern[str], parse: Callable[[re.Match[str]], object] | None = None) -> list:
        found, spans = [], []
        for match in pattern.finditer(self.text):
            value = parse(match) if parse else match
            if value is not None:
                spans.append(match.span())
                if value is not _NEGATED:
                    found.append(value)
        for start, end in spans:
            self.text = self.text[:start] + " " * (end - start) + self.text[end:]
        return found

    def tokens(self) -> list[str]:
        words = (re.sub(r"'s$", "", w.strip("'")) for w in re.findall(r"[^\W\d_][\w']*", self.text))
        return [w for w in words if len(w) >= 3 and w not in _STOPWORDS]
