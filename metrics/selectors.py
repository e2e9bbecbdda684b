"""Reads of the metrics app."""

from django.db.models import QuerySet

from criteria.models import Operation
from metrics.models import IngestionRun, RejectedRow


def ingestion_runs_for_operation(operation: Operation) -> QuerySet[IngestionRun]:
    return operation.ingestion_runs.select_related("uploaded_by").order_by("-created_at", "-id")


def rejected_rows_for_run(run: IngestionRun) -> QuerySet[RejectedRow]:
    return run.rejected_rows.order_by("line", "id")
