"""The working-hours field: seven rows in, the JSON of DESIGN.md out, problems named by their day."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from salons import services
from salons.forms import WorkingHoursField, week_from_hours
from salons.models import Master
from tests import factories
from tests.factories import PASSWORD, STANDARD_WEEK
from tests.salons.html_forms import form_data, visible_text

STANDARD_DAY = STANDARD_WEEK["monday"]


def rendered(value, field=None) -> str:
    field = field or WorkingHoursField()
    return f'<form id="f">{field.widget.render("working_hours", value, {"id": "id_working_hours"})}</form>'


def submitted(value, **changes) -> dict:
    """What the browser sends for the rendered `value`, with `changes` (None unticks or empties)."""
    data = {name: values[0] for name, values in form_data(rendered(value), "f").items()}
    for name, new in changes.items():
        key = "working_hours-" + name.replace("__", "-")
        if new is None:
            data.pop(key, None)
        else:
            data[key] = new
    return data


def week_from_data(data):
    return WorkingHoursField().widget.value_from_datadict(data, {}, "working_hours")


def clean(data):
    return WorkingHoursField().clean(week_from_data(data))


def test_stored_week_is_rendered_as_seven_rows_with_their_hours_and_breaks():
    html = rendered(STANDARD_WEEK)
    data = form_data(html, "f")
    assert html.count('class="wh-day') == 7
    assert data["working_hours-monday-enabled"] == ["on"]
    assert data["working_hours-monday-start"] == ["09:00"] and data["working_hours-monday-end"] == ["18:00"]
    assert data["working_hours-monday-break-0-start"] == ["13:00"]
    assert data["working_hours-monday-break-1-start"] == [""]  # a blank break to fill
    assert "working_hours-sunday-enabled" not in data  # a day off is not ticked
    assert "{" not in visible_text(html)  # no JSON anywhere on the page


def test_an_unchanged_week_compresses_back_to_the_same_json():
    assert clean(submitted(STANDARD_WEEK)) == STANDARD_WEEK
    assert not WorkingHoursField().has_changed(STANDARD_WEEK, week_from_data(submitted(STANDARD_WEEK)))


def test_a_missing_day_is_a_day_off_and_a_closed_day_stays_enabled_false():
    hours = {"monday": STANDARD_DAY}
    result = clean(submitted(hours))
    assert result["monday"] == STANDARD_DAY
    assert {day: spec for day, spec in result.items() if day != "monday"} == {
        day: {"enabled": False} for day in ("tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    }
    closed = clean(submitted(STANDARD_WEEK, saturday__enabled=None))  # unticked; its times are still in the form
    assert closed["saturday"] == {"enabled": False}


def test_a_break_is_added_in_the_blank_row_and_removed_with_its_checkbox():
    data = submitted(
        STANDARD_WEEK,
        wednesday__break__1__start="16:00",
        wednesday__break__1__end="16:15",
        monday__break__0__remove="on",
    )
    result = clean(data)
    assert result["wednesday"]["breaks"] == [{"start": "13:00", "end": "14:00"}, {"start": "16:00", "end": "16:15"}]
    assert result["monday"] == {**STANDARD_DAY, "breaks": []}


def test_breaks_added_by_the_script_with_any_index_are_read_and_sorted():
    data = submitted(STANDARD_WEEK, tuesday__break__7__start="10:00", tuesday__break__7__end="10:30")
    assert clean(data)["tuesday"]["breaks"] == [{"start": "10:00", "end": "10:30"}, {"start": "13:00", "end": "14:00"}]


def test_a_day_with_times_and_no_break_opens_with_an_empty_break_list():
    data = submitted({}, sunday__enabled="on", sunday__start="10:00", sunday__end="14:00")
    assert clean(data)["sunday"] == {"enabled": True, "start": "10:00", "end": "14:00", "breaks": []}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tuesday__end": "08:00"}, "Tuesday: the end must be after the start."),
        ({"tuesday__end": ""}, "Tuesday: enter when the working day starts and ends."),
        ({"tuesday__start": "nine"}, "Tuesday: enter times as HH:MM."),
        (
            {"wednesday__break__1__start": "19:00", "wednesday__break__1__end": "20:00"},
            "Wednesday: the break 19:00–20:00 must lie inside the working day.",
        ),
        (
            {"thursday__break__1__start": "13:30", "thursday__break__1__end": "15:00"},
            "Thursday: the breaks must not overlap.",
        ),
        ({"friday__break__1__start": "15:00"}, "Friday: give each break a start and an end."),
        (
            {"friday__break__1__start": "15:00", "friday__break__1__end": "15:00"},
            "Friday: a break must end after it starts.",
        ),
    ],
)
def test_each_problem_is_reported_with_the_name_of_its_day(changes, message):
    field = WorkingHoursField()
    with pytest.raises(ValidationError) as refused:
        field.clean(week_from_data(submitted(STANDARD_WEEK, **changes)))
    assert refused.value.messages == [message]


def test_problems_of_several_days_are_all_reported_and_shown_on_their_rows():
    data = submitted(
        STANDARD_WEEK, tuesday__end="08:00", wednesday__break__1__start="19:00", wednesday__break__1__end="20:00"
    )
    week = week_from_data(data)
    with pytest.raises(ValidationError) as refused:
        WorkingHoursField().clean(week)
    assert refused.value.messages == [
        "Tuesday: the end must be after the start.",
        "Wednesday: the break 19:00–20:00 must lie inside the working day.",
    ]
    html = rendered(week)  # the refused form shows what was typed, each problem below its day
    assert 'id="id_working_hours-tuesday-problems"' in html
    assert "The end must be after the start." in html
    assert 'id="id_working_hours-monday-problems"' not in html
    assert form_data(html, "f")["working_hours-tuesday-end"] == ["08:00"]


def test_what_is_typed_into_a_day_off_is_not_checked():
    data = submitted(STANDARD_WEEK, sunday__start="25:99")  # garbage on a day off is ignored
    assert clean(data)["sunday"] == {"enabled": False}


def test_stored_json_with_unexpected_shapes_renders_without_error():
    week = week_from_hours({"monday": "x", "tuesday": {"enabled": True, "start": 9, "breaks": "no"}})
    assert week["monday"].enabled is False
    assert week["tuesday"].start == "" and week["tuesday"].breaks == []
    assert rendered('{"not json').count('class="wh-day') == 7


@pytest.mark.django_db
def test_owner_saves_the_week_in_the_master_form_through_update_master(owner, salon, monkeypatch):
    master = factories.MasterFactory(salon=salon, name="Anna")
    calls = []
    real = services.update_master

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(services, "update_master", spy)
    client = Client()
    client.login(email=owner.email, password=PASSWORD)
    url = f"/admin/salons/master/{master.pk}/change/"
    data = form_data(client.get(url).content, "master_form")
    data["working_hours-tuesday-end"] = ["17:00"]
    data["working_hours-wednesday-break-1-start"] = ["16:00"]
    data["working_hours-wednesday-break-1-end"] = ["16:15"]
    del data["working_hours-saturday-enabled"]
    response = client.post(url, data)
    assert response.status_code == 302, visible_text(response.content)[:2000]

    expected = json.loads(json.dumps(STANDARD_WEEK))  # the factory's days share one breaks list
    expected["tuesday"]["end"] = "17:00"
    expected["wednesday"]["breaks"].append({"start": "16:00", "end": "16:15"})
    expected["saturday"] = {"enabled": False}
    assert Master.objects.get(pk=master.pk).working_hours == expected
    assert [sorted(c) for c in calls] == [["actor", "master", "services", "working_hours"]]
    assert calls[0]["actor"] == owner


@pytest.mark.django_db
def test_a_refused_week_in_the_master_form_names_the_day_and_saves_nothing(owner, salon):
    master = factories.MasterFactory(salon=salon, name="Anna")
    client = Client()
    client.login(email=owner.email, password=PASSWORD)
    url = f"/admin/salons/master/{master.pk}/change/"
    data = form_data(client.get(url).content, "master_form")
    data["working_hours-tuesday-end"] = ["08:00"]
    data["name"] = ["Anna Renamed"]
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Tuesday: the end must be after the start." in visible_text(response.content)
    master.refresh_from_db()
    assert (master.name, master.working_hours) == ("Anna", STANDARD_WEEK)
