"""Celery tasks: thin wrappers over the services (arguments are ids and ISO dates only)."""

from datetime import date

from celery import shared_task
from django.db import OperationalError

from criteria.models import CriteriaVersion, Operation
from metrics.services.drift import drift_evaluate, local_yesterday
from metrics.services.ingest import ingestion_run_execute
from metrics.services.notifications import notification_deliver

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


@shared_task(**RETRY)
def notification_send(attempt_id: int) -> str:
    """Deliver one notification attempt; after a failure the next attempt is scheduled with
    exponential backoff (each attempt its own logged row)."""
    following = notification_deliver(attempt_id=attempt_id)
    if following is None:
        return "done"
    countdown = min(30 * 2 ** (following.attempt - 2), 3600)
    notification_send.apply_async((following.pk,), countdown=countdown)
    return "retry"
