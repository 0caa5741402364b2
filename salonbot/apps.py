from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SalonbotConfig(AppConfig):
    """The project package as an app: its templates, static files, and the database cache's table."""

    name = "salonbot"
    verbose_name = "salonbot"

    def ready(self):
        # No sender: post_migrate is sent only for apps with models, and this one has none. It runs
        # once per such app; createcachetable is idempotent (one introspection when tables exist).
        post_migrate.connect(create_cache_tables, dispatch_uid="salonbot.create_cache_tables")
        post_migrate.connect(grant_app_role, dispatch_uid="salonbot.grant_app_role")
        _render_datetimes_with_four_digit_years()


def _render_datetimes_with_four_digit_years():
    """Every ModelSerializer's datetime renders through IsoDateTimeField (its docstring says why)."""
    from django.db import models
    from rest_framework import serializers

    from salonbot.api.fields import IsoDateTimeField

    serializers.ModelSerializer.serializer_field_mapping[models.DateTimeField] = IsoDateTimeField


def create_cache_tables(using, **kwargs):
    """`migrate` leaves the database ready for the embedded default's shared cache (no Redis).

    Idempotent: `createcachetable` skips tables that exist, and does nothing for other backends.
    """
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


def grant_app_role(using, **kwargs):
    """`migrate`, run as the tables' owner, grants DATABASE_APP_ROLE row privileges (salonbot/db/rls.py).

    Idempotent; runs after every migrate, so a table a later migration adds is covered as well.
    """
    from django.conf import settings
    from django.db import connections

    from salonbot.db.rls import grant_app_privileges

    connection = connections[using]
    if settings.DATABASE_APP_ROLE and connection.vendor == "postgresql":
        grant_app_privileges(connection, settings.DATABASE_APP_ROLE)
