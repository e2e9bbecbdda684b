"""Reads of the metrics app."""

from collections.abc import Iterator

from django.core.cache import cache
from django.db.models import F, QuerySet

from accounts.csv_export import SafeWriter
from criteria.models import Operation
from metrics.models import Alert, AlertEvent, Conversation, IngestionRun, RejectedRow, Review


def ingestion_runs_for_operation(operation: Operation) -> QuerySet[IngestionRun]:
    return operation.ingestion_runs.select_related("uploaded_by").order_by("-created_at", "-id")


def rejected_rows_for_run(run: IngestionRun) -> QuerySet[RejectedRow]:
    return run.rejected_rows.order_by("line", "id")


class _Echo:
    def write(self, value: str) -> str:
        return value


def rejected_rows_csv_lines(run: IngestionRun) -> Iterator[str]:
    """The run's rejected rows as CSV lines (line, column, reason, original), streamed; text
    cells that a spreadsheet would run as formulas are escaped."""
    writer = SafeWriter(_Echo())
    yield writer.writerow(["line", "column", "reason", "original"])
    for row in rejected_rows_for_run(run).iterator(chunk_size=2000):
        yield writer.writerow([row.line, row.column, row.reason, row.original])


def alerts_open(operation: Operation) -> QuerySet[Alert]:
    return (
        Alert.objects.filter(operation=operation)
        .exclude(state=Alert.State.RESOLVED)
        .select_related("version", "review__owner", "warning")
        .order_by("-opened_on", "-id")
    )


def alerts_history(operation: Operation) -> QuerySet[Alert]:
    return (
        Alert.objects.filter(operation=operation, state=Alert.State.RESOLVED)
        .select_related("version", "review__owner", "warning")
        .order_by("-opened_on", "-id")
    )


def alerts_for_operation(operation: Operation) -> QuerySet[Alert]:
    return (
        Alert.objects.filter(operation=operation)
        .select_related("version", "review__owner", "warning")
        .order_by("-opened_on", "-id")
    )


def alert_events(alert: Alert) -> QuerySet[AlertEvent]:
    return alert.events.select_related("actor").order_by("at", "id")


def reviews_for_operation(operation: Operation) -> QuerySet[Review]:
    return (
        Review.objects.filter(alert__operation=operation)
        .select_related("alert", "owner", "decided_by", "draft_version")
        .order_by(F("decided_at").desc(nulls_first=True), "due_on", "id")
    )


def complaints_flagged(operation: Operation) -> QuerySet[Conversation]:
    """Conversations whose survey comment was flagged as "could not reach a person / not
    understood", newest first (the comments are redacted at ingest)."""
    return (
        Conversation.objects.filter(operation=operation, survey_complaint=True)
        .only(
            "conversation_id", "local_date", "language", "complexity", "escalated", "survey_comment"
        )
        .order_by("-local_date", "-id")
    )


PROGRESS_SECONDS = 3600


def progress_key(run_id: int) -> str:
    """Where a worker publishes a run's progress (metrics.ingest.services)."""
    return f"ingest-progress:{run_id}"


def run_progress_live(run: IngestionRun) -> IngestionRun:
    """The run with the progress its worker published last, while it runs: a load in one
    transaction writes its row's progress only when it commits."""
    if run.status == IngestionRun.Status.RUNNING:
        published = cache.get(progress_key(run.pk))
        if published is not None:
            run.progress, run.total, run.rejected = published
    return run
