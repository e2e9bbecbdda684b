"""Reads of the metrics app."""

import csv
from collections.abc import Iterator

from django.db.models import F, QuerySet

from criteria.models import Operation
from metrics.models import Alert, AlertEvent, IngestionRun, RejectedRow, Review


def ingestion_runs_for_operation(operation: Operation) -> QuerySet[IngestionRun]:
    return operation.ingestion_runs.select_related("uploaded_by").order_by("-created_at", "-id")


def rejected_rows_for_run(run: IngestionRun) -> QuerySet[RejectedRow]:
    return run.rejected_rows.order_by("line", "id")


class _Echo:
    def write(self, value: str) -> str:
        return value


# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell_safe(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe,
    which spreadsheets show as text (OWASP's advice for CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def rejected_rows_csv_lines(run: IngestionRun) -> Iterator[str]:
    """The run's rejected rows as CSV lines (line, column, reason, original), streamed; text
    cells that a spreadsheet would run as formulas are escaped."""
    writer = csv.writer(_Echo())
    yield writer.writerow(["line", "column", "reason", "original"])
    for row in rejected_rows_for_run(run).iterator(chunk_size=2000):
        cells = [row.line, row.column, row.reason, row.original]
        yield writer.writerow([csv_cell_safe(cell) for cell in cells])


def alerts_open(operation: Operation) -> QuerySet[Alert]:
    return (
        Alert.objects.filter(operation=operation)
        .exclude(state=Alert.State.RESOLVED)
        .select_related("version", "review__owner")
        .order_by("-opened_on", "-id")
    )


def alerts_history(operation: Operation) -> QuerySet[Alert]:
    return (
        Alert.objects.filter(operation=operation, state=Alert.State.RESOLVED)
        .select_related("version", "review__owner")
        .order_by("-opened_on", "-id")
    )


def alerts_for_operation(operation: Operation) -> QuerySet[Alert]:
    return (
        Alert.objects.filter(operation=operation)
        .select_related("version", "review__owner")
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
