"""A new tenant model that forgets `salon_id` or the scoped manager is caught here."""

import pytest
from django.apps import apps

from salonbot.tenancy import TenantQuerySet

TENANT_APPS = {"salons", "bookings", "messaging", "analytics"}


def tenant_models():
    return [m for m in apps.get_models() if m._meta.app_label in TENANT_APPS and not m._meta.auto_created]


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m.__name__)
def test_every_tenant_model_has_salon_and_scoped_manager(model):
    assert isinstance(model.objects.all(), TenantQuerySet), f"{model.__name__} lacks TenantManager"
    if model._meta.model_name != "salon":
        field = model._meta.get_field("salon")
        assert field.column == "salon_id"
