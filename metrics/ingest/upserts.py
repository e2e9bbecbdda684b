"""What both ingestion paths share: claiming a chunk, quarantining a row, comparing and
upserting values by natural key, and rebuilding the daily aggregates of touched dates.

SQL below interpolates only constant table and column names; every value is a bound parameter.
"""

from datetime import date
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from accounts.redaction import redact
from criteria.models import Operation
from metrics.ingest.complaints import complaint_flag
from metrics.ingest.formats import Record
from metrics.models import (
    DAILY_COUNT_FIELDS,
    Conversation,
    DailyAggregate,
    IngestionRun,
    RejectedRow,
    SurveyPhrases,
)

AGGREGATE_DATES_BATCH = 500


class _Superseded(Exception):
    """Another attempt claimed the run; this one stops without writing more."""


def _reject(run: IngestionRun, record: Record, errors: list[tuple[str, str]]) -> RejectedRow:
    columns = list(dict.fromkeys(c for c, _ in errors if c))
    reason = "; ".join(f"{c}: {r}" if c else r for c, r in errors)
    return RejectedRow(
        run=run,
        line=record.line,
        column=", ".join(columns)[:200],
        reason=reason,
        original=redact(record.original)[
            0
        ],  # kept to be fixed and re-sent, never with personal data
    )


def run_row_finish(run: IngestionRun, *, status: str, error: str = "") -> int:
    """Write the run's end (status, error, counts) to its row if this attempt still owns it;
    returns how many rows changed (0: another attempt took the run over)."""
    return IngestionRun.objects.filter(pk=run.pk, attempt=run.attempt).update(
        status=status,
        # The message may quote the file (its column names); PostgreSQL text holds no NUL.
        error=error.replace("\x00", "\\x00"),
        finished_at=timezone.now(),
        progress=1.0,
        total=run.total,
        ingested=run.ingested,
        updated=run.updated,
        unchanged=run.unchanged,
        rejected=run.rejected,
    )


def _claim_check(run: IngestionRun, attempt: int) -> None:
    """Inside a chunk's transaction: lock the run row and make sure we still own it."""
    owned = list(
        IngestionRun.objects.select_for_update()
        .filter(pk=run.pk, attempt=attempt, status=IngestionRun.Status.RUNNING)
        .values_list("pk", flat=True)
    )
    if not owned:
        raise _Superseded


_STAGE_COLUMNS = [
    ("conversation_id", "varchar(200) PRIMARY KEY"),
    ("started_at", "timestamp with time zone"),
    ("local_date", "date"),
    ("complexity", "varchar(10)"),
    ("escalated", "boolean"),
    ("resolved_first_contact", "boolean"),
    ("human_requested", "boolean"),
    ("channel", "varchar(50)"),
    ("language", "varchar(35)"),
    ("csat", "smallint"),
    ("topic", "varchar(200)"),
    ("survey_comment", "text"),
    ("metadata", "jsonb"),
]
_VALUE_COLUMNS = [name for name, _ in _STAGE_COLUMNS if name != "conversation_id"]
# Optional values left empty mean "not known (here)": they never erase a known value, so a file
# sent again after a later one filled in resolved_first_contact changes nothing.
_KEEP_IF_NULL = {"resolved_first_contact", "human_requested", "csat"}
_KEEP_IF_EMPTY = {"channel", "language", "topic", "survey_comment"}


def value_incoming(current: str, new: str, column: str) -> str:
    """The value a row gets: an empty optional value keeps the known one."""
    if column in _KEEP_IF_NULL:
        return f"COALESCE({new}.{column}, {current}.{column})"
    if column in _KEEP_IF_EMPTY:
        return f"COALESCE(NULLIF({new}.{column}, ''), {current}.{column})"
    return f"{new}.{column}"


def values_differ(current: str, new: str, *, postgres: bool) -> str:
    distinct = "IS DISTINCT FROM" if postgres else "IS NOT"
    return " OR ".join(
        f"{current}.{c} {distinct} {value_incoming(current, new, c)}" for c in _VALUE_COLUMNS
    )


def _conflict(first_line: int) -> tuple[str, str]:
    return (
        "conversation_id",
        f"the same conversation_id is on line {first_line} with different values",
    )


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def complaint_phrases_extra(operation: Operation) -> dict[str, list[str]] | None:
    """The organization's own "could not reach a person" phrases, by language."""
    return (
        SurveyPhrases.objects.filter(organization_id=operation.organization_id)
        .values_list("extra_complaint_phrases", flat=True)
        .first()
    )


def complaints_flag(*, operation: Operation, run_id: int | None = None) -> set[date]:
    """Flag survey comments that say the customer could not reach a person or was not
    understood (metrics.ingest.complaints, with the organization's own phrases): the
    conversations this run wrote, or every one of the operation (``run_id`` None). Runs before
    the aggregates are rebuilt, in the same transaction; returns the dates whose flags
    changed."""
    extra = complaint_phrases_extra(operation)
    rows = Conversation.objects.filter(operation=operation).only(
        "pk", "local_date", "survey_comment", "survey_complaint"
    )
    if run_id is not None:
        rows = rows.filter(changed_by_run_id=run_id).exclude(survey_comment="")
    changed: list[Conversation] = []
    for conversation in rows.iterator(chunk_size=2000):
        flag = complaint_flag(conversation.survey_comment, extra)
        if flag != conversation.survey_complaint:
            conversation.survey_complaint = flag
            changed.append(conversation)
    # The line hashes stay: they are seeded with the phrases (pg_csv.FastConversations._seed).
    Conversation.objects.bulk_update(changed, ["survey_complaint"], batch_size=2000)
    return {c.local_date for c in changed}


def _aggregates_recompute(*, operation: Operation, dates: set[date], run_id: int | None) -> None:
    """Rebuild the conversation-based daily aggregates of these local dates.

    Rows sent as daily aggregates are replaced when conversations exist for that date and
    segment (the finer data wins), and kept otherwise.
    """
    fields = DAILY_COUNT_FIELDS
    ordered = sorted(dates)
    for start in range(0, len(ordered), AGGREGATE_DATES_BATCH):
        batch = ordered[start : start + AGGREGATE_DATES_BATCH]
        stats = (
            Conversation.objects.filter(operation=operation, local_date__in=batch)
            .values("local_date", "complexity")
            .annotate(
                n_conversations=Count("id"),
                n_escalated=Count("id", filter=Q(escalated=True)),
                n_resolved_first_contact=Count("id", filter=Q(resolved_first_contact=True)),
                n_resolved_known=Count("resolved_first_contact"),
                n_human_requested=Count("id", filter=Q(human_requested=True)),
                n_human_requested_known=Count("human_requested"),
                n_csat_sum=Sum("csat", default=0),
                n_csat_count=Count("csat"),
                n_survey_comments=Count("survey_complaint"),
                n_survey_complaints=Count("id", filter=Q(survey_complaint=True)),
            )
            .order_by()
        )
        wanted: dict[tuple[date, str], dict[str, Any]] = {}
        for item in stats:
            values = {f: item[f"n_{f}"] for f in fields}
            if not values["resolved_known"]:
                values["resolved_first_contact"] = None
            if not values["human_requested_known"]:
                values["human_requested"] = None
            wanted[(item["local_date"], item["complexity"])] = values
        existing = {
            (a.date, a.segment): a
            for a in DailyAggregate.objects.filter(operation=operation, date__in=batch)
        }
        creates, changes, stale = [], [], []
        for key, values in wanted.items():
            current = existing.get(key)
            if current is None:
                creates.append(
                    DailyAggregate(
                        operation=operation,
                        date=key[0],
                        segment=key[1],
                        source=DailyAggregate.Source.CONVERSATIONS,
                        created_by_run_id=run_id,
                        changed_by_run_id=run_id,
                        **values,
                    )
                )
            elif current.source != DailyAggregate.Source.CONVERSATIONS or any(
                getattr(current, f) != v for f, v in values.items()
            ):
                for f, v in values.items():
                    setattr(current, f, v)
                current.source = DailyAggregate.Source.CONVERSATIONS
                current.changed_by_run_id = run_id
                changes.append(current)
        for key, current in existing.items():
            if key not in wanted and current.source == DailyAggregate.Source.CONVERSATIONS:
                stale.append(current.pk)
        DailyAggregate.objects.bulk_create(creates)
        DailyAggregate.objects.bulk_update(changes, [*fields, "source", "changed_by_run_id"])
        DailyAggregate.objects.filter(pk__in=stale).delete()
