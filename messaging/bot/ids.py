"""Row and button ids of the bot's interactive messages: the whole choice travels in the id.

A tap names everything it needs (`slot:<service>:<master|any>:<start>`), so a tap on an old list
still means what it said when it was sent; the bot re-checks it against the database, not against
the conversation's state. Grammar (fields are separated by ":", none contains one):

    menu:book | menu:mine | menu:human
    svc:<service>                      more:svc:<offset>
    mst:<service>:<master|any>         more:mst:<service>:<offset>
    day:<service>:<master|any>:<YYYY-MM-DD>
                                       more:day:<service>:<master|any>:<first day of the page>
    part:<service>:<master|any>:<YYYY-MM-DD>:<morning|afternoon|evening>
    slot:<service>:<master|any>:<YYYYMMDDTHHMMZ>
                                       more:slot:<service>:<master|any>:<YYYY-MM-DD>:<offset>[:<part>]
    ok:<service>:<master|any>:<YYYYMMDDTHHMMZ>    chg:<service>:<master|any>    name:profile
    cxl:<booking>  cxl-yes:<booking>  cxl-no:<booking>       more:bk:<offset>
    mvb:<booking>                      mv:<booking>:<master>:<YYYYMMDDTHHMMZ>     (move a booking)
    wlj:<service>:<master|any>:<YYYY-MM-DD>:<part|all>                         (join the waiting list)
    wl:<entry>:<master>:<YYYYMMDDTHHMMZ>    wl-no:<entry>                      (a waiting-list offer)

Ids of messages sent before a kind or field was added keep their meaning: new fields are
optional at the end, new kinds are new prefixes. A waiting-list offer may go out as a template
whose quick-reply payload is its `wl:` id; the tap comes back with that payload.

Starts are UTC in ISO 8601's basic format (no ":"); every id stays far below the 200-character
row-id limit (about 100 characters at most).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

ANY = "any"
ALL = "all"  # the whole day, where a part of it could be named
PARTS = ("morning", "afternoon", "evening")
_STAMP = "%Y%m%dT%H%MZ"


@dataclass(frozen=True)
class Tap:
    """A parsed id: `kind` plus whichever fields that kind carries."""

    kind: str
    service: str | None = None
    master: str | None = None  # a master's id or ANY
    day: date | None = None
    start: datetime | None = None
    booking: str | None = None
    offset: int = 0
    more: str | None = None  # for kind "more": which list pages on
    part: str | None = None  # morning, afternoon, evening
    entry: str | None = None  # a waiting-list entry


def stamp(start: datetime) -> str:
    return start.astimezone(UTC).strftime(_STAMP)


def parse_stamp(value: str) -> datetime:
    return datetime.strptime(value, _STAMP).replace(tzinfo=UTC)


def menu(action: str) -> str:
    return f"menu:{action}"


def service(service_id) -> str:
    return f"svc:{service_id}"


def master(service_id, master_id) -> str:
    return f"mst:{service_id}:{master_id}"


def day(service_id, master_id, value: date) -> str:
    return f"day:{service_id}:{master_id}:{value.isoformat()}"


def slot(service_id, master_id, start: datetime) -> str:
    return f"slot:{service_id}:{master_id}:{stamp(start)}"


def part(service_id, master_id, value: date, name: str) -> str:
    return f"part:{service_id}:{master_id}:{value.isoformat()}:{name}"


def confirm(service_id, master_id, start: datetime) -> str:
    return f"ok:{service_id}:{master_id}:{stamp(start)}"


def change(service_id, master_id) -> str:
    return f"chg:{service_id}:{master_id}"


def cancel(booking_id, answer: str = "") -> str:
    return f"cxl{'-' + answer if answer else ''}:{booking_id}"


def name_as_profile() -> str:
    return "name:profile"


def pick_move(booking_id) -> str:
    return f"mvb:{booking_id}"


def move(booking_id, master_id, start: datetime) -> str:
    return f"mv:{booking_id}:{master_id}:{stamp(start)}"


def join_waitlist(service_id, master_id, value: date, part_name: str | None) -> str:
    return f"wlj:{service_id}:{master_id}:{value.isoformat()}:{part_name or ALL}"


def offer(entry_id, master_id, start: datetime) -> str:
    return f"wl:{entry_id}:{master_id}:{stamp(start)}"


def decline_offer(entry_id) -> str:
    return f"wl-no:{entry_id}"


def more(what: str, *fields) -> str:
    return ":".join(["more", what, *(str(f) for f in fields)])


def parse(value: str | None) -> Tap | None:
    """The tap an id stands for, or None for anything this bot did not write (or wrote badly)."""
    if not value:
        return None
    try:
        return _parse(value.split(":"))
    except (ValueError, IndexError):
        return None


def _parse(parts: list[str]) -> Tap | None:
    kind, fields = parts[0], parts[1:]
    if kind == "menu" and len(fields) == 1 and fields[0] in ("book", "mine", "human"):
        return Tap("menu", more=fields[0])
    if kind == "svc" and len(fields) == 1:
        return Tap("svc", service=_uuid(fields[0]))
    if kind in ("mst", "chg") and len(fields) == 2:
        return Tap(kind, service=_uuid(fields[0]), master=_master(fields[1]))
    if kind == "day" and len(fields) == 3:
        return Tap("day", service=_uuid(fields[0]), master=_master(fields[1]), day=date.fromisoformat(fields[2]))
    if kind in ("slot", "ok") and len(fields) == 3:
        return Tap(kind, service=_uuid(fields[0]), master=_master(fields[1]), start=parse_stamp(fields[2]))
    if kind in ("cxl", "cxl-yes", "cxl-no", "mvb") and len(fields) == 1:
        return Tap(kind, booking=_uuid(fields[0]))
    if kind == "part" and len(fields) == 4:
        return Tap(
            "part",
            service=_uuid(fields[0]),
            master=_master(fields[1]),
            day=date.fromisoformat(fields[2]),
            part=_part(fields[3]),
        )
    if kind == "name" and fields == ["profile"]:
        return Tap("name")
    if kind == "mv" and len(fields) == 3:
        return Tap("mv", booking=_uuid(fields[0]), master=_uuid(fields[1]), start=parse_stamp(fields[2]))
    if kind == "wlj" and len(fields) == 4:
        part_name = None if fields[3] == ALL else _part(fields[3])
        return Tap(
            "wlj",
            service=_uuid(fields[0]),
            master=_master(fields[1]),
            day=date.fromisoformat(fields[2]),
            part=part_name,
        )
    if kind == "wl" and len(fields) == 3:
        return Tap("wl", entry=_uuid(fields[0]), master=_uuid(fields[1]), start=parse_stamp(fields[2]))
    if kind == "wl-no" and len(fields) == 1:
        return Tap("wl-no", entry=_uuid(fields[0]))
    if kind == "more" and fields:
        return _parse_more(fields[0], fields[1:])
    return None


def _parse_more(what: str, fields: list[str]) -> Tap | None:
    if what in ("svc", "bk") and len(fields) == 1:
        return Tap("more", more=what, offset=_offset(fields[0]))
    if what == "mst" and len(fields) == 2:
        return Tap("more", more=what, service=_uuid(fields[0]), offset=_offset(fields[1]))
    if what == "day" and len(fields) == 3:
        return Tap(
            "more", more=what, service=_uuid(fields[0]), master=_master(fields[1]), day=date.fromisoformat(fields[2])
        )
    if what == "slot" and len(fields) in (4, 5):
        return Tap(
            "more",
            more=what,
            service=_uuid(fields[0]),
            master=_master(fields[1]),
            day=date.fromisoformat(fields[2]),
            offset=_offset(fields[3]),
            part=_part(fields[4]) if len(fields) == 5 else None,
        )
    return None


def _uuid(value: str) -> str:
    return str(uuid.UUID(value))


def _master(value: str) -> str:
    return ANY if value == ANY else _uuid(value)


def _part(value: str) -> str:
    if value not in PARTS:
        raise ValueError(value)
    return value


def _offset(value: str) -> int:
    number = int(value)
    if not 0 <= number <= 10_000:
        raise ValueError(value)
    return number
