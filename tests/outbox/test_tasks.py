"""The outbox's periodic sweep: scheduled, and it only picks what should be in flight."""

from datetime import timedelta

import time_machine
from django.conf import settings
from django.utils import timezone

from outbox.models import Delivery, Event
from outbox.services import deliveries_due
from outbox.tasks import outbox_sweep_task


def test_the_sweep_runs_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["outbox-sweep"]
    assert entry["task"] == "outbox.tasks.outbox_sweep_task"
    assert entry["schedule"] == 60.0


def test_the_sweep_takes_due_and_abandoned_deliveries_only(
    personas, celery_eager, mailoutbox, django_capture_on_commit_callbacks
):
    now = timezone.now()
    event = Event.objects.create(
        organization=personas.org, operation=personas.operation, type="test.ping", text="x"
    )

    def row(target, **fields):
        return Delivery.objects.create(
            event=event,
            channel="email",
            target=target,
            next_attempt_at=fields.pop("next_attempt_at", now - timedelta(minutes=5)),
            give_up_at=now + timedelta(hours=24),
            **fields,
        )

    due = row("due@x.org")
    row("later@x.org", next_attempt_at=now + timedelta(minutes=5))
    abandoned = row("dead-worker@x.org", status="sending", lease_until=now - timedelta(seconds=1))
    row("in-flight@x.org", status="sending", lease_until=now + timedelta(minutes=1))
    row("done@x.org", status="delivered")
    row("gave-up@x.org", status="failed")
    assert set(deliveries_due(grace_seconds=60)) == {due.pk, abandoned.pk}

    with time_machine.travel(now, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert outbox_sweep_task.delay().get() == 2
    assert set(Delivery.objects.filter(status="delivered").values_list("target", flat=True)) == {
        "due@x.org",
        "dead-worker@x.org",
        "done@x.org",
    }
    assert sorted(m.to[0] for m in mailoutbox) == ["dead-worker@x.org", "due@x.org"]
