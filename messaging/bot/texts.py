"""Every sentence the bot says, and how it writes dates, times and prices.

The strings are lazy: they are turned into text inside `translation.override(salon.language)`,
which the engine sets around each reply. Date formats are translatable too, so a Russian reply
reads "Пн, 14 декабря" where an English one reads "Mon 14 Dec".
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.utils.translation import pgettext_lazy as pgettext

# --- formats --------------------------------------------------------------------------------------

# Django date-format strings; the translation may reorder them or use genitive months ("E").
DAY_FORMAT = pgettext("bot: short date, e.g. Mon 14 Dec", "D j M")
LONG_DAY_FORMAT = pgettext("bot: long date, e.g. Monday, 14 December 2026", "l, j F Y")
TIME_FORMAT = pgettext("bot: time of day, e.g. 09:30", "H:i")
# A button title has 20 characters: the day must stay short next to the time.
SLOT_BUTTON_FORMAT = pgettext("bot: date and time on a button, at most 20 characters", "D j M, H:i")
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "RUB": "₽", "UAH": "₴", "KZT": "₸", "TRY": "₺"}


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(zoneinfo.ZoneInfo(zone))


def day_label(value: date) -> str:
    return formats.date_format(value, str(DAY_FORMAT))


def long_day(value: date) -> str:
    return formats.date_format(value, str(LONG_DAY_FORMAT))


def clock(moment: datetime, zone: str) -> str:
    return formats.time_format(local(moment, zone), str(TIME_FORMAT))


def slot_button(moment: datetime, zone: str) -> str:
    return formats.date_format(local(moment, zone), str(SLOT_BUTTON_FORMAT))


def when(moment: datetime, zone: str) -> str:
    """'Monday, 14 December 2026, 10:00' in the salon's zone and language."""
    return str(AT_TIME) % {"day": long_day(local(moment, zone).date()), "time": clock(moment, zone)}


def money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return ""
    number = formats.number_format(amount, decimal_pos=2)
    symbol = CURRENCY_SYMBOLS.get(currency)
    if symbol is None:
        return str(PRICE_CODE) % {"amount": number, "currency": currency}
    return str(PRICE_SYMBOL) % {"amount": number, "currency": symbol}


def minutes(count: int) -> str:
    return ngettext("%(count)d min", "%(count)d min", count) % {"count": count}


def relative_day(value: date, today: date) -> str:
    offset = (value - today).days
    if offset == 0:
        return str(TODAY)
    if offset == 1:
        return str(TOMORROW)
    return ""


AT_TIME = _("%(day)s, %(time)s")
PRICE_SYMBOL = _("%(currency)s%(amount)s")
PRICE_CODE = _("%(amount)s %(currency)s")
TODAY = _("Today")
TOMORROW = _("Tomorrow")

# --- the menu -------------------------------------------------------------------------------------

MENU = _("Hello! This is the booking assistant of %(salon)s. What would you like to do?")
MENU_AGAIN = _("What would you like to do?")
MENU_NAMED = _("Hello, %(name)s! This is the booking assistant of %(salon)s. What would you like to do?")
MENU_REBOOK = _(
    "Hello, %(name)s! Good to see you again. Book %(service)s with %(master)s again, or something else?\n"
    "(To talk to someone from %(salon)s, just write “person”.)"
)
BOOK = _("Book a visit")
MY_BOOKINGS = _("My bookings")
HUMAN = _("Talk to a person")
HELP = _(
    "I can book a visit, show or cancel your bookings, or call a person from the salon. "
    "You can also just write, for example: “haircut tomorrow at 3pm”."
)
EXPIRED = _("We started over: your earlier choices expired after 30 minutes without a reply.")
NOT_UNDERSTOOD = _("Sorry, I did not understand that.")
MEDIA = _("Sorry, I can only read text messages and taps on the buttons.")
ERROR = _("Sorry, something went wrong on our side. Please try again.")
STALE = _("Sorry, that choice is no longer available.")
MORE = _("More…")
MORE_DESCRIPTION = _("Show more choices")

# --- booking steps --------------------------------------------------------------------------------

SERVICE_PROMPT = _("Which service would you like?")
SERVICE_PROMPT_MASTER = _("Which service would you like with %(master)s?")
SERVICES_BUTTON = _("Services")
NO_SERVICES = _("Sorry, there is nothing to book online at the moment.")
MASTER_PROMPT = _("Who would you like for %(service)s?")
MASTERS_BUTTON = _("Masters")
ANY_MASTER = _("Any master")
ANY_MASTER_DESCRIPTION = _("Whoever is free at the time you pick")
MASTER_CANNOT = _("Sorry, %(master)s does not do %(service)s.")
DAY_PROMPT = _("Which day would you like for %(service)s?")
DAY_PROMPT_MASTER = _("Which day would you like for %(service)s with %(master)s?")
DAYS_BUTTON = _("Days")
NO_DAYS = _("Sorry, there are no free times for %(service)s in the coming weeks.")
DAY_FULL = _("Sorry, there are no free times on %(day)s.")
TIME_PROMPT = _("Free times on %(day)s. Which one suits you?")
TIME_PROMPT_PART = _("Free times on %(day)s %(part)s. Which one suits you?")
PART_PROMPT = _("There are many free times on %(day)s. Which part of the day suits you?")
# Button titles (with the count of free starts after them) and the phrase "on Friday <part>".
PART_NAMES = {
    "morning": pgettext("bot: part of the day, a button", "Morning"),
    "afternoon": pgettext("bot: part of the day, a button", "Afternoon"),
    "evening": pgettext("bot: part of the day, a button", "Evening"),
}
PART_PHRASES = {
    "morning": pgettext("bot: free times on Friday ...", "in the morning"),
    "afternoon": pgettext("bot: free times on Friday ...", "in the afternoon"),
    "evening": pgettext("bot: free times on Friday ...", "in the evening"),
}
NOTHING_IN_PART = _("Sorry, nothing is free on %(day)s %(part)s.")
TIMES_BUTTON = _("Times")
TAKEN = _("Sorry, that time has just been taken.")
NOT_FREE = _("Sorry, %(time)s on %(day)s is not free.")
ALTERNATIVES = _("The nearest free times are:")
CONFIRM_PROMPT = _(
    "Please check your booking:\n%(service)s, %(duration)s, %(price)s\n%(master)s\n%(when)s\nIs that right?"
)
CONFIRM_PROMPT_NAME = _(
    "Please check your booking:\n%(service)s, %(duration)s, %(price)s\n%(master)s\n%(when)s\nName: %(name)s\n"
    "Is that right?"
)
WITH_MASTER = _("with %(master)s")
WITH_ANY_MASTER = _("with any free master")
CONFIRM = _("Confirm")
CHANGE = _("Change")
NOTHING_BOOKED = _("All right, nothing was booked.")
BOOKED = _(
    "Booked! ✅\nBooking code: %(code)s\n%(service)s with %(master)s\n%(when)s\nPrice: %(price)s\n"
    "We will remind you before your visit. To see or cancel your bookings, write “my bookings”."
)
ALREADY_BOOKED = _("You are already booked for that time: booking %(code)s.")
BOOKING_FAILED = _("Sorry, I cannot book online right now. Tap “Talk to a person” and the salon will help.")

NAME_PROMPT = _("One more thing before I book: what name should I put the booking under? Tap it below or write it.")
NAME_PROMPT_WRITE = _("One more thing before I book: what name should I put the booking under? Please write it.")
NAME_THANKS = _("Thank you, %(name)s!")

# --- small talk -----------------------------------------------------------------------------------

WELCOME = _("You're welcome! Write any time if you need something else.")
WELCOME_SHORT = _("You're welcome!")
GOODBYE = _("Goodbye! See you at %(salon)s.")
GREAT = _("Great! Write any time if you need something else.")

# --- the waiting list -----------------------------------------------------------------------------

WAITLIST_ROW = _("Tell me if it frees up")
WAITLIST_BUTTON = pgettext("bot: a button, at most 20 characters", "Notify me if freed")
WAITLIST_ROW_DESCRIPTION = _("Waiting list for %(when)s")
WAITLIST_JOINED = _(
    "Done: you are on the waiting list for %(service)s on %(when)s. If a time frees up, I will write to you "
    "here; the first to confirm gets it."
)
WAITLIST_WHICH_DAY = _("Which day should I watch for %(service)s? Write it, for example “Friday evening”.")
WAITLIST_WHICH_SERVICE = _("Which service should I watch for?")
OFFER = _(
    "Good news, %(name)s! A time you were waiting for is free:\n%(service)s with %(master)s\n%(when)s\n"
    "The first to confirm gets it. Shall I book it?"
)
OFFER_BOOK = _("Book it")
OFFER_DECLINE = _("Not this one")
OFFER_GONE = _("Sorry, someone else was quicker and that time is taken. You stay on the waiting list for %(when)s.")
OFFER_CLOSED = _("Sorry, this offer is no longer open.")
OFFER_DECLINED = _("All right. You stay on the waiting list for %(when)s.")

# --- moving a booking -----------------------------------------------------------------------------

MOVE_WHICH = _("Which booking shall I move?\n%(lines)s")
MOVE_BUTTON_LIST = pgettext("bot: the button that opens a list of bookings", "Bookings")
MOVE_ROW_DESCRIPTION = _("Move · %(service)s · %(master)s · %(code)s")
NO_BOOKINGS_TO_MOVE = _("You have no upcoming bookings to move.")
MOVING = _("Moving booking %(code)s (%(service)s, now %(when)s).")
MOVE_CONFIRM = _("Move booking %(code)s, %(service)s %(master)s,\nfrom %(old)s\nto %(new)s?")
MOVE = _("Move it")
MOVED = _("Done! Booking %(code)s is now on %(when)s with %(master)s. We will remind you before your visit.")
CANNOT_MOVE = _("Booking %(code)s cannot be moved any more.")

# --- my bookings and cancelling -------------------------------------------------------------------

BOOKINGS_PROMPT = _("Your upcoming bookings:\n%(lines)s\nTo cancel one, open the list and pick it.")
BOOKING_LINE = _("• %(when)s, %(service)s with %(master)s (%(code)s)")
BOOKINGS_BUTTON = _("Cancel a booking")
BOOKING_ROW_DESCRIPTION = _("Cancel · %(service)s · %(master)s · %(code)s")
NO_BOOKINGS = _("You have no upcoming bookings.")
CANCEL_PROMPT = _("Cancel booking %(code)s: %(service)s with %(master)s, %(when)s?")
CANCEL_YES = _("Yes, cancel it")
CANCEL_NO = _("No, keep it")
CANCELLED = _("Booking %(code)s is cancelled.")
KEPT = _("Fine, booking %(code)s stays as it is.")
CANNOT_CANCEL = _("Booking %(code)s cannot be cancelled any more.")
CANCELLATION_REASON = _("Cancelled by the customer on WhatsApp")
SOMEONE = _("our team")

# --- a person takes over --------------------------------------------------------------------------

HANDOFF = _("All right, I have asked a person from %(salon)s to take over.")
WAITING_NOTED = _("Thank you, your message is with the team of %(salon)s.")
OPEN_NOW = _("The salon is open now: someone will answer you here shortly.")
OPENS_AT = _("The salon is closed now: someone will answer you here from %(when)s.")
ANSWER_SOON = _("Someone will answer you here as soon as they can.")
