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


def create_cache_tables(using, **kwargs):
    """`migrate` leaves the database ready for the embedded default's shared cache (no Redis).

    Idempotent: `createcachetable` skips tables that exist, and does nothing for other backends.
    """
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)
