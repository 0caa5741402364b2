"""The rule-based free-text interpreter of the WhatsApp bot, and how the bot finds its interpreter."""

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured

from messaging.bot.interpreter import (
    Choice,
    Interpretation,
    Interpreter,
    RuleBasedInterpreter,
    _load_interpreter,
    get_interpreter,
)

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
TOKYO = "Asia/Tokyo"
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)  # Wednesday 10:00 in Berlin
NY_NOW = dt.datetime(2026, 11, 26, 3, 30, tzinfo=dt.UTC)  # Wednesday 22:30 in New York, Thursday in UTC
TOKYO_NOW = dt.datetime(2026, 11, 25, 16, 0, tzinfo=dt.UTC)  # Thursday 01:00 in Tokyo, Wednesday in UTC

EN_SERVICES = (
    Choice("haircut", "Haircut"),
    Choice("manicure", "Manicure"),
    Choice("colouring", "Hair colouring"),
    Choice("beard", "Beard trim"),
)
RU_SERVICES = (
    Choice("haircut", "Стрижка"),
    Choice("manicure", "Маникюр"),
    Choice("colouring", "Окрашивание"),
    Choice("beard", "Стрижка бороды"),
)
EN_MASTERS = (Choice("anna", "Anna"), Choice("maria", "Maria"), Choice("olga", "Olga"))
RU_MASTERS = (Choice("anna", "Анна"), Choice("maria", "Мария"), Choice("olga", "Ольга"))


def _row(language, text, intent, *, service=None, master=None, date=None, time=None, part=None, any_master=False,
         timezone=BERLIN, now=NOW):  # fmt: skip
    expected = Interpretation(
        intent=intent,
        service_id=service,
        master_id=master,
        date=dt.date.fromisoformat(date) if date else None,
        time=dt.time.fromisoformat(time) if time else None,
        part_of_day=part,
        any_master=any_master,
    )
    return pytest.param(language, text, timezone, now, expected, id=f"{language}:{text}")


def en(text, intent, **expected):
    return _row("en", text, intent, **expected)


def ru(text, intent, **expected):
    return _row("ru", text, intent, **expected)


PHRASES = [
    # English, Berlin, Wednesday 2026-11-25 10:00
    en("hi", "greeting"),
    en("Hello there!", "greeting"),
    en("Good morning! Can I book a beard trim?", "book", service="beard"),
    en("haircut tomorrow at 3 with Anna", "book", service="haircut", master="anna", date="2026-11-26", time="15:00"),
    en("manicure friday 10:30", "book", service="manicure", date="2026-11-27", time="10:30"),
    en("hiarcut tomorow", "book", service="haircut", date="2026-11-26"),
    en("hair cut with maria", "book", service="haircut", master="maria"),
    en("I'd like a manicure with Olga on December 3rd", "book", service="manicure", master="olga", date="2026-12-03"),
    en("colouring tomorrow evening", "book", service="colouring", date="2026-11-26", part="evening"),
    en("haircut with anyone tonight at 7", "book", service="haircut", date="2026-11-25", time="19:00", any_master=True),
    en("any master", "book", any_master=True),
    en("talk to a person", "human"),
    en("I need to speak with a manager", "human"),
    en("my bookings", "my_bookings"),
    en("cancel my appointment", "cancel"),
    en("cancle", "cancel"),
    en("yes", "yes"),
    en("ok, confirm", "yes"),
    en("no", "no"),
    en("don't cancel", "no"),
    en("help", "help"),
    en("tomorrow", "book", date="2026-11-26"),
    en("at 5pm", "book", date="2026-11-25", time="17:00"),
    en("at 9", "book", date="2026-11-26", time="09:00"),  # 9:00 has passed today
    en("25.12", "book", date="2026-12-25"),
    en("on monday", "book", date="2026-11-30"),
    en("next tuesday at noon", "book", date="2026-12-01", time="12:00"),
    en("this friday", "book", date="2026-11-27"),
    en("next friday", "book", date="2026-12-04"),
    en("wednesday morning", "book", date="2026-11-25", part="morning"),
    en("on the 5th", "book", date="2026-12-05"),
    en("12/5", "book", date="2027-05-12"),  # day first outside the United States
    en("can I come in 3 days at 11am?", "book", date="2026-11-28", time="11:00"),
    en("not tomorrow, friday", "book", date="2026-11-27"),
    en("haircuts for 2 people tomorrow", "book", service="haircut", date="2026-11-26"),  # guests, not staff
    en("asdkjh qwpoe zxv", "unknown"),
    # English, New York, Wednesday 22:30 (already Thursday in UTC)
    en("today", "book", date="2026-11-25", timezone=NEW_YORK, now=NY_NOW),
    en("tomorrow", "book", date="2026-11-26", timezone=NEW_YORK, now=NY_NOW),
    en("at 9pm", "book", date="2026-11-26", time="21:00", timezone=NEW_YORK, now=NY_NOW),
    en("at 11pm", "book", date="2026-11-25", time="23:00", timezone=NEW_YORK, now=NY_NOW),
    en("wednesday evening", "book", date="2026-12-02", part="evening", timezone=NEW_YORK, now=NY_NOW),
    en("12/5", "book", date="2026-12-05", timezone=NEW_YORK, now=NY_NOW),  # month first in the United States
    # English, Tokyo, Thursday 01:00 (still Wednesday in UTC)
    en("today", "book", date="2026-11-26", timezone=TOKYO, now=TOKYO_NOW),
    en("thursday at 3pm", "book", date="2026-11-26", time="15:00", timezone=TOKYO, now=TOKYO_NOW),
    # Russian, Berlin, Wednesday 2026-11-25 10:00
    ru("Привет!", "greeting"),
    ru("Здравствуйте", "greeting"),
    ru("Добрый вечер", "greeting"),
    ru("стрижка завтра в 15:00 к Анне", "book", service="haircut", master="anna", date="2026-11-26", time="15:00"),
    ru("маникюр в пятницу утром", "book", service="manicure", date="2026-11-27", part="morning"),
    ru("маникур на послезавтра", "book", service="manicure", date="2026-11-27"),
    ru("Добрый день, хочу записаться на окрашивание к Марии", "book", service="colouring", master="maria"),
    ru(
        "запишите меня к Ольге на стрижку бороды в субботу в 12",
        "book",
        service="beard",
        master="olga",
        date="2026-11-28",
        time="12:00",
    ),
    ru("с Анной в четверг после обеда", "book", master="anna", date="2026-11-26", part="afternoon"),
    ru("можно к Маше на маникюр?", "book", service="manicure", master="maria"),
    ru("стрижечку к Оле", "book", service="haircut", master="olga"),
    ru("окрашевание", "book", service="colouring"),
    ru("Привет, хочу на маникюр завтра вечером", "book", service="manicure", date="2026-11-26", part="evening"),
    ru("к любому мастеру", "book", any_master=True),
    ru("позовите человека", "human"),
    ru("хочу поговорить с администратором", "human"),
    ru("мои записи", "my_bookings"),
    ru("отменить запись", "cancel"),
    ru("отмените мою запись на завтра", "cancel", date="2026-11-26"),
    ru("да", "yes"),
    ru("подтверждаю", "yes"),
    ru("нет", "no"),
    ru("нет, не отменяйте", "no"),
    ru("что ты умеешь?", "help"),
    ru("в 3 часа дня", "book", date="2026-11-25", time="15:00"),
    ru("в 8 утра", "book", date="2026-11-26", time="08:00"),
    ru("сегодня вечером", "book", date="2026-11-25", part="evening"),
    ru("послезавтра в 10", "book", date="2026-11-27", time="10:00"),
    ru("завтро в 11", "book", date="2026-11-26", time="11:00"),
    ru("в эту пятницу в 10.30", "book", date="2026-11-27", time="10:30"),
    ru("в следующую пятницу", "book", date="2026-12-04"),
    ru("в понедельник вечером", "book", date="2026-11-30", part="evening"),
    ru("на 5-е число", "book", date="2026-12-05"),
    ru("3 декабря в два", "book", date="2026-12-03", time="14:00"),
    ru("через неделю", "book", date="2026-12-02"),
    ru("не завтра, а в субботу", "book", date="2026-11-28"),
    ru("на 2 человека в пятницу", "book", date="2026-11-27"),  # guests, not a wish for a human
    ru("в 11 ночи", "book", date="2026-11-25", time="23:00"),
    ru("ыврапо длоыва", "unknown"),
    # Russian, New York, Wednesday 22:30
    ru("сегодня в 23:00", "book", date="2026-11-25", time="23:00", timezone=NEW_YORK, now=NY_NOW),
    ru("завтра", "book", date="2026-11-26", timezone=NEW_YORK, now=NY_NOW),
]


@pytest.fixture(scope="module")
def interpreter():
    return RuleBasedInterpreter()


def _interpret(interpreter, text, *, language="en", timezone=BERLIN, now=NOW, services=None, masters=None):
    return interpreter.interpret(
        text,
        language=language,
        timezone=timezone,
        now=now,
        services=EN_SERVICES if services is None else services,
        masters=EN_MASTERS if masters is None else masters,
    )


@pytest.mark.parametrize(("language", "text", "timezone", "now", "expected"), PHRASES)
def test_phrase_is_understood(interpreter, language, text, timezone, now, expected):
    services, masters = (RU_SERVICES, RU_MASTERS) if language == "ru" else (EN_SERVICES, EN_MASTERS)
    result = _interpret(
        interpreter, text, language=language, timezone=timezone, now=now, services=services, masters=masters
    )
    assert result == expected


def test_table_covers_both_languages_evenly():
    languages = [param.values[0] for param in PHRASES]
    assert len(PHRASES) >= 40
    assert abs(languages.count("en") - languages.count("ru")) <= len(PHRASES) // 5


def test_customers_may_write_in_the_other_language(interpreter):
    english_in_russian_salon = _interpret(interpreter, "tomorrow at 3pm", language="ru", services=RU_SERVICES)
    russian_in_english_salon = _interpret(interpreter, "завтра в 15:00", language="en")

    assert english_in_russian_salon.date == russian_in_english_salon.date == dt.date(2026, 11, 26)
    assert english_in_russian_salon.time == russian_in_english_salon.time == dt.time(15)


def test_names_written_in_latin_letters_match_cyrillic_masters(interpreter):
    result = _interpret(interpreter, "haircut with Olga", language="ru", services=EN_SERVICES, masters=RU_MASTERS)

    assert result.master_id == "olga"


def test_accents_and_yo_are_ignored_on_both_sides(interpreter):
    services = (Choice("pedicure", "Pédicure"), Choice("peeling", "Пилинг"))
    masters = (Choice("alena", "Алёна"), Choice("zoe", "Zoë"))

    assert _interpret(interpreter, "pedicure with Zoe", services=services, masters=masters).master_id == "zoe"
    assert _interpret(interpreter, "pedicure with Zoe", services=services, masters=masters).service_id == "pedicure"
    assert _interpret(interpreter, "пилинг к Алене", services=services, masters=masters).master_id == "alena"
    assert _interpret(interpreter, "пилинг к Алёне", services=services, masters=masters).master_id == "alena"


def test_longest_matching_service_wins(interpreter):
    services = (Choice("manicure", "Manicure"), Choice("gel", "Manicure + gel polish"))

    assert _interpret(interpreter, "manicure with gel polish", services=services).service_id == "gel"
    assert _interpret(interpreter, "just a manicure", services=services).service_id == "manicure"


def test_part_of_a_name_is_enough_when_no_other_choice_shares_it(interpreter):
    masters = (Choice("anna-p", "Anna Petrova"), Choice("maria-i", "Maria Ivanova"))

    assert _interpret(interpreter, "with Anna please", masters=masters).master_id == "anna-p"


def test_name_shared_by_two_masters_chooses_nobody(interpreter):
    masters = (Choice("anna-p", "Anna Petrova"), Choice("anna-i", "Anna Ivanova"))

    assert _interpret(interpreter, "with Anna please", masters=masters).master_id is None
    assert _interpret(interpreter, "with Anna Ivanova please", masters=masters).master_id == "anna-i"


def test_short_and_generic_words_never_name_a_choice(interpreter):
    services = (Choice("consult", "Free consultation"), Choice("spa", "Spa"))
    masters = (Choice("ed", "Ed"), Choice("ya", "Я"))

    result = _interpret(interpreter, "are you free tomorrow? я хочу", services=services, masters=masters)

    assert (result.service_id, result.master_id) == (None, None)


def test_gibberish_matches_nothing(interpreter):
    result = _interpret(interpreter, "qwrtp zzxv mnbvc hjkl", language="en")

    assert result == Interpretation(intent="unknown")


def test_time_said_with_a_part_of_day_is_a_time(interpreter):
    result = _interpret(interpreter, "friday evening at 7")

    assert (result.date, result.time, result.part_of_day) == (dt.date(2026, 11, 27), dt.time(19), None)


def test_naive_now_is_read_as_utc(interpreter):
    naive = NY_NOW.replace(tzinfo=None)

    assert _interpret(interpreter, "today", timezone=NEW_YORK, now=naive).date == dt.date(2026, 11, 25)


def test_interpretation_compares_equal_to_plain_strings(interpreter):
    result = _interpret(interpreter, "маникюр в пятницу утром", language="ru", services=RU_SERVICES)

    assert result.intent == "book"
    assert result.part_of_day == "morning"


# --- get_interpreter ------------------------------------------------------------------------------


class EchoInterpreter:
    """A stand-in for an LLM-backed interpreter: everything is a greeting."""

    def interpret(self, text, *, language, timezone, now, services, masters):
        return Interpretation(intent="greeting")


READY_INTERPRETER = EchoInterpreter()
NOT_AN_INTERPRETER = object()


@pytest.fixture(autouse=True)
def _fresh_interpreter_cache():
    _load_interpreter.cache_clear()
    yield
    _load_interpreter.cache_clear()


def test_default_interpreter_is_rule_based(settings):
    del settings.BOT_INTERPRETER

    interpreter = get_interpreter()

    assert isinstance(interpreter, RuleBasedInterpreter)
    assert isinstance(interpreter, Interpreter)


def test_setting_chooses_the_interpreter(settings):
    settings.BOT_INTERPRETER = "tests.messaging.test_interpreter.EchoInterpreter"

    assert isinstance(get_interpreter(), EchoInterpreter)


def test_dotted_path_loads_a_custom_interpreter_once():
    first = get_interpreter("tests.messaging.test_interpreter.EchoInterpreter")
    second = get_interpreter("tests.messaging.test_interpreter.EchoInterpreter")

    assert isinstance(first, EchoInterpreter)
    assert first is second
    assert first.interpret("anything", language="en", timezone=BERLIN, now=NOW, services=(), masters=()).intent == (
        "greeting"
    )


def test_dotted_path_may_name_a_ready_instance():
    assert get_interpreter("tests.messaging.test_interpreter.READY_INTERPRETER") is READY_INTERPRETER


@pytest.mark.parametrize(
    "dotted_path",
    ["tests.messaging.test_interpreter.NoSuchInterpreter", "no_such_module.Interpreter", "not-a-path"],
)
def test_unimportable_interpreter_is_a_configuration_error(dotted_path):
    with pytest.raises(ImproperlyConfigured, match="cannot be imported"):
        get_interpreter(dotted_path)


def test_object_without_interpret_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured, match="no interpret"):
        get_interpreter("tests.messaging.test_interpreter.NOT_AN_INTERPRETER")
