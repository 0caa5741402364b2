"""Publishing from a request with the broker down: bounded, deferred, sent once it is back.

A real Redis of our own (redis-server on a free port), stopped and started: no mock of kombu.
The same under load, with gunicorn and a worker, is tests/faults (make test-faults).
"""

import shutil
import socket
import time

import pytest
import redis

from salonbot import broker
from salonbot.celery import app as celery_app
from tests.scale.stack import Process, free_port, wait_until

pytestmark = pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server is not installed")

QUEUE = "celery"


class OwnRedis:
    def __init__(self, directory, port: int):
        self.port, self.directory, self.process = port, directory, None

    def start(self):
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = Process("redis", args, log=self.directory / "redis.log", cwd=self.directory)
        wait_until(self.ping, seconds=30, what="redis")

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    def stop(self):
        if self.process is not None:
            self.process.stop()
            self.process = None

    def queued(self) -> int:
        return redis.Redis(port=self.port).llen(QUEUE)


@pytest.fixture
def own_broker(tmp_path):
    """The Celery app publishing for real (not eagerly) to a Redis of our own, not started yet."""
    server = OwnRedis(tmp_path, free_port())
    saved = celery_app.conf.task_always_eager, celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = f"redis://127.0.0.1:{server.port}/0"
    broker._drop_connection()
    try:
        yield server
    finally:
        wait_until(lambda: not broker.deferred.active, seconds=30, what="deferred publishes drained")
        broker._drop_connection()
        celery_app.conf.task_always_eager, celery_app.conf.broker_url = saved
        server.stop()


def test_a_publish_goes_to_the_broker_when_it_answers(own_broker):
    own_broker.start()
    assert broker.publish("messaging.process_webhook_event", "event-1") is True
    assert own_broker.queued() == 1


def test_with_the_broker_down_a_publish_returns_at_once_and_goes_out_when_it_is_back(own_broker, caplog):
    started = time.monotonic()
    results = [broker.publish("messaging.process_webhook_event", f"event-{n}") for n in range(20)]
    elapsed = time.monotonic() - started
    # Celery's own apply_async took about 6 s per call here (kombu's connection retry); the bound
    # is PUBLISH_TIMEOUT for the first and nothing for the rest. Generous for a loaded machine.
    assert elapsed < 2.0, f"20 publishes with the broker down took {elapsed:.2f}s"
    assert results == [False] * 20
    assert len(broker.deferred) == 20

    own_broker.start()
    wait_until(lambda: not broker.deferred.active, seconds=30, what="deferred publishes sent")
    assert own_broker.queued() == 20  # each once
    messages = [r.getMessage() for r in caplog.records if r.name == "salonbot.broker"]
    assert len([m for m in messages if m.startswith("broker unavailable")]) == 1
    assert len([m for m in messages if m.startswith("broker available again")]) == 1


def test_a_publish_that_is_not_durable_is_dropped_not_deferred(own_broker, caplog):
    from analytics.tasks import warm_salon_dashboard

    assert broker.publish(warm_salon_dashboard.name, "salon-1", durable=False) is False
    assert not broker.deferred.active
    assert "Connection refused" in caplog.text or "Error 111" in caplog.text


def test_a_message_of_a_collected_broker_connection_is_not_acknowledged_and_the_worker_goes_on():
    """A task that finished after the consumer reconnected acks on the old channel: kombu raised
    AttributeError there and the worker died ("Unrecoverable error"); now it is skipped and logged."""
    import logging
    from types import SimpleNamespace

    from kombu.message import Message

    from salonbot import celery_consumer

    acked = []

    class Channel:
        no_ack_consumers = None

        def __init__(self, client):
            self.connection = SimpleNamespace(client=client)

        def basic_ack(self, delivery_tag, multiple=False):
            if self.connection.client is None:
                raise AttributeError("'NoneType' object has no attribute 'hostname'")
            acked.append(delivery_tag)

    log = logging.getLogger("test.ack")
    stale = Message(body=b"{}", delivery_tag="stale", channel=Channel(client=None))
    live = Message(body=b"{}", delivery_tag="live", channel=Channel(client=object()))
    assert celery_consumer.from_a_collected_connection(stale)
    assert not celery_consumer.from_a_collected_connection(live)
    stale.ack_log_error(log, (ConnectionError,))  # raised AttributeError before the guard
    live.ack_log_error(log, (ConnectionError,))
    assert acked == ["live"]
