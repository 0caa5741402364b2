"""Keyword patterns for what the customer wants: greeting, booking, cancelling, yes/no, a human."""

from __future__ import annotations

import re

from .base import Intent
from .dates import _NUMBER_WORDS
from .text import _rx, fold

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
_THANKS = _rx(r"\b(thanks?|thank you|thank u|thx|thanx|ty|cheers|many thanks|спасибо\w*|спс|благодар\w*|пасиб\w*)\b")
_BYE = _rx(
    r"\b(bye|goodbye|good bye|bye bye|see you|see ya|cya|have a nice day|до свидания|досвидания|пока"
    r"|всего доброго|всего хорошего|до встречи|хорошего дня)\b"
)
# "Tell me if something frees up", "put me on the waiting list", "сообщите, если освободится".
_WAITLIST = _rx(
    r"\b(wait(?:ing)?[ -]?list|(?:frees?|freed|opens?|opened) up|becomes? (?:free|available)"
    r"|(?:someone|anyone|somebody) cancels|лист\w* ожидани\w*|освобод\w*|кто[- ]?(?:то|нибудь) отмен\w*)\b"
)
_RESCHEDULE = _rx(
    r"\b(reschedul\w*|re-schedul\w*|move (?:my|the|it|our|this)|postpone\w*|push (?:it|my \w+) back"
    r"|change (?:my |the )?(?:booking|appointment|time|date)|перенес\w*|перенос\w*|перенест\w*|передвин\w*"
    r"|сдвин\w*|поменя\w* (?:время|дату|день))\b"
)
# "not Anna, Olga", "не к Анне, а к Оле": the name after "not" is the one the customer does not want.
_NEGATED_NAME = _rx(r"\b(?:not|не) (?:with |to |к |ко |с |со |у )?[^\W\d_]{3,}\b")
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


def _unless_head_count(match: re.Match[str]) -> re.Match[str] | None:
    before = match.string[: match.start()].split()[-1:]
    is_counted = bool(before) and (before[0].isdigit() or before[0] in _NUMBER_WORDS or before[0] in _HEAD_COUNT_WORDS)
    return None if is_counted else match
