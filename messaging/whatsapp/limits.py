"""The Cloud API's limits on outbound messages, and cutting readable text to fit them.

Limits are from /work/shared/research/whatsapp.md §2 (Meta's list and reply-button docs, pywa).
Lengths are counted in characters (Unicode code points).
"""

from __future__ import annotations

import unicodedata

MAX_TEXT_BODY = 4096
MAX_INTERACTIVE_BODY = 1024
MAX_HEADER = 60
MAX_FOOTER = 60
MAX_LIST_BUTTON = 20
MAX_SECTIONS = 10
MAX_ROWS = 10  # in total, across all sections
# pywa says 24, a Gupshup page says 20; 20 is safe under both.
MAX_SECTION_TITLE = 20
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_ROW_ID = 200
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256

ELLIPSIS = "…"

# Message types the Cloud API accepts; validate_outbound checks the shapes of the ones built here.
KNOWN_TYPES = frozenset(
    {
        *("text", "interactive", "template", "location", "contacts", "reaction"),
        *("image", "audio", "video", "document", "sticker"),
    }
)


def truncate(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else its start plus "…", `limit` long at most."""
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    cut = _grapheme_safe_cut(text, limit - len(ELLIPSIS))
    return text[:cut].rstrip() + ELLIPSIS


_ZWJ = "\u200d"


def _is_regional_indicator(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"


def _extends_previous(char: str) -> bool:
    """Characters that belong to the one before them: accents, variation selectors, skin tones."""
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")
        or char == _ZWJ
        or "\U0001f3fb" <= char <= "\U0001f3ff"  # emoji skin-tone modifiers
        or "\U000e0020" <= char <= "\U000e007f"  # emoji tag sequences (subdivision flags)
    )


def _grapheme_safe_cut(text: str, cut: int) -> int:
    """Move `cut` left so that text[:cut] does not end inside a simple grapheme cluster."""
    cut = max(cut, 0)
    while 0 < cut < len(text):
        if _extends_previous(text[cut]) or text[cut - 1] == _ZWJ:
            cut -= 1
            continue
        if _is_regional_indicator(text[cut]) and _is_regional_indicator(text[cut - 1]):
            # Flags are pairs of regional indicators; an odd run before the cut means we split one.
            run = 0
            while cut - 1 - run >= 0 and _is_regional_indicator(text[cut - 1 - run]):
                run += 1
            if run % 2 == 1:
                cut -= 1
                continue
        break
    return cut
