"""Reads of the metrics app."""

import csv
from collections.abc import Iterator

from django.db.models import QuerySet

from criteria.models import Operation
from metrics.models import IngestionRun, RejectedRow


def ingestion_runs_for_operation(operation: Operation) -> QuerySet[IngestionRun]:
    return operation.ingestion_runs.select_related("uploaded_by").order_by("-created_at", "-id")


def rejected_rows_for_run(run: IngestionRun) -> QuerySet[RejectedRow]:
    return run.rejected_rows.order_by("line", "id")


class _Echo:
    def write(self, value: str) -> str:
        return value


def rejected_rows_csv_lines(run: IngestionRun) -> Iterator[str]:
    """The run's rejected rows as CSV lines (line, column, reason, original), streamed."""
    writer = csv.writer(_Echo())
    yield writer.writerow(["line", "column", "reason", "original"])
    for row in rejected_rows_for_run(run).iterator(chunk_size=2000):
        yield writer.writerow([row.line, row.column, row.reason, row.original])
