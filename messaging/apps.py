from django.apps import AppConfig


class MessagingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "messaging"
    verbose_name = "Messaging"

    def ready(self):
        # Listens to the lower apps' signals: booking confirmations, routing-cache invalidation.
        # An owner's WhatsApp number claim is proven against the platform's Business Account.
        from salons import numbers as salon_numbers

        from . import receivers, tasks  # noqa: F401  (tasks: services enqueue them by name)
        from .bot import receivers as bot_receivers  # noqa: F401  (answers inbound messages)
        from .services import numbers

        salon_numbers.register_verifier(numbers.platform_owns)
