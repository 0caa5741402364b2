"""WhatsApp numbers are proven, not claimed: an owner's number must be one of the platform's Business Account.

The Graph API is the fake server over real HTTP (tests/messaging/conftest.py, FakeNumbers). No
answer tells an owner about another tenant's number or about a user's existence.
"""

import uuid

import pytest
from django.test import Client

from salons.models import Salon
from tests import factories
from tests.conftest import client_for
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PLATFORM_NUMBER = "420000000123001"
NOT_CONFIRMED = (
    "This WhatsApp number id could not be confirmed as one of the platform's numbers available to you; "
    "ask the platform operator to assign it."
)


def claim(owner, salon, number):
    return client_for(owner).patch(f"/api/salons/{salon.pk}", {"whatsapp_phone_number_id": number}, format="json")


def test_an_owner_claims_a_number_of_the_platform_s_business_account(owner, salon, fake_numbers):
    fake_numbers.numbers.add(PLATFORM_NUMBER)
    response = claim(owner, salon, PLATFORM_NUMBER)
    assert response.status_code == 200, response.content
    assert response.json()["whatsapp_phone_number_id"] == PLATFORM_NUMBER
    salon.refresh_from_db()
    assert salon.whatsapp_phone_number_id == PLATFORM_NUMBER
    paths = [path.split("?")[0] for path in fake_numbers.requests]
    assert paths == [f"/{PLATFORM_NUMBER}", f"/{fake_numbers.waba_id}/phone_numbers"]


def test_a_number_the_platform_does_not_own_is_refused(owner, salon, fake_numbers):
    before = salon.whatsapp_phone_number_id
    fake_numbers.elsewhere.add("420000000999001")  # the token sees it, another business has it
    for number in ("420000000999000", "420000000999001", "not-digits/../me"):
        response = claim(owner, salon, number)
        assert response.status_code == 400, response.content
        assert response.json() == {"whatsapp_phone_number_id": [NOT_CONFIRMED]}
    salon.refresh_from_db()
    assert salon.whatsapp_phone_number_id == before


def test_another_tenant_s_number_gets_the_same_answer_as_nobody_s(owner, salon, other_salon, fake_numbers):
    fake_numbers.numbers.add(other_salon.whatsapp_phone_number_id)
    taken = claim(owner, salon, other_salon.whatsapp_phone_number_id)
    nobodys = claim(owner, salon, "420000000999002")
    assert taken.status_code == nobodys.status_code == 400
    assert taken.json() == nobodys.json() == {"whatsapp_phone_number_id": [NOT_CONFIRMED]}
    assert Salon.objects.filter(whatsapp_phone_number_id=other_salon.whatsapp_phone_number_id).get() == other_salon


def test_another_tenant_s_salon_is_a_404(owner, other_salon, fake_numbers):
    fake_numbers.numbers.add(PLATFORM_NUMBER)
    assert claim(owner, other_salon, PLATFORM_NUMBER).status_code == 404
    assert fake_numbers.requests == []


def test_graph_unreachable_is_a_503_for_every_claim_alike(owner, salon, other_salon, fake_numbers):
    fake_numbers.numbers.update({PLATFORM_NUMBER, other_salon.whatsapp_phone_number_id})
    fake_numbers.down = True
    for number in (PLATFORM_NUMBER, other_salon.whatsapp_phone_number_id, "420000000999003"):
        response = claim(owner, salon, number)
        assert response.status_code == 503, response.content
        assert response.json()["code"] == "whatsapp_unavailable"


def test_graph_refusing_connections_is_a_503(owner, salon, settings):
    settings.WHATSAPP_BACKEND = "cloud"
    settings.WHATSAPP_API_BASE_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.WHATSAPP_ACCESS_TOKEN = "EAAG-test-token"
    settings.WHATSAPP_BUSINESS_ACCOUNT_ID = "310000000000001"
    response = claim(owner, salon, PLATFORM_NUMBER)
    assert response.status_code == 503 and response.json()["code"] == "whatsapp_unavailable"


def test_keeping_the_salon_s_own_number_asks_nobody(owner, salon, fake_numbers):
    assert claim(owner, salon, salon.whatsapp_phone_number_id).status_code == 200
    assert fake_numbers.requests == []


def test_creating_a_salon_with_a_number_needs_the_same_proof(owner, fake_numbers):
    fake_numbers.numbers.add(PLATFORM_NUMBER)
    body = {"name": "New", "timezone": "Europe/Berlin", "whatsapp_phone_number_id": "420000000999004"}
    refused = client_for(owner).post("/api/salons", body, format="json")
    assert refused.status_code == 400 and refused.json() == {"whatsapp_phone_number_id": [NOT_CONFIRMED]}
    created = client_for(owner).post("/api/salons", body | {"whatsapp_phone_number_id": PLATFORM_NUMBER}, format="json")
    assert created.status_code == 201, created.content


def test_a_super_admin_assigns_any_number_without_asking_meta(super_admin, salon, other_salon, fake_numbers):
    api = client_for(super_admin)
    assigned = api.patch(f"/api/salons/{salon.pk}", {"whatsapp_phone_number_id": "420000000999005"}, format="json")
    assert assigned.status_code == 200 and assigned.json()["whatsapp_phone_number_id"] == "420000000999005"
    taken = api.patch(
        f"/api/salons/{salon.pk}", {"whatsapp_phone_number_id": other_salon.whatsapp_phone_number_id}, format="json"
    )
    assert taken.status_code == 400
    assert taken.json() == {"whatsapp_phone_number_id": ["Another salon already uses this WhatsApp number id."]}
    assert fake_numbers.requests == []


def test_owner_id_is_read_only_to_owners_whatever_the_id(owner, other_owner, salon):
    answers = []
    for owner_id in (str(other_owner.pk), str(uuid.uuid4()), "not-a-uuid"):
        response = client_for(owner).patch(f"/api/salons/{salon.pk}", {"owner_id": owner_id}, format="json")
        answers.append((response.status_code, response.json()["owner_id"]))
    assert answers == [(200, str(owner.pk))] * 3
    salon.refresh_from_db()
    assert salon.owner == owner


def test_an_owner_s_admin_form_needs_the_proof_too(owner, salon, fake_numbers):
    client = Client()
    assert client.login(email=owner.email, password=PASSWORD)
    url = f"/admin/salons/salon/{salon.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() if form[name].value() is not None else "" for name in form.fields}
    data["reminder_offsets_minutes"] = ", ".join(str(m) for m in salon.reminder_offsets_minutes)
    refused = client.post(url, data | {"whatsapp_phone_number_id": "420000000999006"})
    assert refused.status_code == 200 and NOT_CONFIRMED in refused.content.decode().replace("&#x27;", "'")
    salon.refresh_from_db()
    assert salon.whatsapp_phone_number_id != "420000000999006"
    fake_numbers.numbers.add(PLATFORM_NUMBER)
    accepted = client.post(url, data | {"whatsapp_phone_number_id": PLATFORM_NUMBER})
    assert accepted.status_code == 302, accepted.content.decode()[:2000]
    salon.refresh_from_db()
    assert salon.whatsapp_phone_number_id == PLATFORM_NUMBER


def test_an_owner_s_claim_of_another_tenant_s_number_in_the_admin_says_nothing_of_it(
    owner, salon, other_salon, fake_numbers
):
    fake_numbers.numbers.add(other_salon.whatsapp_phone_number_id)
    client = Client()
    assert client.login(email=owner.email, password=PASSWORD)
    url = f"/admin/salons/salon/{salon.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() if form[name].value() is not None else "" for name in form.fields}
    data["reminder_offsets_minutes"] = ", ".join(str(m) for m in salon.reminder_offsets_minutes)
    page = client.post(url, data | {"whatsapp_phone_number_id": other_salon.whatsapp_phone_number_id})
    text = page.content.decode().replace("&#x27;", "'")
    assert NOT_CONFIRMED in text and "Another salon" not in text and "already exists" not in text
    assert factories.SalonFactory._meta.model.objects.get(pk=other_salon.pk).whatsapp_phone_number_id
