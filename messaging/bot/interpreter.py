"""Free-text understanding for the WhatsApp bot: a pluggable interpreter and its rule-based default.

The bot state machine hands every free-text message to ``get_interpreter().interpret(...)`` and gets
back an :class:`Interpretation`: what the customer wants (intent) and the service, master, salon-local
date and time they named. Another implementation (e.g. LLM-backed) is chosen with the
``BOT_INTERPRETER`` setting; nothing here touches the database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import enum
import functools
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

import dateparser
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

DEFAULT_INTERPRETER = "messaging.bot.interpreter.RuleBasedInterpreter"


class Intent(enum.StrEnum):
    GREETING = "greeting"
    BOOK = "book"
    MY_BOOKINGS = "my_bookings"
    CANCEL = "cancel"
    HUMAN = "human"
    HELP = "help"
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class PartOfDay(enum.StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


@dataclasses.dataclass(frozen=True)
class Choice:
    """Something the customer can name: a service or a master."""

    id: str
    name: str


@dataclasses.dataclass(frozen=True)
class Interpretation:
    """What one message says; dates and times are salon-local wall values."""

    intent: str
    service_id: str | None = None
    master_id: str | None = None
    date: dt.date | None = None
    time: dt.time | None = None
    part_of_day: str | None = None
    any_master: bool = False


@runtime_checkable
class Interpreter(Protocol):
    def interpret(
        self,
        text: str,
        *,
        language: str,
        timezone: str,
        now: dt.datetime,
        services: Sequence[Choice],
        masters: Sequence[Choice],
    ) -> Interpretation: ...


def get_interpreter(dotted_path: str | None = None) -> Interpreter:
    """The interpreter at `dotted_path`, else settings.BOT_INTERPRETER; one instance per path."""
    if dotted_path is None:
        dotted_path = getattr(settings, "BOT_INTERPRETER", None) or DEFAULT_INTERPRETER
    return _load_interpreter(dotted_path)


@functools.cache
def _load_interpreter(dotted_path: str) -> Interpreter:
    try:
        target = import_string(dotted_path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"Bot interpreter {dotted_path!r} cannot be imported: {exc}") from exc
    interpreter = target() if isinstance(target, type) else target
    if not isinstance(interpreter, Interpreter):
        raise ImproperlyConfigured(f"Bot interpreter {dotted_path!r} has no interpret() method.")
    return interpreter


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


# --- intents --------------------------------------------------------------------------------------

_GREETING = _rx(
    r"\b(hi+|hello+|helo|hey+|heya|hiya|howdy|greetings|hi there|good (?:morning|afternoon|evening|day)"
    r"|привет\w*|здравствуй\w*|здрасьте|здрасте|добр\w+ (?:день|дня|вечер|вечера|утро|утра|времени суток)"
    r"|доброе утро|салют|хай|хелло\w*)\b"
)
_HUMAN = _rx(
    r"\b(operator|human|person|people|manager|administrator|admin|receptionist|agent"
    r"|(?:talk|speak|chat) (?:to|with) (?:someone|somebody|anyone|a real|the salon)"
    r"|человек\w*|людьми|оператор\w*|администратор\w*|админ\w*|менеджер\w*|позов\w*|позвать|соедин\w*"
    r"|поговорить с)\b"
)
# "For 2 people", "на двух человек": guests being counted, not a wish to talk to staff.
_HEAD_COUNT_WORDS = frozenset(["нас", "двоих", "троих", "четверых", "few", "several", "many"])
_NEGATED_CANCEL = _rx(r"\b(?:не|don'?t|do not|please don'?t) (?:cancel\w*|отмен\w*)\b")
_CANCEL = _rx(r"\b(cancel\w*|call off|отмен\w*|не (?:приду|придем|смогу прийти))\b")
_MY_BOOKINGS = _rx(
    r"\b(my (?:bookings?|appointments?|reservations?|visits?)|when is my|upcoming"
    r"|мо(?:и|я|ю|ей|их) (?:запис\w*|брон\w*|визит\w*)|(?:куда|когда|на когда) я записан\w*|я записан\w*)\b"
)
_BOOK = _rx(
    r"\b(book\w*|appointments?|appt|reserv\w*|schedule|slots?|availab\w*|free time|i want|i wanna"
    r"|i'?d like|i would like|can i (?:get|have|come|book)"
    r"|запис\w*|запиш\w*|хочу|хотел\w*|брон\w*|свободн\w*|окошк\w*|можно (?:ли )?(?:на|к))\b"
)
_HELP = _rx(
    r"\b(help|what can you do|how does (?:this|it) work|how do i|menu|options"
    r"|помо\w*|что (?:ты |вы )?умее\w*|как (?:это )?работает|меню|справк\w*)\b"
)
_YES_WORDS = (
    r"yes|yeah|yep|yup|ya|yea|sure|ok|okay|okey|kk|correct|right|perfect|great|fine|good|alright|sounds good"
    r"|да|ага|угу|конечно|ок|окей|хорошо|верно|отлично|ладно|согласен|согласна|подходит"
)
_NO_WORDS = r"no|nope|nah|not really|no thanks|нет|неа|не надо|не нужно|не хочу|не подходит|не то"
_LEADING_YES = _rx(rf"^\s*(?:{_YES_WORDS})\b")
_LEADING_NO = _rx(rf"^\s*(?:{_NO_WORDS})\b")
_STRONG_YES = _rx(r"\b(confirm\w*|подтвер\w*|that'?s right|sounds good|go ahead)\b")
_ANY_YES = _rx(r"\b(yes|yeah|yep|ok|okay|sure|да|ок|конечно)\b")
_ANY_NO = _rx(r"\b(no|nope|нет|не надо)\b")
_ANY_MASTER = _rx(
    r"\b(any ?(?:one|body|master|stylist|hairdresser|specialist|of them)|whoever|doesn'?t matter who"
    r"|люб(?:ой|ому|ого|ая|ую) (?:мастер\w*|стилист\w*|парикмахер\w*|специалист\w*)|к любому|любому"
    r"|любой(?! (?:день|время|дата|дату|час))"
    r"|no preference|все равно к кому|без разницы к кому|не важно к кому|неважно к кому)\b"
)

# Typos in the key words of an intent ("cancle", "apointment", "здраствуйте"), by similarity.
_FUZZY_INTENT_WORDS = {
    fold(word): intent
    for intent, words in {
        Intent.CANCEL: ("cancel", "отменить", "отмена", "отменяю"),
        Intent.BOOK: ("booking", "appointment", "записаться", "запишите", "записать", "запись"),
        Intent.HUMAN: ("operator", "оператор", "администратор", "manager"),
        Intent.GREETING: ("hello", "привет", "здравствуйте"),
        Intent.HELP: ("помощь", "помогите"),
    }.items()
    for word in words
}

# --- dates and times ------------------------------------------------------------------------------

_WEEKDAYS = [
    r"monday|mon|понедельник\w*|пн",
    r"tuesday|tues?|вторник\w*|вт",
    r"wednesday|wed|weds|сред[ауые]|ср",
    r"thursday|thu|thur|thurs|четверг\w*|чт",
    r"friday|fri|пятниц\w*|пт",
    r"saturday|sat|суббот\w*|сб",
    r"sunday|sun|воскресень\w*|вс",
]
_WEEKDAY_RES = [_rx(rf"^(?:{alts})$") for alts in _WEEKDAYS]
_MONTHS = [
    r"jan|january|январ\w*",
    r"feb|february|феврал\w*",
    r"mar|march|март\w*",
    r"apr|april|апрел\w*",
    r"may|ма[йяею]",
    r"jun|june|июн\w*",
    r"jul|july|июл\w*",
    r"aug|august|август\w*",
    r"sep|sept|september|сентябр\w*",
    r"oct|october|октябр\w*",
    r"nov|november|ноябр\w*",
    r"dec|december|декабр\w*",
]
_MONTH_RES = [_rx(rf"^(?:{alts})$") for alts in _MONTHS]
_MONTH_ALT = "|".join(_MONTHS)
_ORD = r"(?:st|nd|rd|th)"
_RU_ORD = r"(?: ?(?:го|е|ое))"

_NUMBER_WORDS = {
    fold(word): str(number)
    for number, words in enumerate(
        [
            ("one", "один", "одного", "час"),
            ("two", "два", "двух", "двум"),
            ("three", "три", "трех", "трем"),
            ("four", "четыре", "четырех", "четырем"),
            ("five", "пять", "пяти"),
            ("six", "шесть", "шести"),
            ("seven", "семь", "семи"),
            ("eight", "восемь", "восьми"),
            ("nine", "девять", "девяти"),
            ("ten", "десять", "десяти"),
            ("eleven", "одиннадцать", "одиннадцати"),
            ("twelve", "двенадцать", "двенадцати"),
        ],
        start=1,
    )
    for word in words
}
_NUMBER_WORD_ALT = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_TIME_PREFIX = r"at|around|about|by|@|в|во|к|на|около|часов в|часа в"
_NUMBER_WORD_BEFORE = _rx(rf"\b({_TIME_PREFIX}) ({_NUMBER_WORD_ALT})\b")
_NUMBER_WORD_AFTER = _rx(rf"\b({_NUMBER_WORD_ALT}) (?=o'?clock|am|pm|часа|часов|утра|дня|вечера|ночи)")

_OFFSET = _rx(
    r"\b(?:in|через) (?:(?:\d+|a|an|one|two|three|four|five|six|seven|a couple of|couple of|a few|пару|два|две|три"
    r"|четыре|пять|\w+) )?(?P<unit>days?|weeks?|hours?|minutes?|mins?|дн\w*|день|недел\w*|час\w*|минут\w*|полчаса)\b"
)
_CLOCK = _rx(
    rf"\b(?:(?P<pre>{_TIME_PREFIX}) )?(?P<h>\d{{1,2}}):(?P<m>\d{{2}})(?: ?(?P<ap>am|pm))?"
    r"(?: (?P<q>утра|дня|вечера|ночи))?\b"
)
_DOTTED_TIME = _rx(
    r"\b(?P<pre>at|around|about|в|во|к|около) (?P<h>\d{1,2})\.(?P<m>\d{2})(?![./]\d)(?: ?(?P<ap>am|pm))?"
    r"(?: (?P<q>утра|дня|вечера|ночи))?\b"
)
_ISO_DATE = re.compile(r"\b(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})\b")
_NUMERIC_DATE = re.compile(r"\b(?:на |on )?(?P<a>\d{1,2})(?P<sep>[./])(?P<b>\d{1,2})(?:(?P=sep)(?P<y>\d{4}|\d{2}))?\b")
_DAY_MONTH = _rx(
    rf"\b(?:(?:on|на) )?(?:the )?(?P<d>\d{{1,2}}){_ORD}?{_RU_ORD}? (?:of )?(?P<mo>{_MONTH_ALT})\b(?: (?P<y>\d{{4}}))?"
)
_MONTH_DAY = _rx(rf"\b(?:on )?(?P<mo>{_MONTH_ALT}) (?:the )?(?P<d>\d{{1,2}}){_ORD}?\b(?: (?P<y>\d{{4}}))?")
_MERIDIEM_TIME = _rx(r"\b(?:(?:at|around|about|by|for|@|в|к) )?(?P<h>\d{1,2}) ?(?P<ap>am|pm)\b")
_NOON = _rx(r"\b(?:(?:at|around|by|в|к|около) )?(?P<w>noon|midday|midnight|полдень|полночь)\b")
_ORDINAL_DAY = _rx(
    rf"\b(?:(?:on|for|на) )?(?:the )?(?P<d>\d{{1,2}}){_ORD}\b|\b(?:on|for) the (?P<d2>\d{{1,2}})\b"
    rf"|\b(?:на )?(?P<d3>\d{{1,2}}) ?(?:го|е|ое)\b(?: числа)?|\b(?:на )?(?P<d4>\d{{1,2}}) числа\b"
)
_HOUR = _rx(
    rf"\b(?:(?P<pre>{_TIME_PREFIX}) )?(?P<h>\d{{1,2}})(?![\d:./])(?: ?(?P<hw>o'?clock|o clock|часов|часа|час|ч)\b)?"
    r"(?: (?P<q>утра|дня|вечера|ночи))?\b(?! (?:человек|people|persons|guests|гост))"
)
_RELATIVE_DAY = _rx(
    r"\b(?P<w>day after tomorrow|after tomorrow|послезавтра|tomorrow|tmrw|tmr|tomorow|tommorow|tommorrow"
    r"|завтра|завтро|today|tonight|сегодня|седня|this (?=morning|afternoon|evening))\b"
)
_WEEKDAY = _rx(
    r"\b(?:(?:on|в|во|на) )?(?:(?P<mod>next|this|coming|this coming|следующ\w*|эт\w*|ближайш\w*) )?"
    rf"(?P<day>{'|'.join(_WEEKDAYS)})\b"
)
_PARTS = {
    PartOfDay.MORNING: _rx(r"\b(?:in the |this )?morning\b|\b(?:утром|с утра|на утро|утро|поутру)\b"),
    PartOfDay.AFTERNOON: _rx(
        r"\b(?:in the )?afternoon\b|\b(?:after lunch|at lunch|during lunch|lunchtime|днем|после обеда|в обед|на обед"
        r"|в обеденное время|в середине дня)\b"
    ),
    PartOfDay.EVENING: _rx(
        r"\b(?:in the )?evening\b|\b(?:at night|after work|вечером|на вечер|вечер|ближе к вечеру|под вечер"
        r"|после работы)\b"
    ),
}
# A part of day is "still ahead" until it ends (salon wall time).
_PART_ENDS = {PartOfDay.MORNING: dt.time(12), PartOfDay.AFTERNOON: dt.time(17), PartOfDay.EVENING: dt.time(22)}
_QUALIFIER_MERIDIEM = {"утра": "am", "дня": "pm", "вечера": "pm", "ночи": "night"}

# Misspelt day words ("firday", "wensday", "пятницо") are looked up here by similarity.
_FUZZY_DATE_WORDS = {
    word: (kind, value)
    for kind, value, words in [
        ("weekday", 0, "monday понедельник"),
        ("weekday", 1, "tuesday вторник"),
        ("weekday", 2, "wednesday среда среду"),
        ("weekday", 3, "thursday четверг"),
        ("weekday", 4, "friday пятница пятницу"),
        ("weekday", 5, "saturday суббота субботу"),
        ("weekday", 6, "sunday воскресенье"),
        ("days", 0, "today сегодня"),
        ("days", 1, "tomorrow завтра"),
        ("days", 2, "послезавтра"),
    ]
    for word in words.split()
}

# Slash dates read month-first for salons in the United States ("12/5" is December 5th there).
_US_ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Phoenix")
_US_ZONE_PREFIXES = ("US/", "America/Indiana/", "America/Kentucky/", "America/Anchorage", "America/Detroit")


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


class RuleBasedInterpreter:
    """Keywords in English and Russian, loose name matching and date rules; no model, no database."""

    def interpret(
        self,
        text: str,
        *,
        language: str,
        timezone: str,
        now: dt.datetime,
        services: Sequence[Choice],
        masters: Sequence[Choice],
    ) -> Interpretation:
        local_now = _local_now(now, timezone)
        scan = _Scanner(_prepare(text))
        greeting = bool(scan.take(_GREETING))
        any_master = bool(scan.take(_ANY_MASTER))
        when = _When(local_now=local_now, language=language, timezone=timezone)
        when.read(scan)

        flags = {intent: False for intent in Intent}
        flags[Intent.GREETING] = greeting
        flags[Intent.HUMAN] = bool(scan.take(_HUMAN, _unless_head_count))
        negated_cancel = bool(scan.take(_NEGATED_CANCEL))
        flags[Intent.CANCEL] = bool(scan.take(_CANCEL))
        flags[Intent.MY_BOOKINGS] = bool(scan.take(_MY_BOOKINGS))
        leading_no = bool(scan.take(_LEADING_NO)) or negated_cancel
        leading_yes = bool(scan.take(_LEADING_YES)) or bool(scan.take(_STRONG_YES))
        flags[Intent.BOOK] = bool(scan.take(_BOOK))
        flags[Intent.HELP] = bool(scan.take(_HELP))
        any_yes, any_no = bool(scan.take(_ANY_YES)), bool(scan.take(_ANY_NO))

        tokens = scan.tokens()
        when.read_fuzzy(tokens)
        service, used = _best_choice(tokens, services)
        tokens = [t for i, t in enumerate(tokens) if i not in used]
        master, used = _best_choice(tokens, masters)
        tokens = [t for i, t in enumerate(tokens) if i not in used]
        if not any(flags.values()) and not (leading_yes or leading_no or any_yes or any_no):
            for token in tokens:
                intent = _fuzzy_lookup(token, _FUZZY_INTENT_WORDS)
                if intent is not None:
                    flags[intent] = True

        date, time, part = when.resolve()
        has_details = any((service, master, date, time, part, any_master))
        ranked = [
            (Intent.HUMAN, flags[Intent.HUMAN]),
            (Intent.NO, leading_no),
            (Intent.CANCEL, flags[Intent.CANCEL]),
            (Intent.MY_BOOKINGS, flags[Intent.MY_BOOKINGS]),
            (Intent.YES, leading_yes),
            (Intent.BOOK, flags[Intent.BOOK]),
            (Intent.HELP, flags[Intent.HELP]),
            (Intent.YES, any_yes),
            (Intent.NO, any_no),
            (Intent.BOOK, has_details),
            (Intent.GREETING, flags[Intent.GREETING]),
        ]
        intent = next((intent for intent, present in ranked if present), Intent.UNKNOWN)
        return Interpretation(
            intent=intent,
            service_id=service.id if service else None,
            master_id=master.id if master else None,
            date=date,
            time=time,
            part_of_day=part,
            any_master=any_master,
        )


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


@dataclasses.dataclass
class _When:
    """Date and time phrases found in a message, resolved against the salon's wall clock."""

    local_now: dt.datetime
    language: str
    timezone: str
    date: dt.date | None = None
    clock: tuple[int, int, str | None] | None = None  # hour, minute, "24h" | "am" | "pm" | "night" | None
    exact_time: dt.time | None = None  # an offset like "in 2 hours" fixes the time outright
    part: PartOfDay | None = None
    weekday: tuple[int, bool] | None = None  # weekday, of next week ("next friday")
    day_of_month: int | None = None

    def read(self, scan: _Scanner) -> None:
        scan.text = _NUMBER_WORD_BEFORE.sub(lambda m: f"{m[1]} {_number_word(m[2])}", scan.text)
        scan.text = _NUMBER_WORD_AFTER.sub(lambda m: f"{_NUMBER_WORDS[m[1]]} ", scan.text)
        self._set_date(scan.take(_OFFSET, self._offset))
        self._set_clock(scan.take(_CLOCK, _clock))
        self._set_clock(scan.take(_DOTTED_TIME, _clock))
        self._set_date(scan.take(_ISO_DATE, self._iso_date))
        for kind, value in scan.take(_NUMERIC_DATE, self._numeric):
            (self._set_date if kind == "date" else self._set_clock)([value])
        self._set_date(scan.take(_DAY_MONTH, self._month_date))
        self._set_date(scan.take(_MONTH_DAY, self._month_date))
        self._set_clock(scan.take(_MERIDIEM_TIME, lambda m: _hour(m["h"], "0", m["ap"])))
        self._set_clock(
            scan.take(_NOON, lambda m: (0, 0, "24h") if m["w"] in ("midnight", "полночь") else (12, 0, "24h"))
        )
        days = scan.take(_ORDINAL_DAY, lambda m: _int_in(m["d"] or m["d2"] or m["d3"] or m["d4"], 1, 31))
        self.day_of_month = self.day_of_month or (days[0] if days else None)
        self._set_clock(scan.take(_HOUR, _bare_hour))
        for word in scan.take(_RELATIVE_DAY, _unless_negated(lambda m: m["w"])):
            if word.strip() == "this":
                self._set_date([self.local_now.date()])
                continue
            if word == "tonight":
                self.part = self.part or PartOfDay.EVENING
            offset = 2 if "after" in word or word == "послезавтра" else 0 if word in _TODAY_WORDS else 1
            self._set_date([self.local_now.date() + dt.timedelta(days=offset)])
        for match in scan.take(_WEEKDAY, _unless_negated(lambda m: m)):
            day = next(i for i, rx in enumerate(_WEEKDAY_RES) if rx.match(match["day"]))
            next_week = bool(match["mod"]) and match["mod"].startswith(("next", "следующ"))
            self.weekday = self.weekday or (day, next_week)
        for part, pattern in _PARTS.items():
            if scan.take(pattern):
                self.part = self.part or part

    def read_fuzzy(self, tokens: list[str]) -> None:
        """Misspelt day words ("tommorow", "firday", "пятницо"), only when nothing exact was found."""
        if self.date or self.weekday:
            return
        for token in tokens:
            found = _fuzzy_lookup(token, _FUZZY_DATE_WORDS)
            if found is None:
                continue
            kind, value = found
            if kind == "weekday":
                self.weekday = (value, False)
            else:
                self.date = self.local_now.date() + dt.timedelta(days=value)
            tokens.remove(token)
            return

    def resolve(self) -> tuple[dt.date | None, dt.time | None, PartOfDay | None]:
        time = self.exact_time or (self._resolve_clock() if self.clock else None)
        today = self.local_now.date()
        date = self.date
        if date is None and self.weekday is not None:
            weekday, next_week = self.weekday
            if next_week:  # "next friday", "в следующую пятницу": the Friday of next week
                ahead = 7 - today.weekday() + weekday
            else:
                ahead = (weekday - today.weekday()) % 7
                if ahead == 0 and not self._still_ahead(today, time):
                    ahead = 7
            date = today + dt.timedelta(days=ahead)
        if date is None and self.day_of_month is not None:
            date = _next_day_of_month(today, self.day_of_month)
        if date is None and time is not None:
            date = today if self._still_ahead(today, time) else today + dt.timedelta(days=1)
        # A part of day only stands when no time was given ("в пятницу утром", not "at 3 in the afternoon").
        return date, time, (self.part if time is None else None)

    def _resolve_clock(self) -> dt.time | None:
        hour, minute, kind = self.clock
        if kind == "am":
            hour = 0 if hour == 12 else hour
        elif kind == "night":  # "в 11 ночи" is 23:00, "в 12 ночи" midnight, "в 2 ночи" 02:00
            hour = 0 if hour == 12 else hour + 12 if hour >= 9 else hour
        elif kind == "pm":
            hour = hour + 12 if hour < 12 else hour
        elif kind is None and hour <= 12:
            if self.part in (PartOfDay.AFTERNOON, PartOfDay.EVENING):
                hour = hour + 12 if hour < 12 else hour
            elif self.part is None and 1 <= hour <= 7:
                # Salons do not open at 3 a.m.: "at 3" / "в 3" is in the afternoon.
                hour += 12
        return dt.time(hour, minute) if hour <= 23 else None

    def _still_ahead(self, day: dt.date, time: dt.time | None) -> bool:
        wall_now = self.local_now.replace(tzinfo=None)
        if time is not None:
            return dt.datetime.combine(day, time) > wall_now
        if self.part is not None:
            return wall_now.time() < _PART_ENDS[self.part]
        return True

    def _set_date(self, dates: list) -> None:
        if dates and self.date is None:
            self.date = dates[0]

    def _set_clock(self, clocks: list) -> None:
        if clocks and self.clock is None:
            self.clock = clocks[0]

    def _offset(self, match: re.Match[str]) -> dt.date | None:
        phrase = re.sub(r"\b(?:a couple of|couple of|пару)\b", "2", match[0].strip())
        phrase = re.sub(r"\ba few\b", "3", phrase)
        base = self.local_now.replace(tzinfo=None, second=0, microsecond=0)
        languages = ["ru", "en"] if self.language == "ru" else ["en", "ru"]
        settings_ = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future", "RETURN_AS_TIMEZONE_AWARE": False}
        moment = dateparser.parse(phrase, languages=languages, settings=settings_)
        if moment is None:
            return None
        if re.match(r"(hour|min|час|минут|полчаса)", match["unit"]):
            self.exact_time = self.exact_time or moment.time().replace(second=0, microsecond=0)
        return moment.date()

    def _iso_date(self, match: re.Match[str]) -> dt.date | None:
        return _make_date(int(match["y"]), int(match["mo"]), int(match["d"]))

    def _numeric(self, match: re.Match[str]) -> tuple[str, object] | None:
        # "25.12" is a date; "10.30" cannot be one, so it is a time.
        found = self._numeric_date(match)
        if found is not None:
            return "date", found
        if match["sep"] == "." and not match["y"]:
            clock = _hour(match["a"], match["b"], None, zero_padded=match["a"].startswith("0"))
            return ("clock", clock) if clock else None
        return None

    def _numeric_date(self, match: re.Match[str]) -> dt.date | None:
        first, second = int(match["a"]), int(match["b"])
        orders = [(first, second), (second, first)] if match["sep"] == "/" else [(first, second)]
        if match["sep"] == "/" and self._month_first():
            orders.reverse()
        for day, month in orders:
            found = self._with_year(day, month, match["y"])
            if found is not None:
                return found
        return None

    def _month_date(self, match: re.Match[str]) -> dt.date | None:
        month = next(i for i, rx in enumerate(_MONTH_RES, start=1) if rx.match(match["mo"]))
        return self._with_year(int(match["d"]), month, match["y"])

    def _with_year(self, day: int, month: int, year: str | None) -> dt.date | None:
        today = self.local_now.date()
        if year:
            return _make_date(int(year) + (2000 if len(year) == 2 else 0), month, day)
        found = _make_date(today.year, month, day)
        if found is not None and found < today:
            found = _make_date(today.year + 1, month, day)
        return found or _make_date(today.year + 1, month, day)

    def _month_first(self) -> bool:
        return self.language == "en" and (self.timezone in _US_ZONES or self.timezone.startswith(_US_ZONE_PREFIXES))


_TODAY_WORDS = frozenset(("today", "tonight", "сегодня", "седня"))
_NEGATED = object()


def _unless_negated(parse: Callable[[re.Match[str]], object]) -> Callable[[re.Match[str]], object]:
    """A day said with "not" is read and dropped: "not tomorrow, friday", "не завтра, а в пятницу"."""

    def parse_unless_negated(match: re.Match[str]) -> object:
        return _NEGATED if match.string[: match.start()].endswith((" not ", " не ")) else parse(match)

    return parse_unless_negated


def _unless_head_count(match: re.Match[str]) -> re.Match[str] | None:
    before = match.string[: match.start()].split()[-1:]
    is_counted = bool(before) and (before[0].isdigit() or before[0] in _NUMBER_WORDS or before[0] in _HEAD_COUNT_WORDS)
    return None if is_counted else match


def _number_word(word: str) -> str:
    # "в час" is one o'clock; keep the hour word so the hour rule still sees it.
    return "1 час" if word == "час" else _NUMBER_WORDS[word]


def _clock(match: re.Match[str]) -> tuple[int, int, str | None] | None:
    kind = match["ap"] or _QUALIFIER_MERIDIEM.get(match["q"] or "")
    return _hour(match["h"], match["m"], kind, zero_padded=match["h"].startswith("0"))


def _hour(hour: str, minute: str, kind: str | None, *, zero_padded: bool = False) -> tuple[int, int, str | None] | None:
    h, m = int(hour), int(minute)
    if m > 59 or h > 23 or (kind in ("am", "pm") and not 1 <= h <= 12):
        return None
    if kind is None and (h == 0 or h > 12 or zero_padded):
        kind = "24h"
    return h, m, kind


def _bare_hour(match: re.Match[str]) -> tuple[int, int, str | None] | None:
    # A lone number is an hour only with something that says so: "at 3", "в 10", "3 часа", "в 5 вечера".
    if not (match["pre"] or match["hw"] or match["q"]):
        return None
    kind = _QUALIFIER_MERIDIEM.get(match["q"] or "")
    return _hour(match["h"], "0", kind, zero_padded=match["h"].startswith("0"))


def _int_in(value: str, low: int, high: int) -> int | None:
    number = int(value)
    return number if low <= number <= high else None


def _make_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _next_day_of_month(today: dt.date, day: int) -> dt.date | None:
    year, month = today.year, today.month
    for _ in range(13):
        found = _make_date(year, month, day)
        if found is not None and found >= today:
            return found
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _local_now(now: dt.datetime, timezone: str) -> dt.datetime:
    if now.tzinfo is None:  # the project stores UTC; a naive `now` is read as UTC
        now = now.replace(tzinfo=dt.UTC)
    return now.astimezone(_zone(timezone))


def _fuzzy_lookup(token: str, table: dict) -> object | None:
    if len(token) < 5:
        return None
    candidates = [word for word in table if word[0] == token[0]]
    close = difflib.get_close_matches(token, candidates, n=1, cutoff=0.8)
    return table[close[0]] if close else None


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
