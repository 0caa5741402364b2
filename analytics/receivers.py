"""Signal receivers: every committed change the dashboard depends on invalidates its salon's entry.

The lower apps send these signals after commit and import nothing of analytics; the receivers
are connected in AnalyticsConfig.ready().
"""

import logging

from django.db import transaction

from messaging.models import MessageStatus
from salonbot.broker import publish

from . import services, tasks

logger = logging.getLogger(__name__)

# A burst of writes (a chat going back and forth) costs one recomputation a few seconds later,
# not one per message: the warm-up that runs finds later ones already done.
REWARM_DELAY_SECONDS = 5


def invalidate(salon_id) -> None:
    """Bump the salon's version; re-warm in the background if the dashboard is being read.

    Never raises: receivers run after commit, inside the request that made the change.
    """
    try:
        if services.invalidate_salon_dashboard(salon_id=salon_id):
            # Not durable: with the broker down the next reader recomputes the entry itself.
            publish(tasks.warm_salon_dashboard.name, str(salon_id), countdown=REWARM_DELAY_SECONDS, durable=False)
    except Exception:
        logger.exception("dashboard invalidation of salon %s failed", salon_id)


def invalidate_on_commit(salon_id) -> None:
    """Invalidate once the current transaction commits; at once when none is open.

    The lower apps send their signals after commit, but a sender inside a transaction (the
    salon admin's save) would otherwise let a reader recompute from the old rows and store them
    under the new version before the change became visible.
    """
    transaction.on_commit(lambda: invalidate(salon_id))


def on_booking_changed(sender, *, salon_id, **kwargs) -> None:
    invalidate_on_commit(salon_id)


def on_customer_created(sender, *, customer, **kwargs) -> None:
    invalidate_on_commit(customer.salon_id)


def on_salon_changed(sender, *, salon, **kwargs) -> None:
    # A new timezone moves "today" and the week and month boundaries.
    invalidate_on_commit(salon.pk)


def on_message_stored(sender, *, salon_id, **kwargs) -> None:
    invalidate_on_commit(salon_id)


def on_message_status_changed(sender, *, salon_id, status, **kwargs) -> None:
    # Only an outcome the dashboard counts; delivered and read statuses of every message do not.
    if status == MessageStatus.UNKNOWN:
        invalidate_on_commit(salon_id)
