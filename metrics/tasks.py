"""Celery tasks: thin wrappers over the services (arguments are ids only)."""

from celery import shared_task
from django.db import OperationalError

from metrics.services.ingest import ingestion_run_execute


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def ingestion_run_execute_task(run_id: int) -> str:
    """Ingest one run's file. Idempotent: a finished run is left alone; a run whose worker
    died is claimed again and re-executed from the start to the same end state."""
    run = ingestion_run_execute(run_id=run_id)
    return run.status
