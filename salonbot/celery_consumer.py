"""The Celery worker's consumer, surviving a broker that goes away with a task unacknowledged.

Celery 5.7 / kombu 5.7 with Redis: on a lost connection the consumer first `collect()`s the
connection (which forgets the transport's client), then closes it; closing the channel restores
the unacknowledged messages (acks_late: the task in flight), which needs that client, and the
AttributeError that follows ended the worker ("Unrecoverable error"). Seen in tests/faults with
Redis stopped under load. The restore could not have reached Redis anyway (it is down); Redis
keeps those messages in its unacked set and redelivers them after the visibility timeout, and
the recovery sweep finds their work before that. So the error is logged and the consumer goes on
to reconnect, as it does after any other connection error.

settings.CELERY_WORKER_CONSUMER names this class.
"""

import logging

from celery.worker.consumer import Consumer as CeleryConsumer

logger = logging.getLogger(__name__)


class Consumer(CeleryConsumer):
    def on_connection_error_after_connected(self, exc):
        try:
            super().on_connection_error_after_connected(exc)
        except AttributeError as error:
            logger.warning(
                "broker connection lost with messages unacknowledged; not restored now (%s), "
                "Redis redelivers them after the visibility timeout",
                error,
            )
