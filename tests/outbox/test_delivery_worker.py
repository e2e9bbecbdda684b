"""At-least-once webhook delivery through a real Celery worker on Redis and PostgreSQL."""

import json
import time

import pytest

from guardrails.models import Pause
from guardrails.services import pause_start
from outbox.endpoints import webhook_endpoint_create
from outbox.models import Delivery
from outbox.services import outbox_sweep
from tests.outbox.receiver import Receiver

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.stop()


@pytest.fixture
def fast_retries(monkeypatch, settings):
    """Seconds instead of minutes, in this process and in the workers it starts."""
    for name, value in {
        "STOPLINE_OUTBOX_BACKOFF_SECONDS": "0.5",
        "STOPLINE_OUTBOX_LEASE_SECONDS": "2",
    }.items():
        monkeypatch.setenv(name, value)
        setattr(settings, name, float(value))


def wait_for(condition, timeout: float = 40.0, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def subscribe(personas, receiver) -> None:
    _, secret = webhook_endpoint_create(
        operation=personas.operation,
        actor=personas.facilitator,
        url=receiver.url,
        event_types=["guardrail.changed"],
    )
    receiver.secret = secret


def emergency_stop(personas) -> None:
    pause_start(
        operation=personas.operation,
        segment="complex",
        reason="Refund answers are wrong",
        source=Pause.Source.COMMAND,
    )


def test_a_receiver_failing_twice_gets_the_event_exactly_once(
    personas, receiver, fast_retries, celery_worker
):
    receiver.script = [500, 500]
    receiver.start()
    subscribe(personas, receiver)
    celery_worker()

    emergency_stop(personas)  # autocommit: the event is committed and enqueued at once

    delivery = wait_for(
        lambda: Delivery.objects.filter(channel="webhook", status="delivered").first(),
        what="the delivery",
    )
    assert delivery.attempts == 3
    assert [c["signed"] for c in receiver.calls] == [True, True, True]
    assert len({c["id"] for c in receiver.calls}) == 1  # the same event id every time
    assert len(receiver.events) == 1
    body = json.loads(next(iter(receiver.events.values())))
    assert body["type"] == "guardrail.changed"
    assert body["data"]["flags"]["ai-handling-complex"] is False
    assert "paused for complex cases" in body["text"]


def test_a_worker_killed_mid_delivery_loses_nothing(
    personas, receiver, fast_retries, celery_worker
):
    receiver.hang_first = True
    receiver.start()
    subscribe(personas, receiver)
    worker = celery_worker()

    emergency_stop(personas)
    assert receiver.first_call.wait(30), "the worker never called the receiver"
    worker.kill()  # SIGKILL while the request is in flight
    worker.wait(timeout=10)
    receiver.release.set()
    assert Delivery.objects.get(channel="webhook").status == "sending"

    celery_worker()
    time.sleep(2.5)  # the dead worker's lease runs out
    assert outbox_sweep() >= 1  # what beat does every minute

    delivery = wait_for(
        lambda: Delivery.objects.filter(channel="webhook", status="delivered").first(),
        what="the redelivery",
    )
    assert delivery.attempts == 2
    assert len(receiver.events) == 1
    assert {c["id"] for c in receiver.calls} == set(receiver.events)
