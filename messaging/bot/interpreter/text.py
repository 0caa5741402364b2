"""Text folding and normalising shared by every rule: fold(), the prepared message, fuzzy lookup."""

from __future__ import annotations

import difflib
import re
import unicodedata

# --- text folding ---------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Case-fold and strip diacritics (café → cafe, ё → е), keeping the Russian letter й."""
    return _strip_marks(text.casefold())


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text).replace("и\u0306", "й")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _rx(pattern: str) -> re.Pattern[str]:
    # Patterns are written as people spell the words (lower case) and lose their marks like the text.
    return re.compile(_strip_marks(pattern))


_CYRILLIC = re.compile(r"[а-я]")
_TRANSLIT = str.maketrans(
    {
        **dict(zip("абвгдезийклмнопрстуфыэ", "abvgdeziyklmnoprstufye", strict=True)),
        **{"ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ю": "yu", "я": "ya"},
        **{"ъ": "", "ь": ""},
    }
)


def _prepare(text: str) -> str:
    text = text.replace("👍", " yes ").replace("👎", " no ").replace("’", "'")
    text = fold(text)
    text = re.sub(r"\b([ap])\.\s?m\b\.?", r"\1m", text)
    text = re.sub(r"[^\w:./'\-]+", " ", text)
    # Separators only matter between digits (15:00, 25.12, 2026-12-25).
    text = re.sub(r"(?<!\d)[:./\-]|[:./\-](?!\d)", " ", text)
    return " " + " ".join(text.split()) + " "


def _fuzzy_lookup(token: str, table: dict) -> object | None:
    if len(token) < 5:
        return None
    candidates = [word for word in table if word[0] == token[0]]
    close = difflib.get_close_matches(token, candidates, n=1, cutoff=0.8)
    return table[close[0]] if close else None
