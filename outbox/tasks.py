"""Celery tasks: thin wrappers over outbox.services (arguments are ids only)."""

from celery import shared_task
from django.db import OperationalError

from outbox.services import delivery_attempt, outbox_sweep


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def delivery_attempt_task(delivery_id: int) -> str:
    """Try one delivery; after a failure, schedule the next try with exponential backoff.
    Idempotent: the delivery is claimed first, so a redelivered message sends nothing twice
    while a try is in flight, and nothing at all once it is delivered or failed."""
    wait = delivery_attempt(delivery_id=delivery_id)
    if wait is None:
        return "done"
    delivery_attempt_task.apply_async((delivery_id,), countdown=wait)
    return "retry"


@shared_task(acks_late=True)
def outbox_sweep_task() -> int:
    """Beat entry: re-enqueue deliveries whose task was lost (see outbox_sweep)."""
    return outbox_sweep(grace_seconds=60)
