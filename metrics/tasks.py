"""Celery tasks: thin wrappers over the services (arguments are ids and ISO dates only)."""

from datetime import date

from celery import shared_task
from django.db import OperationalError

from criteria.models import CriteriaVersion, Operation
from metrics.alerts.lifecycle import drift_evaluate
from metrics.detection.evaluate import local_yesterday
from metrics.ingest.services import ingestion_run_execute

RETRY = {
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 5,
}


@shared_task(**RETRY)
def ingestion_run_execute_task(run_id: int) -> str:
    """Ingest one run's file. Idempotent: a finished run is left alone; a run whose worker
    died is claimed again and re-executed from the start to the same end state."""
    run = ingestion_run_execute(run_id=run_id)
    return run.status


@shared_task(**RETRY)
def drift_evaluate_all() -> list[str]:
    """Beat entry: one evaluation task per operation with agreed criteria (fan-out), each
    through the operation's yesterday. Returns the ids of the tasks sent."""
    operations = Operation.objects.filter(versions__status=CriteriaVersion.Status.AGREED)
    sent = []
    for operation in operations.distinct().order_by("pk"):
        result = drift_evaluate_operation.delay(
            operation.pk, local_yesterday(operation).isoformat()
        )
        sent.append(result.id)
    return sent


@shared_task(**RETRY)
def drift_evaluate_operation(operation_id: int, through_iso: str) -> int:
    """Evaluate one operation against its agreed criteria. Idempotent: a second run through
    the same day opens nothing new."""
    operation = Operation.objects.filter(pk=operation_id).first()
    if operation is None:
        return 0
    return len(
        drift_evaluate(
            operation=operation, through=date.fromisoformat(through_iso), version="agreed"
        )
    )


@shared_task(acks_late=True)
def weekly_digest_all(week_start_iso: str | None = None) -> int:
    """Fan out one digest task per operation with agreed criteria, for last week by default."""
    from datetime import date, timedelta

    from django.utils import timezone

    from metrics.alerts.digest import operations_for_digest, week_bounds

    if week_start_iso is None:
        week_start_iso = week_bounds(timezone.localdate() - timedelta(days=7))[0].isoformat()
    date.fromisoformat(week_start_iso)  # fail early on a malformed argument
    ids = operations_for_digest()
    for operation_id in ids:
        weekly_digest_send_task.delay(operation_id, week_start_iso)
    return len(ids)


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def weekly_digest_send_task(operation_id: int, week_start_iso: str) -> bool:
    """Send one operation's digest for one week; a second call for the same week sends nothing."""
    from datetime import date

    from criteria.models import Operation
    from metrics.alerts.digest import weekly_digest_send

    operation = Operation.objects.filter(pk=operation_id).first()
    if operation is None:
        return False
    return (
        weekly_digest_send(operation=operation, week_start=date.fromisoformat(week_start_iso))
        is not None
    )
