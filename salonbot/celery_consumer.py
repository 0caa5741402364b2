"""The Celery worker's consumer, surviving a broker that goes away with a task unacknowledged.

Celery 5.7 / kombu 5.7 with Redis: on a lost connection the consumer first `collect()`s the
connection (which forgets the transport's client), then closes it; closing the channel restores
the unacknowledged messages (acks_late: the task in flight), which needs that client, and the
AttributeError that follows ended the worker ("Unrecoverable error"). Seen in tests/faults with
Redis stopped under load. The restore could not have reached Redis anyway (it is down); Redis
keeps those messages in its unacked set and redelivers them after the visibility timeout, and
the recovery sweep finds their work before that. So the error is logged and the consumer goes on
to reconnect, as it does after any other connection error.

The same collected connection ends the worker a second way: a task that was running in the pool
while the consumer reconnected finishes afterwards and acknowledges its message on the old channel,
whose connection has no client any more (AttributeError on `conninfo.hostname`, "Unrecoverable
error", seen in tests/faults). Such an acknowledgement cannot reach anything: it is skipped and
logged, and Redis redelivers the message after the visibility timeout (every task is idempotent:
webhook events and sends are claimed, confirmations keyed).

settings.CELERY_WORKER_CONSUMER names this class; importing it installs the acknowledgement guard.
"""

import logging

from celery.worker.consumer import Consumer as CeleryConsumer
from kombu.message import Message

logger = logging.getLogger(__name__)


def from_a_collected_connection(message: Message) -> bool:
    """The message came over a broker connection the consumer has since collected and replaced."""
    connection = getattr(message.channel, "connection", None)
    return connection is None or getattr(connection, "client", None) is None


def _guarded(settle, verb: str):
    def settle_unless_collected(message, log, errors, *args, **kwargs):
        if from_a_collected_connection(message):
            logger.warning(
                "not %s message %r: its broker connection is gone (reconnected since); "
                "Redis redelivers it after the visibility timeout",
                verb,
                message.delivery_tag,
            )
            return None
        return settle(message, log, errors, *args, **kwargs)

    settle_unless_collected.guarded = True
    return settle_unless_collected


if not getattr(Message.ack_log_error, "guarded", False):
    Message.ack_log_error = _guarded(Message.ack_log_error, "acknowledging")
    Message.reject_log_error = _guarded(Message.reject_log_error, "rejecting")


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
