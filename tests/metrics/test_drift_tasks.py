"""The daily drift job: eager fan-out here, and through a real worker on Redis (service)."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from celery.result import AsyncResult
from django.conf import settings
from django.utils import timezone

from criteria.models import Operation
from metrics.models import Alert, AlertEvent, Review
from metrics.tasks import drift_evaluate_all, drift_evaluate_operation
from outbox.models import Delivery
from tests.criteria.signing import agree
from tests.metrics.drift_data import add_days

DAYS = 60


def collapse(i: int) -> float:
    return 0.17 if i < DAYS - 12 else 0.02


def seed(personas) -> None:
    """Agreed criteria and 60 days of data through yesterday, collapsing 12 days ago."""
    agree(personas)
    op = personas.operation
    today = timezone.now().astimezone(ZoneInfo(op.timezone)).date()
    add_days(op, today - timedelta(days=DAYS), DAYS, escalation=collapse)


def state() -> tuple:
    return (
        sorted(Alert.objects.values_list("indicator", "rule", "opened_on", "state")),
        AlertEvent.objects.count(),
        Review.objects.count(),
        Delivery.objects.count(),
    )


def test_the_beat_entry_is_scheduled_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["drift-evaluate-all"]
    assert entry["task"] == "metrics.tasks.drift_evaluate_all"


def test_the_daily_job_fans_out_to_agreed_operations_only(personas, celery_eager):
    seed(personas)
    sent = drift_evaluate_all.delay().get()
    assert len(sent) == 1  # the rival operation has no agreed criteria
    alert = Alert.objects.get(indicator="escalation_rate")
    assert alert.operation == personas.operation and alert.direction == "below"
    before = state()
    drift_evaluate_all.delay().get()
    assert state() == before


def test_an_unknown_operation_is_a_no_op(db, celery_eager):
    assert drift_evaluate_operation.delay(987654, "2026-01-01").get() == 0


@pytest.mark.service
@pytest.mark.django_db(transaction=True)
def test_the_daily_job_through_a_real_worker_twice_changes_nothing(personas, celery_worker):
    celery_worker()
    seed(personas)
    for task_id in drift_evaluate_all.delay().get(timeout=60):
        AsyncResult(task_id).get(timeout=60)
    alert = Alert.objects.get(indicator="escalation_rate", rule="outside_range")
    assert alert.state == "open" and alert.review.owner.key == "operations"
    first = state()
    assert first[3] >= 2  # e-mails to the operations department were queued

    for task_id in drift_evaluate_all.delay().get(timeout=60):
        AsyncResult(task_id).get(timeout=60)
    assert state() == first
    assert Operation.objects.count() == 2
