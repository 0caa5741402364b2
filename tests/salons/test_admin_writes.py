"""Every admin write goes through the salons services: refusals are form errors, signals wait for the commit."""

import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from salons import services
from salons.models import Customer, Master, MasterTimeOff, Salon, Service
from salons.signals import salon_changed
from tests import factories
from tests.factories import PASSWORD
from tests.salons.html_forms import form_data, visible_text

pytestmark = pytest.mark.django_db

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def admin_client(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


def page_form(client, url, form_id, **changes):
    """The form as the page renders it, with `changes` typed in (a list for several values)."""
    response = client.get(url)
    assert response.status_code == 200
    data = form_data(response.content, form_id)
    for name, value in changes.items():
        data[name] = value if isinstance(value, list) else [value]
    return data


def spy(monkeypatch, name):
    """Record the calls of a service (objects by their primary key, taken before the call) and run it."""
    calls = []
    real = getattr(services, name)

    def recording(**kwargs):
        calls.append({key: getattr(value, "pk", value) for key, value in kwargs.items()})
        return real(**kwargs)

    monkeypatch.setattr(services, name, recording)
    return calls


@pytest.fixture
def received():
    seen = []

    def receiver(sender, salon, **kwargs):
        seen.append(salon.pk)

    salon_changed.connect(receiver, dispatch_uid="test_admin_writes")
    yield seen
    salon_changed.disconnect(dispatch_uid="test_admin_writes")


def test_salon_edit_goes_through_update_salon_and_signals_only_after_commit(
    owner, salon, received, monkeypatch, django_capture_on_commit_callbacks
):
    calls = spy(monkeypatch, "update_salon")
    client = admin_client(owner)
    url = f"/admin/salons/salon/{salon.pk}/change/"
    data = page_form(client, url, "salon_form", name="Renamed", reminder_offsets_minutes="[60, 1440, 60]")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url, data)
        assert response.status_code == 302
        assert received == []  # nothing is sent before the transaction commits
    assert [sorted(c) for c in calls] == [["actor", "name", "reminder_offsets_minutes", "salon"]]
    for callback in callbacks:
        callback()
    assert received == [salon.pk]
    salon.refresh_from_db()
    assert (salon.name, salon.reminder_offsets_minutes) == ("Renamed", [1440, 60])


def test_owner_cannot_set_platform_fields_through_the_admin(owner, salon):
    client = admin_client(owner)
    url = f"/admin/salons/salon/{salon.pk}/change/"
    page = client.get(url).content.decode()
    for name in services.PLATFORM_SALON_FIELDS:
        assert f'name="{name}"' not in page
    data = page_form(client, url, "salon_form", max_masters="500", is_active="", owner=str(factories.UserFactory().pk))
    assert client.post(url, data).status_code == 302
    salon.refresh_from_db()
    assert (salon.max_masters, salon.is_active, salon.owner_id) == (20, True, owner.pk)


def test_super_admin_sets_platform_fields(super_admin, salon):
    client = admin_client(super_admin)
    url = f"/admin/salons/salon/{salon.pk}/change/"
    data = page_form(client, url, "salon_form", max_masters="3")
    data.pop("is_active")
    assert client.post(url, data).status_code == 302
    salon.refresh_from_db()
    assert (salon.max_masters, salon.is_active) == (3, False)


def test_owner_adds_a_salon_of_their_own(owner, salon):
    client = admin_client(owner)
    data = page_form(
        client, "/admin/salons/salon/add/", "salon_form", name="Second", timezone="Asia/Tokyo", currency="jpy"
    )
    assert client.post("/admin/salons/salon/add/", data).status_code == 302
    added = Salon.objects.get(name="Second")
    assert (added.owner, added.currency, added.timezone) == (owner, "JPY", "Asia/Tokyo")


def test_a_master_beyond_the_plan_is_a_form_error_and_nothing_is_saved(owner):
    salon = factories.SalonFactory(owner=owner, max_masters=1)
    factories.MasterFactory(salon=salon)
    client = admin_client(owner)
    data = page_form(client, "/admin/salons/master/add/", "master_form", salon=str(salon.pk), name="One too many")
    data.update({"time_off-TOTAL_FORMS": ["1"], "time_off-0-start_ts_0": ["2030-03-02"]})
    data.update({"time_off-0-start_ts_1": ["10:00"], "time_off-0-end_ts_0": ["2030-03-02"]})
    data.update({"time_off-0-end_ts_1": ["12:00"], "time_off-0-reason": ["Dentist"]})
    response = client.post("/admin/salons/master/add/", data)
    assert response.status_code == 200
    assert "The plan allows at most 1 masters." in visible_text(response.content)
    # The rebuilt page keeps what was typed, the inline row too.
    again = form_data(response.content, "master_form")
    assert again["name"] == ["One too many"] and again["time_off-0-reason"] == ["Dentist"]
    assert Master.objects.filter(salon=salon).count() == 1
    assert MasterTimeOff.objects.count() == 0


def test_master_is_added_with_services_of_its_salon(owner, salon):
    cut = factories.ServiceFactory(salon=salon, name="Cut")
    client = admin_client(owner)
    data = page_form(client, "/admin/salons/master/add/", "master_form", name="Olga", services=[str(cut.pk)])
    assert data["salon"] == [str(salon.pk)]  # the page's salon is chosen already
    assert client.post("/admin/salons/master/add/", data).status_code == 302
    master = Master.objects.get(name="Olga")
    assert list(master.services.all()) == [cut]
    assert master.working_hours == {day: {"enabled": False} for day in master.working_hours}


def test_a_service_of_another_salon_is_refused_on_the_services_field(owner, salon):
    second = factories.SalonFactory(owner=owner)
    foreign = factories.ServiceFactory(salon=second, name="Elsewhere")
    master = factories.MasterFactory(salon=salon)
    client = admin_client(owner)
    url = f"/admin/salons/master/{master.pk}/change/"
    response = client.post(url, page_form(client, url, "master_form", services=[str(foreign.pk)]))
    assert response.status_code == 200
    assert "Services of another salon: Elsewhere" in visible_text(response.content)
    assert master.services.count() == 0


def test_time_off_added_inline_goes_through_add_time_off_in_salon_time(owner, salon, monkeypatch):
    calls = spy(monkeypatch, "add_time_off")
    master = factories.MasterFactory(salon=salon)
    client = admin_client(owner)
    url = f"/admin/salons/master/{master.pk}/change/"
    data = page_form(client, url, "master_form")
    data.update({"time_off-TOTAL_FORMS": ["1"], "time_off-0-start_ts_0": ["2030-01-14"]})
    data.update({"time_off-0-start_ts_1": ["10:00"], "time_off-0-end_ts_0": ["2030-01-14"]})
    data.update({"time_off-0-end_ts_1": ["12:30"], "time_off-0-reason": ["Dentist"]})
    assert client.post(url, data).status_code == 302
    time_off = MasterTimeOff.objects.get()
    assert len(calls) == 1 and calls[0]["master"] == master.pk
    assert time_off.salon_id == salon.pk
    assert time_off.start_ts == datetime(2030, 1, 14, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
    assert time_off.end_ts == datetime(2030, 1, 14, 11, 30, tzinfo=UTC)


def test_time_off_inline_edits_and_deletes_through_the_services(owner, salon, monkeypatch):
    updated, deleted = spy(monkeypatch, "update_time_off"), spy(monkeypatch, "delete_time_off")
    master = factories.MasterFactory(salon=salon)
    start = datetime(2030, 1, 14, 9, tzinfo=UTC)
    keep = factories.TimeOffFactory(master=master, start_ts=start, end_ts=start.replace(hour=10), reason="A")
    drop = factories.TimeOffFactory(master=master, start_ts=start.replace(day=15), end_ts=start.replace(day=16))
    client = admin_client(owner)
    url = f"/admin/salons/master/{master.pk}/change/"
    data = page_form(client, url, "master_form", **{"time_off-0-reason": "Doctor", "time_off-1-DELETE": "on"})
    assert client.post(url, data).status_code == 302
    assert [c["time_off"] for c in updated] == [keep.pk] and [c["time_off"] for c in deleted] == [drop.pk]
    assert list(MasterTimeOff.objects.values_list("reason", flat=True)) == ["Doctor"]


def test_an_end_before_the_start_of_a_time_off_is_an_error_on_the_end(owner, salon):
    master = factories.MasterFactory(salon=salon)
    client = admin_client(owner)
    data = page_form(client, "/admin/salons/mastertimeoff/add/", "mastertimeoff_form", master=str(master.pk))
    data.update({"start_ts_0": ["2030-01-14"], "start_ts_1": ["12:00"]})
    data.update({"end_ts_0": ["2030-01-14"], "end_ts_1": ["10:00"]})
    response = client.post("/admin/salons/mastertimeoff/add/", data)
    assert response.status_code == 200
    text = visible_text(response.content)
    assert "The end must be after the start." in text and "Constraint" not in text


def test_time_off_added_on_a_page_in_another_zone_is_read_in_the_masters_salon_time(super_admin, salon):
    master = factories.MasterFactory(salon=salon)  # Europe/Berlin; a super admin's page works in UTC
    client = admin_client(super_admin)
    data = page_form(client, "/admin/salons/mastertimeoff/add/", "mastertimeoff_form", master=str(master.pk))
    data.update({"start_ts_0": ["2030-01-14"], "start_ts_1": ["10:00"]})
    data.update({"end_ts_0": ["2030-01-14"], "end_ts_1": ["12:00"]})
    assert client.post("/admin/salons/mastertimeoff/add/", data).status_code == 302
    time_off = MasterTimeOff.objects.get()
    assert (time_off.start_ts, time_off.salon_id) == (datetime(2030, 1, 14, 9, tzinfo=UTC), salon.pk)


def test_time_off_is_listed_in_the_salons_local_time(owner, salon):
    master = factories.MasterFactory(salon=salon, name="Anna")
    start = datetime(2030, 7, 1, 7, 0, tzinfo=UTC)
    factories.TimeOffFactory(master=master, start_ts=start, end_ts=start.replace(hour=15))
    text = visible_text(admin_client(owner).get("/admin/salons/mastertimeoff/").content)
    assert "Starts" in text and "Ends" in text
    assert "Mon 1 Jul 2030, 09:00" in text and "Mon 1 Jul 2030, 17:00" in text  # Berlin, summer time


def test_service_and_customer_are_written_through_their_services(owner, salon, monkeypatch):
    created_services, created_customers = spy(monkeypatch, "create_service"), spy(monkeypatch, "create_customer")
    client = admin_client(owner)
    data = page_form(
        client, "/admin/salons/service/add/", "service_form", name="Cut", duration_minutes="45", price="30.00"
    )
    assert client.post("/admin/salons/service/add/", data).status_code == 302
    data = page_form(client, "/admin/salons/customer/add/", "customer_form", name="Eva", phone="+49 170 1234567")
    assert client.post("/admin/salons/customer/add/", data).status_code == 302
    assert len(created_services) == 1 and Service.objects.get().duration_minutes == 45
    assert len(created_customers) == 1 and Customer.objects.get().phone == "+491701234567"


def test_a_customer_phone_the_salon_has_is_a_form_error(owner, salon):
    factories.CustomerFactory(salon=salon, phone="+491701234567")
    client = admin_client(owner)
    data = page_form(client, "/admin/salons/customer/add/", "customer_form", name="Eva", phone="0049 170 1234567")
    response = client.post("/admin/salons/customer/add/", data)
    assert response.status_code == 200
    assert Customer.objects.count() == 1


@pytest.mark.parametrize("model", ["salon", "master", "service", "customer", "mastertimeoff"])
def test_another_owners_objects_are_404_on_their_pages(owner, other_salon, model):
    master = factories.MasterFactory(salon=other_salon)
    objects = {
        "salon": other_salon,
        "master": master,
        "service": factories.ServiceFactory(salon=other_salon),
        "customer": factories.CustomerFactory(salon=other_salon),
        "mastertimeoff": factories.TimeOffFactory(
            master=master, start_ts=datetime(2030, 1, 1, tzinfo=UTC), end_ts=datetime(2030, 1, 2, tzinfo=UTC)
        ),
    }
    client = admin_client(owner)
    base = f"/admin/salons/{model}/{objects[model].pk}"
    assert client.get(f"{base}/change/").status_code == 404
    assert client.post(f"{base}/change/", {"name": "Taken over"}).status_code == 404
    assert client.get(f"{base}/delete/").status_code == 404
    assert client.get(f"{base}/history/").status_code == 404


def test_master_list_and_pages_show_no_ids_or_json(owner, salon):
    cut = factories.ServiceFactory(salon=salon, name="Cut")
    master = factories.MasterFactory(salon=salon, name="Anna", services=[cut])
    start = datetime(2030, 1, 14, 9, tzinfo=UTC)
    factories.TimeOffFactory(master=master, start_ts=start, end_ts=start.replace(hour=12))
    client = admin_client(owner)
    listing = visible_text(client.get("/admin/salons/master/").content)
    assert "Mon–Sat 09:00–18:00" in listing and "Cut" in listing
    for url in (
        "/admin/salons/master/",
        f"/admin/salons/master/{master.pk}/change/",
        f"/admin/salons/salon/{salon.pk}/change/",
        "/admin/salons/mastertimeoff/",
    ):
        text = visible_text(client.get(url).content)
        assert not UUID.search(text), url
        assert '"enabled"' not in text and "[1440" not in text, url
