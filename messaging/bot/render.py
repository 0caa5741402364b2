"""The bot's replies as data: one message per step, the step's prompt in its body.

A Reply is a text, a list (rows behind a button) or reply buttons. Lists show at most ten rows:
when there are more, nine are shown and the tenth, "More…", pages on. Titles and descriptions
are cut to the Cloud API's lengths by `messaging.whatsapp.messages` when the body is built; the
full titles are kept here, so a customer who types a name still matches it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from messaging.whatsapp.limits import MAX_BUTTON_TITLE, MAX_BUTTONS, MAX_ROWS, truncate
from messaging.whatsapp.messages import Button, Row

from . import ids, texts


@dataclass(frozen=True)
class Reply:
    """What the bot answers, and the step the conversation is in once it is sent."""

    text: str
    step: str = ""
    rows: Sequence[Row] = ()
    button: str = ""  # the label that opens a list
    section: str = ""
    buttons: Sequence[Button] = ()
    offset: int = 0  # first row of a paged list, to show the same page again
    # Set when the message must be queued under a key of its own (the booking's confirmation).
    idempotency_key: str = ""

    def options(self) -> list[list[str]]:
        """[id, full title] of every row or button, in order: what a typed number or title picks."""
        return [[choice.id, choice.title] for choice in (*self.rows, *self.buttons)]

    def after(self, note: str) -> Reply:
        """The same reply, with `note` (an apology, a reason) before its prompt."""
        return replace(self, text=f"{note}\n\n{self.text}" if note else self.text)


def page(rows: Sequence[Row], offset: int, more_id: Callable[[int], str], room: int = MAX_ROWS) -> list[Row]:
    """Rows from `offset`: all of them if they fit in `room`, else one fewer and a "More…" row."""
    rest = list(rows[offset:])
    if len(rest) <= room:
        return rest
    shown = rest[: room - 1]
    return [*shown, Row(more_id(offset + len(shown)), str(texts.MORE), str(texts.MORE_DESCRIPTION))]


def menu(salon_name: str, *, greet: bool = True, name: str = "", again=None) -> Reply:
    """The menu; a customer we know is greeted by name, and with `again` ((service, master) of
    their last booking) the first button books that again: one tap to its days."""
    if not greet:
        return Reply(str(texts.MENU_AGAIN), step="menu", buttons=menu_buttons())
    if name and again is not None:
        service, master = again
        facts = {"name": name, "salon": salon_name, "service": service.name, "master": master.name}
        buttons = [
            Button(ids.master(service.pk, master.pk), f"{service.name} · {master.name}"),
            Button(ids.menu("book"), str(texts.BOOK)),
            Button(ids.menu("mine"), str(texts.MY_BOOKINGS)),
        ]
        return Reply(str(texts.MENU_REBOOK) % facts, step="menu", buttons=buttons)
    if name:
        return Reply(str(texts.MENU_NAMED) % {"name": name, "salon": salon_name}, step="menu", buttons=menu_buttons())
    return Reply(str(texts.MENU) % {"salon": salon_name}, step="menu", buttons=menu_buttons())


def menu_buttons() -> list[Button]:
    return [
        Button(ids.menu("book"), str(texts.BOOK)),
        Button(ids.menu("mine"), str(texts.MY_BOOKINGS)),
        Button(ids.menu("human"), str(texts.HUMAN)),
    ]


def services(services: Sequence, *, currency: str, offset: int = 0, master_name: str = "") -> Reply:
    rows = [
        Row(
            ids.service(s.pk),
            s.name,
            " · ".join(p for p in (texts.minutes(s.duration_minutes), texts.money(s.price, currency)) if p),
        )
        for s in services
    ]
    prompt = str(texts.SERVICE_PROMPT_MASTER) % {"master": master_name} if master_name else str(texts.SERVICE_PROMPT)
    return Reply(
        prompt,
        step="service",
        rows=page(rows, offset, lambda n: ids.more("svc", n)),
        button=str(texts.SERVICES_BUTTON),
        offset=offset,
    )


def masters(service, masters: Sequence, *, offset: int = 0) -> Reply:
    rows = [Row(ids.master(service.pk, ids.ANY), str(texts.ANY_MASTER), str(texts.ANY_MASTER_DESCRIPTION))]
    rows += [Row(ids.master(service.pk, m.pk), m.name, getattr(m, "specialization", "") or "") for m in masters]
    return Reply(
        str(texts.MASTER_PROMPT) % {"service": service.name},
        step="master",
        rows=page(rows, offset, lambda n: ids.more("mst", service.pk, n)),
        button=str(texts.MASTERS_BUTTON),
        offset=offset,
    )


def days(
    service,
    master_key: str,
    master_name: str,
    days: Sequence[date],
    *,
    today: date,
    more: bool,
    waitlist: tuple[date, str | None] | None = None,
) -> Reply:
    """`days` are the next days with a free slot; with `more`, the last one starts the next page.

    `waitlist` (a full day and maybe its part) puts "tell me if it frees up" first, in place of a day.
    """
    room = MAX_ROWS - (1 if waitlist else 0)
    shown = list(days[: room - 1]) if more or len(days) > room else list(days)
    more = more or len(days) > room
    rows = [waitlist_row(service, master_key, *waitlist)] if waitlist else []
    rows += [Row(ids.day(service.pk, master_key, d), texts.day_label(d), texts.relative_day(d, today)) for d in shown]
    if more:
        rows.append(
            Row(ids.more("day", service.pk, master_key, days[len(shown)]), str(texts.MORE), str(texts.MORE_DESCRIPTION))
        )
    if master_name:
        prompt = str(texts.DAY_PROMPT_MASTER) % {"service": service.name, "master": master_name}
    else:
        prompt = str(texts.DAY_PROMPT) % {"service": service.name}
    return Reply(prompt, step="day", rows=rows, button=str(texts.DAYS_BUTTON))


def times(
    service,
    master_key: str,
    day: date,
    slots: Sequence[tuple[datetime, Sequence]],
    *,
    zone: str,
    names: dict,
    offset: int = 0,
    part: str | None = None,
    waitlist: tuple[date, str | None] | None = None,
) -> Reply:
    """Free starts of one day (or of one part of it); for "any master" each row names who is free.

    `waitlist` (the part that was full) puts "tell me if it frees up" first.
    """
    rows = []
    for start, master_ids in slots:
        who = ", ".join(names[m] for m in master_ids if m in names) if master_key == ids.ANY else ""
        rows.append(Row(ids.slot(service.pk, master_key, start), texts.clock(start, zone), who))
    if part:
        prompt = str(texts.TIME_PROMPT_PART) % {"day": texts.day_label(day), "part": texts.PART_PHRASES[part]}
        more_fields = (service.pk, master_key, day.isoformat())
        more_id = lambda n: ids.more("slot", *more_fields, n, part)  # noqa: E731
    else:
        prompt = str(texts.TIME_PROMPT) % {"day": texts.day_label(day)}
        more_id = lambda n: ids.more("slot", service.pk, master_key, day.isoformat(), n)  # noqa: E731
    shown = page(rows, offset, more_id, room=MAX_ROWS - 1 if waitlist else MAX_ROWS)
    if waitlist:
        shown.insert(0, waitlist_row(service, master_key, *waitlist))
    return Reply(prompt, step="time", rows=shown, button=str(texts.TIMES_BUTTON), offset=offset)


def waitlist_row(service, master_key: str, day: date, part: str | None) -> Row:
    return Row(
        ids.join_waitlist(service.pk, master_key, day, part),
        str(texts.WAITLIST_ROW),
        str(texts.WAITLIST_ROW_DESCRIPTION) % {"when": day_part_phrase(day, part)},
    )


def waitlist_button(service, master_key: str, day: date, part: str | None) -> Button:
    return Button(ids.join_waitlist(service.pk, master_key, day, part), str(texts.WAITLIST_BUTTON))


def parts(service, master_key: str, day: date, counts: dict[str, int], *, waitlist: str | None = None) -> Reply:
    """A busy day: morning, afternoon or evening first (with how many starts each has), one tap each.

    `waitlist` is the part that was asked for and is full: a button to wait for it comes last.
    """
    buttons = [
        Button(ids.part(service.pk, master_key, day, name), f"{texts.PART_NAMES[name]} ({count})")
        for name, count in counts.items()
        if count
    ]
    if waitlist:
        buttons = [*buttons[: MAX_BUTTONS - 1], waitlist_button(service, master_key, day, waitlist)]
    return Reply(str(texts.PART_PROMPT) % {"day": texts.day_label(day)}, step="part", buttons=buttons)


def day_part_phrase(day: date, part: str | None) -> str:
    """ "Fri 14 Dec" or "Fri 14 Dec in the evening"."""
    label = texts.day_label(day)
    return f"{label} {texts.PART_PHRASES[part]}" if part else label


def alternatives(service, master_key: str, starts: Sequence[datetime], *, zone: str, note: str) -> Reply:
    """Up to three nearest free starts as buttons: one tap goes on to the confirm step."""
    buttons = _unique_buttons(
        [Button(ids.slot(service.pk, master_key, s), texts.slot_button(s, zone)) for s in starts[:MAX_BUTTONS]]
    )
    return Reply(f"{note}\n{texts.ALTERNATIVES}", step="alternatives", buttons=buttons)


def confirm(
    service, master_key: str, master_name: str, start: datetime, *, zone: str, currency: str, name: str = ""
) -> Reply:
    who = str(texts.WITH_MASTER) % {"master": master_name} if master_name else str(texts.WITH_ANY_MASTER)
    facts = {
        "service": service.name,
        "duration": texts.minutes(service.duration_minutes),
        "price": texts.money(service.price, currency),
        "master": who,
        "when": texts.when(start, zone),
        "name": name,
    }
    text = str(texts.CONFIRM_PROMPT_NAME if name else texts.CONFIRM_PROMPT) % facts
    return Reply(
        text,
        step="confirm",
        buttons=[
            Button(ids.confirm(service.pk, master_key, start), str(texts.CONFIRM)),
            Button(ids.change(service.pk, master_key), str(texts.CHANGE)),
        ],
    )


def name_question(profile_name: str) -> Reply:
    """Asked once, before a new customer's first confirmation; the WhatsApp profile name is one tap."""
    if not profile_name:
        return Reply(str(texts.NAME_PROMPT_WRITE), step="name")
    return Reply(str(texts.NAME_PROMPT), step="name", buttons=[Button(ids.name_as_profile(), profile_name)])


def move_confirm(booking, master, start: datetime) -> Reply:
    """Moving a booking: from its time to the new one, with the new time held meanwhile."""
    zone = booking.salon.timezone
    facts = {
        **booking_facts(booking),
        "master": str(texts.WITH_MASTER) % {"master": master.name},
        "old": texts.when(booking.start_ts, zone),
        "new": texts.when(start, zone),
    }
    service_id = booking.service_id
    return Reply(
        str(texts.MOVE_CONFIRM) % facts,
        step="confirm",
        buttons=[
            Button(ids.move(booking.pk, master.pk, start), str(texts.MOVE)),
            Button(ids.change(service_id, master.pk), str(texts.CHANGE)),
        ],
    )


def move_choices(upcoming: Sequence) -> Reply:
    rows, lines = [], []
    for booking in upcoming[:MAX_ROWS]:
        facts = booking_facts(booking)
        zone = booking.salon.timezone
        title = f"{texts.day_label(texts.local(booking.start_ts, zone).date())} {texts.clock(booking.start_ts, zone)}"
        rows.append(Row(ids.pick_move(booking.pk), title, str(texts.MOVE_ROW_DESCRIPTION) % facts))
        lines.append(str(texts.BOOKING_LINE) % facts)
    return Reply(
        str(texts.MOVE_WHICH) % {"lines": "\n".join(lines)},
        step="move",
        rows=rows,
        button=str(texts.MOVE_BUTTON_LIST),
    )


def offer(entry, master, start: datetime, *, customer_name: str) -> Reply:
    """A waiting-list offer inside the 24-hour window: the freed time and one tap to book it."""
    salon = entry.salon
    facts = {
        "name": customer_name,
        "service": entry.service.name,
        "master": master.name,
        "when": texts.when(start, salon.timezone),
    }
    return Reply(
        str(texts.OFFER) % facts,
        step="menu",
        buttons=[
            Button(ids.offer(entry.pk, master.pk, start), str(texts.OFFER_BOOK)),
            Button(ids.decline_offer(entry.pk), str(texts.OFFER_DECLINE)),
        ],
    )


def booking_facts(booking) -> dict[str, str]:
    salon = booking.salon
    return {
        "code": booking.code,
        "service": booking.service.name if booking.service else "-",
        "master": booking.master.name if booking.master else str(texts.SOMEONE),
        "when": texts.when(booking.start_ts, salon.timezone),
        "price": texts.money(booking.price, salon.currency) or "-",
    }


def booked(booking) -> Reply:
    return Reply(str(texts.BOOKED) % booking_facts(booking), step="done")


def bookings(upcoming: Sequence, *, offset: int = 0) -> Reply:
    if not upcoming:
        return Reply(
            str(texts.NO_BOOKINGS),
            step="menu",
            buttons=[Button(ids.menu("book"), str(texts.BOOK)), Button(ids.menu("human"), str(texts.HUMAN))],
        )
    rows, lines = [], []
    for booking in upcoming:
        facts = booking_facts(booking)
        zone = booking.salon.timezone
        title = f"{texts.day_label(texts.local(booking.start_ts, zone).date())} {texts.clock(booking.start_ts, zone)}"
        rows.append(Row(ids.cancel(booking.pk), title, str(texts.BOOKING_ROW_DESCRIPTION) % facts))
        lines.append(str(texts.BOOKING_LINE) % facts)
    shown = page(rows, offset, lambda n: ids.more("bk", n))
    listed = lines[offset : offset + len([r for r in shown if not r.id.startswith("more:")])]
    return Reply(
        str(texts.BOOKINGS_PROMPT) % {"lines": "\n".join(listed)},
        step="bookings",
        rows=shown,
        button=str(texts.BOOKINGS_BUTTON),
        offset=offset,
    )


def cancel_question(booking) -> Reply:
    return Reply(
        str(texts.CANCEL_PROMPT) % booking_facts(booking),
        step="cancel",
        buttons=[
            Button(ids.cancel(booking.pk, "yes"), str(texts.CANCEL_YES)),
            Button(ids.cancel(booking.pk, "no"), str(texts.CANCEL_NO)),
        ],
    )


def with_menu(text: str) -> Reply:
    """A closing sentence with the menu's buttons under it, so the next step is one tap away."""
    return Reply(text, step="menu", buttons=menu_buttons())


def text(body: str, *, step: str = "menu") -> Reply:
    return Reply(body, step=step)


def _unique_buttons(buttons: list[Button]) -> list[Button]:
    # Meta refuses buttons with equal titles (and equal ids): keep the first of each.
    seen_ids, seen_titles, unique = set(), set(), []
    for button in buttons:
        title = truncate(button.title, MAX_BUTTON_TITLE)
        if button.id in seen_ids or title in seen_titles:
            continue
        seen_ids.add(button.id)
        seen_titles.add(title)
        unique.append(button)
    return unique
