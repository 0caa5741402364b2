"""Loose matching of service and master names: typos, inflections, pet names, partial names."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Sequence

from .base import Choice
from .text import _CYRILLIC, _TRANSLIT, fold

# --- names ----------------------------------------------------------------------------------------

_STOPWORDS_TEXT = (
    "a an the to at on in for with by and or of me my i im i'm you please pls plz want wanna like need get have"
    " would could can do is it this that book booking appointment master stylist time day some next thanks"
    " в во к ко с со на у и а но мне меня я мы вы хочу можно пожалуйста плиз пжл мастер мастеру мастера"
    " мастером к до по за для время день это то бы ли же ну еще ещё спасибо"
)
_STOPWORDS = frozenset(fold(w) for w in _STOPWORDS_TEXT.split())
# Words too generic to identify a service on their own, though they may be part of its name.
_GENERIC_NAME_WORDS_TEXT = (
    "free new express classic short long full basic quick special standard men women kids child care"
    " мужская женская детская классический классическая экспресс короткие длинные новая"
)
_GENERIC_NAME_WORDS = frozenset(fold(w) for w in _GENERIC_NAME_WORDS_TEXT.split())
_DIMINUTIVES = [
    ("анна", "аня", "анечка", "анюта"),
    ("мария", "маша", "машенька"),
    ("ольга", "оля", "олечка"),
    ("екатерина", "катя", "катюша"),
    ("елена", "лена"),
    ("наталья", "наталия", "наташа"),
    ("татьяна", "таня"),
    ("светлана", "света"),
    ("юлия", "юля"),
    ("александра", "саша"),
    ("александр", "саша"),
    ("евгения", "женя"),
    ("анастасия", "настя"),
    ("дарья", "даша"),
    ("ирина", "ира"),
    ("ксения", "ксюша"),
    ("виктория", "вика"),
    ("людмила", "люда", "мила"),
    ("надежда", "надя"),
    ("галина", "галя"),
    ("дмитрий", "дима"),
    ("сергей", "сережа"),
    ("katherine", "kate", "katie", "kathy"),
    ("elizabeth", "liz", "beth", "lizzy"),
    ("alexandra", "alex", "sasha"),
]
_ALIASES: dict[str, tuple[str, ...]] = {}
for _group in _DIMINUTIVES:
    for _name in _group:
        _ALIASES[_name] = tuple(dict.fromkeys((*_ALIASES.get(_name, ()), *_group)))
_RU_ENDINGS_TEXT = "ями ами ией ьей ого его ому ему ой ей ом ем ам ям ах ях ую юю ия ие ии ию а я у ю е и ы о ь й"
_RU_ENDINGS = sorted(_RU_ENDINGS_TEXT.split(), key=len, reverse=True)
_RU_ENDING_SET = frozenset(["", *_RU_ENDINGS, "ью", "ою", "ею"])
_EN_ENDING_SET = frozenset(["", "s", "es"])
_MATCH_THRESHOLD = 0.8


# --- loose name matching --------------------------------------------------------------------------


def _best_choice(tokens: list[str], choices: Sequence[Choice]) -> tuple[Choice | None, set[int]]:
    """The choice the tokens name best, and which tokens named it.

    The closest and longest name wins; between equal ones, the one mentioned first. When the very same
    words fit two different names equally ("Anna" for "Anna P." and "Anna K."), nobody is chosen.
    """
    if not tokens or not choices:
        return None, set()
    distinctive = _distinctive_words(tuple(c.name for c in choices))
    scored = []
    for choice in choices:
        name = _name_words(choice.name)
        if name:
            score, used = _score_name(tokens, name, distinctive)
            if score >= _MATCH_THRESHOLD:
                scored.append((-score, -len("".join(name)), min(used), choice, used))
    if not scored:
        return None, set()
    scored.sort(key=lambda s: s[:3])
    best = scored[0]
    for other in scored[1:]:
        if other[:2] == best[:2] and other[4] == best[4] and _name_words(other[3].name) != _name_words(best[3].name):
            return None, set()
    return best[3], best[4]


def _score_name(tokens: list[str], name: tuple[str, ...], distinctive: frozenset[str]) -> tuple[float, set[int]]:
    best, used = 0.0, set()
    joined_name = "".join(name)
    # Typos almost never hit the first letter; checking it first skips most comparisons.
    initials = [_initial(token) for token in tokens]
    first_initials = _initials(name[0])
    for size in range(1, len(name) + 2):
        for start in range(len(tokens) - size + 1):
            if initials[start] not in first_initials:
                continue
            window = tokens[start : start + size]
            score = _ratio("".join(window), joined_name)
            if size == len(name):
                score = max(score, sum(_word_sim(w, n) for w, n in zip(window, name, strict=True)) / size)
            if score > best:
                best, used = score, set(range(start, start + size))
    # Part of a name is enough when no other choice shares it: "beard" → "Beard trim", "Anna" → "Anna Petrova".
    for word in name:
        if word not in distinctive:
            continue
        word_initials = _initials(word)
        for i, token in enumerate(tokens):
            if initials[i] in word_initials:
                score = 0.9 * _word_sim(token, word)
                if score > best:
                    best, used = score, {i}
    return best, used


@functools.lru_cache(maxsize=8192)
def _initial(word: str) -> str:
    return word.translate(_TRANSLIT)[:1]


@functools.lru_cache(maxsize=1024)
def _initials(name_word: str) -> frozenset[str]:
    return frozenset(_initial(alias) for alias in _ALIASES.get(name_word, (name_word,)))


@functools.lru_cache(maxsize=1024)
def _name_words(name: str) -> tuple[str, ...]:
    words = (re.sub(r"'s$", "", w.strip("'")) for w in re.findall(r"[^\W\d_][\w']*", fold(name)))
    return tuple(w for w in words if w and w not in _STOPWORDS)


@functools.lru_cache(maxsize=256)
def _distinctive_words(names: tuple[str, ...]) -> frozenset[str]:
    words = [set(_name_words(name)) for name in names]
    result = set()
    for i, own in enumerate(words):
        others = [w for j, other in enumerate(words) if j != i for w in other]
        for word in own:
            if len(word) >= 3 and word not in _GENERIC_NAME_WORDS and all(_word_sim(word, o) < 0.85 for o in others):
                result.add(word)
    return frozenset(result)


@functools.lru_cache(maxsize=8192)
def _word_sim(word: str, name_word: str) -> float:
    """How well a typed word matches a word of a name, allowing typos, inflections and pet names."""
    best = 0.0
    for target in _ALIASES.get(name_word, (name_word,)):
        best = max(best, _single_word_sim(word, target))
    return best


def _single_word_sim(word: str, target: str) -> float:
    if word == target:
        return 1.0
    if bool(_CYRILLIC.search(word)) != bool(_CYRILLIC.search(target)):
        word, target = word.translate(_TRANSLIT), target.translate(_TRANSLIT)
    if len(word) < 3 or word[0] != target[0]:
        return 0.0
    score = _ratio(word, target)
    common = _common_prefix_length(word, target)
    # Same stem, only case endings differ: Анна → Анне, Анной; Оля → Оле; маникюр → маникюра; manicures.
    endings = _RU_ENDING_SET if _CYRILLIC.search(target) else _EN_ENDING_SET
    if common >= 2 and word[common:] in endings and target[common:] in endings:
        score = max(score, 0.95)
    stem_word, stem_target = _stem(word), _stem(target)
    if min(len(stem_word), len(stem_target)) >= 4:
        score = max(score, _ratio(stem_word, stem_target))
    return score


def _ratio(a: str, b: str) -> float:
    if not a or not b or a[0] != b[0]:
        return 0.0
    matcher = difflib.SequenceMatcher(None, a, b)
    # The cheap upper bounds reject most pairs; below 0.5 the exact value never changes a decision.
    if matcher.real_quick_ratio() < 0.5 or matcher.quick_ratio() < 0.5:
        return 0.0
    return matcher.ratio()


def _common_prefix_length(a: str, b: str) -> int:
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return length


def _stem(word: str) -> str:
    if not _CYRILLIC.search(word):
        return word[:-1] if word.endswith("s") else word
    for ending in _RU_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word
