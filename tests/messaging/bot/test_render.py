"""Rendering the steps within the Cloud API's limits, the ids taps carry, and picking by typing."""

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from messaging.bot import ids, render, texts
from messaging.bot.freetext import pick_option
from messaging.bot.taps import HANDLERS, MORE
from messaging.whatsapp.limits import MAX_ROW_ID
from messaging.whatsapp.messages import Row, buttons_body, list_body, validate_outbound
from messaging.whatsapp.messages import Section as WaSection

TO = "4915112345678"


@dataclass
class Thing:
    name: str
    pk: uuid.UUID = None
    duration_minutes: int = 60
    price: Decimal = Decimal("35.00")
    specialization: str = ""

    def __post_init__(self):
        self.pk = self.pk or uuid.uuid4()


def built(reply: render.Reply) -> dict:
    if reply.rows:
        body = list_body(TO, reply.text, reply.button, [WaSection(reply.section, reply.rows)])
    else:
        body = buttons_body(TO, reply.text, reply.buttons)
    assert validate_outbound(body) == []
    return body


def rows_of(body):
    return [r for s in body["interactive"]["action"]["sections"] for r in s["rows"]]


def more_id(offset):
    return f"more:x:{offset}"


@pytest.mark.parametrize(
    ("count", "offset", "shown", "next_offset"),
    [(10, 0, 10, None), (11, 0, 9, 9), (25, 0, 9, 9), (25, 9, 9, 18), (25, 18, 7, None), (3, 0, 3, None)],
)
def test_a_list_pages_on_with_a_more_row(count, offset, shown, next_offset):
    rows = [Row(f"r{i}", f"Row {i}") for i in range(count)]
    page = render.page(rows, offset, more_id)
    assert len(page) <= 10
    assert [r.id for r in page if not r.id.startswith("more:")] == [f"r{i}" for i in range(offset, offset + shown)]
    if next_offset is None:
        assert not page[-1].id.startswith("more:")
    else:
        assert page[-1].id == f"more:x:{next_offset}" and page[-1].title == "More…"


def test_long_service_names_are_cut_to_the_row_limits_and_kept_whole_for_matching():
    name = "Keratin smoothing treatment with deep conditioning mask and scalp massage"
    services = [Thing(f"{name} {n}", price=Decimal("1234.50")) for n in range(12)]
    with translation.override("en"):
        reply = render.services(services, currency="EUR")
    body = built(reply)
    rows = rows_of(body)
    assert len(rows) == 10 and rows[-1]["title"] == "More…"
    assert rows[-1]["id"] == "more:svc:9"
    assert all(len(r["title"]) <= 24 and r["title"].endswith("…") for r in rows[:-1])
    assert rows[0]["description"] == "60 min · €1234.50"
    assert reply.options()[0] == [ids.service(services[0].pk), f"{name} 0"]  # the full title


def test_the_master_list_starts_with_any_master_and_pages_on():
    service = Thing("Haircut")
    masters = [Thing(f"Master with a remarkably long name {n:02d}", specialization="Colour " * 20) for n in range(12)]
    with translation.override("en"):
        first = built(render.masters(service, masters))
        second = built(render.masters(service, masters, offset=9))
    rows = rows_of(first)
    assert rows[0]["title"] == "Any master" and rows[0]["id"] == f"mst:{service.pk}:any"
    assert len(rows) == 10 and rows[-1]["id"] == f"more:mst:{service.pk}:9"
    assert all(len(r.get("description", "")) <= 72 for r in rows)
    assert [r["title"][:6] for r in rows_of(second)] == ["Master"] * 4  # masters 8..11


def test_days_page_on_from_the_tenth_day():
    service = Thing("Haircut")
    days = [date(2026, 12, 14) + timedelta(days=n) for n in range(10)]
    with translation.override("en"):
        body = built(render.days(service, ids.ANY, "", days, today=date(2026, 12, 14), more=True))
    rows = rows_of(body)
    assert rows[0]["title"] == "Mon 14 Dec" and rows[0]["description"] == "Today"
    assert rows[1]["description"] == "Tomorrow"
    assert rows[-1]["id"] == f"more:day:{service.pk}:any:2026-12-23"


def test_times_name_who_is_free_for_any_master():
    service = Thing("Haircut")
    anna, bea = uuid.uuid4(), uuid.uuid4()
    start = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
    slots = [(start + timedelta(minutes=15 * n), [anna, bea] if n % 2 else [anna]) for n in range(30)]
    with translation.override("en"):
        body = built(
            render.times(
                service, ids.ANY, date(2026, 12, 14), slots, zone="Europe/Berlin", names={anna: "Anna", bea: "Bea"}
            )
        )
    rows = rows_of(body)
    assert rows[0]["title"] == "10:00" and rows[0]["description"] == "Anna"
    assert rows[1]["description"] == "Anna, Bea"
    assert rows[-1]["id"] == f"more:slot:{service.pk}:any:2026-12-14:9"


def test_alternatives_are_at_most_three_buttons_with_short_titles():
    service = Thing("Haircut")
    starts = [datetime(2026, 9, 16, 13, 0, tzinfo=UTC) + timedelta(minutes=15 * n) for n in range(5)]
    for language in ("en", "ru"):
        with translation.override(language):
            body = built(render.alternatives(service, ids.ANY, starts, zone="Europe/Berlin", note="Sorry."))
        buttons = body["interactive"]["action"]["buttons"]
        assert len(buttons) == 3 and all(len(b["reply"]["title"]) <= 20 for b in buttons)
    assert [b["reply"]["title"] for b in buttons] == ["Ср, 16.09, 15:00", "Ср, 16.09, 15:15", "Ср, 16.09, 15:30"]


def test_the_confirm_step_is_two_buttons_with_the_prompt_in_the_body():
    service = Thing("Haircut", duration_minutes=45)
    start = datetime(2026, 12, 14, 14, 0, tzinfo=UTC)
    with translation.override("ru"):
        body = built(render.confirm(service, ids.ANY, "", start, zone="Europe/Berlin", currency="RUB"))
    text = body["interactive"]["body"]["text"]
    assert text.startswith("Проверьте, пожалуйста, запись:")
    assert "45 мин" in text and "35,00 ₽" in text and "Понедельник, 14 декабря 2026, 15:00" in text
    assert [b["reply"]["title"] for b in body["interactive"]["action"]["buttons"]] == ["Подтвердить", "Изменить"]


def test_dates_are_written_in_the_salons_language():
    day = date(2026, 12, 14)
    with translation.override("en"):
        assert (texts.day_label(day), texts.long_day(day)) == ("Mon 14 Dec", "Monday, 14 December 2026")
        assert texts.money(Decimal("35"), "CHF") == "35.00 CHF"
    with translation.override("ru"):
        assert (texts.day_label(day), texts.long_day(day)) == ("Пн, 14 декабря", "Понедельник, 14 декабря 2026")
        assert texts.money(Decimal("35"), "EUR") == "35,00 €"


def test_every_id_round_trips_and_stays_within_the_row_id_limit():
    service, master, booking = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    start = datetime(2026, 12, 14, 9, 30, tzinfo=UTC)
    made = [
        ids.menu("book"),
        ids.service(service),
        ids.master(service, master),
        ids.master(service, ids.ANY),
        ids.day(service, master, date(2026, 12, 14)),
        ids.slot(service, master, start),
        ids.confirm(service, ids.ANY, start),
        ids.change(service, master),
        ids.cancel(booking),
        ids.cancel(booking, "yes"),
        ids.cancel(booking, "no"),
        ids.more("svc", 9),
        ids.more("mst", service, 9),
        ids.more("day", service, master, "2026-12-23"),
        ids.more("slot", service, master, "2026-12-14", 18),
        ids.more("bk", 9),
        ids.more("slot", service, master, "2026-12-14", 9, "evening"),
        ids.part(service, ids.ANY, date(2026, 12, 14), "afternoon"),
        ids.name_as_profile(),
        ids.pick_move(booking),
        ids.move(booking, master, start),
        ids.join_waitlist(service, master, date(2026, 12, 14), "morning"),
        ids.join_waitlist(service, ids.ANY, date(2026, 12, 14), None),
        ids.offer(booking, master, start),
        ids.decline_offer(booking),
    ]
    for value in made:
        assert len(value) <= MAX_ROW_ID
        tap = ids.parse(value)
        assert tap is not None, value
        assert tap.kind in HANDLERS and (tap.kind != "more" or tap.more in MORE), value  # every tap has a handler
    assert ids.parse(ids.slot(service, master, start)).start == start
    assert ids.parse(ids.day(service, ids.ANY, date(2026, 12, 14))).master == ids.ANY


@pytest.mark.parametrize(
    "value",
    ["", "hello", "svc:not-a-uuid", "slot:1:2:3", "menu:dance", f"day:{uuid.uuid4()}:any:2026-13-40", "cancel:B123"],
)
def test_ids_this_bot_did_not_write_are_not_taps(value):
    assert ids.parse(value) is None


OPTIONS = [["a", "Haircut"], ["b", "Hair colouring"], ["c", "Manicure"], ["d", "10:30"]]


@pytest.mark.parametrize(
    ("typed", "picked"),
    [
        ("2", "b"),
        ("4.", "d"),
        ("haircut", "a"),
        ("  MANICURE ", "c"),
        ("man", "c"),
        ("10:30", "d"),
        ("hai", None),
        ("5", None),
        ("0", None),
        ("ha", None),
        ("pedicure", None),
    ],
)
def test_typing_a_number_or_a_title_picks_a_row(typed, picked):
    assert pick_option(OPTIONS, typed) == picked


def test_parts_and_waitlist_fit_the_button_and_row_limits_in_both_languages():
    service = Thing("Hair colouring with a very long name")
    day = date(2026, 12, 14)
    for language in ("en", "ru"):
        with translation.override(language):
            parts = render.parts(
                service, ids.ANY, day, {"morning": 12, "afternoon": 120, "evening": 0}, waitlist="evening"
            )
            body = built(parts)
            titles = [b["reply"]["title"] for b in body["interactive"]["action"]["buttons"]]
            assert len(titles) == 3 and all(len(t) <= 20 and not t.endswith("…") for t in titles), titles
            days = render.days(
                service,
                ids.ANY,
                "",
                [day + timedelta(days=n) for n in range(10)],
                today=day,
                more=True,
                waitlist=(day, "evening"),
            )
            rows = rows_of(built(days))
            assert len(rows) == 10 and rows[0]["id"].startswith("wlj:") and rows[-1]["title"] == texts.MORE
            assert len(rows[0]["title"]) <= 24 and not rows[0]["title"].endswith("…")


def test_the_old_state_keys_load_into_the_typed_draft_and_bad_values_are_dropped():
    from messaging.bot.state import Draft, Step

    state = {
        "step": "time",
        "svc": str(uuid.uuid4()),
        "mst": "any",
        "day": "2026-12-14",
        "time": "10:30",
        "part": "noon",
    }
    draft = Draft.load(state)
    assert (draft.master, draft.day, draft.time.hour, draft.part) == ("any", date(2026, 12, 14), 10, None)
    assert Step.parse(state["step"]) == Step.TIME and Step.parse("gibberish") == Step.MENU
    draft.part, draft.day = "evening", None
    draft.save(state)
    assert state["part"] == "evening" and "day" not in state and state["time"] == "10:30"
