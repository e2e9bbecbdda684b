"""Celery tasks: thin wrappers over sampling.services (arguments are ids and ISO weeks only)."""

from celery import shared_task

from criteria.models import Operation
from sampling.indicators import weekly_indicators_record
from sampling.retention import transcripts_purge
from sampling.services import sample_draw, week_parse, week_previous


@shared_task(acks_late=True)
def sample_weekly_task() -> list[int]:
    """Beat: fan out one draw per operation that has conversations (last complete week)."""
    ids = list(
        Operation.objects.filter(conversations__isnull=False)
        .distinct()
        .values_list("pk", flat=True)
    )
    for pk in ids:
        sample_draw_task.delay(pk)
    return ids


@shared_task(acks_late=True)
def sample_draw_task(operation_id: int, week: str | None = None) -> int:
    """Idempotent: a week is drawn once; asking again returns the same draw. Also refreshes the
    indicators of the week before (its reviews are usually finished by now)."""
    operation = Operation.objects.get(pk=operation_id)
    label = week or week_previous(operation)
    draw = sample_draw(operation=operation, week=label)
    _, monday = week_parse(label)
    weekly_indicators_record(operation=operation, week_start=monday)
    return draw.pk


@shared_task(acks_late=True)
def transcripts_purge_task() -> dict[str, int]:
    """Beat, daily: erase transcript text past each organization's retention (idempotent)."""
    return transcripts_purge()
