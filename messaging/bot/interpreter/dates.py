"""Date and time extraction: the patterns, and _When, which resolves them against the salon's clock."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

import dateparser

from .base import PartOfDay
from .scanner import _NEGATED, _Scanner
from .text import _fuzzy_lookup, _rx, fold

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
# "make it 4" corrects the time of a request: the number is an hour there as after "at".
_TIME_PREFIX = r"at|around|about|by|@|make it|how about|what about|в|во|к|на|около|часов в|часа в"
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
_WEEK = _rx(
    r"\b(?P<w>next week|the week after|this week|later this week|на следующ\w* неделе|на след неделе"
    r"|следующ\w* недел\w*|на этой неделе|эт\w* недел\w*)\b"
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
    week_start: dt.date | None = None  # "next week": no day yet, but not before this one

    def read(self, scan: _Scanner) -> None:
        scan.text = _NUMBER_WORD_BEFORE.sub(lambda m: f"{m[1]} {_number_word(m[2])}", scan.text)
        scan.text = _NUMBER_WORD_AFTER.sub(lambda m: f"{_NUMBER_WORDS[m[1]]} ", scan.text)
        self._set_date(scan.take(_OFFSET, self._offset))
        self._set_clock(scan.take(_CLOCK, _unless_a_limit(_clock)))
        self._set_clock(scan.take(_DOTTED_TIME, _unless_a_limit(_clock)))
        self._set_date(scan.take(_ISO_DATE, self._iso_date))
        for kind, value in scan.take(_NUMERIC_DATE, self._numeric):
            (self._set_date if kind == "date" else self._set_clock)([value])
        self._set_date(scan.take(_DAY_MONTH, self._month_date))
        self._set_date(scan.take(_MONTH_DAY, self._month_date))
        self._set_clock(scan.take(_MERIDIEM_TIME, _unless_a_limit(lambda m: _hour(m["h"], "0", m["ap"]))))
        self._set_clock(
            scan.take(
                _NOON,
                _unless_a_limit(lambda m: (0, 0, "24h") if m["w"] in ("midnight", "полночь") else (12, 0, "24h")),
            )
        )
        days = scan.take(_ORDINAL_DAY, lambda m: _int_in(m["d"] or m["d2"] or m["d3"] or m["d4"], 1, 31))
        self.day_of_month = self.day_of_month or (days[0] if days else None)
        self._set_clock(scan.take(_HOUR, _unless_a_limit(_bare_hour)))
        for word in scan.take(_RELATIVE_DAY, _unless_negated(lambda m: m["w"])):
            if word.strip() == "this":
                self._set_date([self.local_now.date()])
                continue
            if word == "tonight":
                self.part = self.part or PartOfDay.EVENING
            offset = 2 if "after" in word or word == "послезавтра" else 0 if word in _TODAY_WORDS else 1
            self._set_date([self.local_now.date() + dt.timedelta(days=offset)])
        for word in scan.take(_WEEK, lambda m: m["w"]):
            today = self.local_now.date()
            is_next = word.startswith(("next", "the week after", "на след", "след"))
            self.week_start = self.week_start or (today + dt.timedelta(days=7 - today.weekday()) if is_next else today)
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


# "I work until noon", "не раньше 5": a limit of the customer's day, not the time they ask for.
_LIMIT_WORDS = (" until ", " till ", " til ", " before ", " до ", " не раньше ", " not before ")


def _unless_a_limit(parse: Callable[[re.Match[str]], object]) -> Callable[[re.Match[str]], object]:
    def parse_unless_a_limit(match: re.Match[str]) -> object:
        return _NEGATED if match.string[: match.start()].endswith(_LIMIT_WORDS) else parse(match)

    return parse_unless_a_limit


def _unless_negated(parse: Callable[[re.Match[str]], object]) -> Callable[[re.Match[str]], object]:
    """A day said with "not" is read and dropped: "not tomorrow, friday", "не завтра, а в пятницу"."""

    def parse_unless_negated(match: re.Match[str]) -> object:
        return _NEGATED if match.string[: match.start()].endswith((" not ", " не ")) else parse(match)

    return parse_unless_negated


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
