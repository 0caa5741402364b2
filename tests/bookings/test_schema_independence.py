"""bookings' schema stands without messaging's: no relation from a bookings model into messaging."""

from django.apps import apps


def test_no_bookings_model_relates_to_a_messaging_model():
    relations = [
        f"{model.__name__}.{field.name}"
        for model in apps.get_app_config("bookings").get_models()
        for field in model._meta.get_fields()
        if field.is_relation and field.related_model is not None and field.related_model._meta.app_label == "messaging"
    ]
    assert relations == []


def test_the_dashboard_s_booking_indexes_are_a_bookings_migration():
    from importlib import import_module

    migration = import_module("bookings.migrations.0008_booking_dashboard_indexes")
    assert set(migration.INDEXES) == {"booking_salon_status_idx", "booking_salon_revenue_idx"}
    assert not any(name.startswith("0001_booking_dashboard") for name in _migration_names("analytics")), (
        "the indexes moved to bookings"
    )


def _migration_names(app_label: str) -> list[str]:
    from pathlib import Path

    folder = Path(apps.get_app_config(app_label).path) / "migrations"
    return [path.stem for path in folder.glob("0*.py")]
