"""Reads of the sampling app: the reviewer's queue, progress, agreement per rubric item."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Count, F, QuerySet
from django.utils import timezone

from criteria.models import Operation
from metrics.models import WeeklyReviewScore
from sampling.agreement import Agreement, cohen_kappa
from sampling.models import CalibrationCase, ReviewItem, RubricScore, SamplingDraw
from sampling.rubric import agreement_items

AVAILABLE_COUNTED = 1000


@dataclass(frozen=True)
class Progress:
    assigned: int
    done: int
    skipped: int
    open: int
    overdue: int
    available: int  # in the pool, not yet taken by anyone

    @property
    def available_text(self) -> str:
        """ "37", or "1,000+" beyond the counted bound."""
        if self.available > AVAILABLE_COUNTED:
            return f"{AVAILABLE_COUNTED:,}+"
        return str(self.available)

    @property
    def percent(self) -> int:
        finished = self.done + self.skipped
        return round(100 * finished / self.assigned) if self.assigned else 0


def queue_for_reviewer(operation: Operation, reviewer: AbstractBaseUser) -> QuerySet[ReviewItem]:
    """The reviewer's items, open ones first, oldest due date first."""
    return (
        ReviewItem.objects.filter(operation=operation, assigned_to=reviewer)
        .select_related("draw")
        .order_by(F("done_at").asc(nulls_first=True), "due", "id")
    )


# One page of the queue (open items first, oldest due date first), only what it shows: in SQL
# and plain tuples, since a page of 50 rows is read on every view and the ORM's query and model
# instances cost more than the rest of the page.
_QUEUE_ROWS_SQL = """
SELECT i.id, i.is_double, d.week, i.stratum, i.status, i.skip_reason, i.due
FROM sampling_reviewitem i
JOIN sampling_samplingdraw d ON d.id = i.draw_id
WHERE i.operation_id = %(operation)s AND i.assigned_to_id = %(reviewer)s
ORDER BY i.done_at IS NOT NULL, i.done_at, i.due, i.id
LIMIT %(limit)s OFFSET %(offset)s
"""


def queue_page_rows(
    operation: Operation, reviewer: AbstractBaseUser, *, offset: int, limit: int, today: date
) -> list[dict]:
    """One page of the reviewer's items as the queue page shows them: the item's label, week,
    stratum, status (with the skip reason), due date and whether it is past the SLA. The same
    order as queue_for_reviewer."""
    labels = dict(ReviewItem.Status.choices)
    open_statuses = {ReviewItem.Status.PENDING, ReviewItem.Status.RESERVED}
    params = {"operation": operation.pk, "reviewer": reviewer.pk, "limit": limit, "offset": offset}
    with connection.cursor() as cursor:
        cursor.execute(_QUEUE_ROWS_SQL, params)
        found = cursor.fetchall()
    rows = []
    for pk, is_double, week, stratum, status, skip_reason, due in found:
        due = due if isinstance(due, date) else date.fromisoformat(due)  # SQLite: text
        label = labels.get(status, status)
        rows.append(
            {
                "id": pk,
                "label": f"#{pk} (second review)" if is_double else f"#{pk}",
                "week": week,
                "stratum": stratum,
                "status": f"{label}: {skip_reason}" if skip_reason else label,
                "due": due.isoformat(),
                "overdue": status in open_statuses and due < today,
            }
        )
    return rows


# The reviewer's counts and the pool's, in one query (the queue page reads it on every view,
# and its htmx fragment every minute): the ORM's version took two round trips and ~1.8 ms
# of CPU to compile. The pool is counted up to a bound: with a million items waiting an exact
# count would cost more than the rest of the page, and "1,000+" says as much to a reviewer.
_PROGRESS_SQL = """
SELECT
    COUNT(*),
    COALESCE(SUM(CASE WHEN i.status = 'done' THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN i.status = 'skipped' THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN i.status IN ('pending', 'reserved') THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN i.status IN ('pending', 'reserved') AND i.due < %(today)s
        THEN 1 ELSE 0 END), 0),
    (SELECT COUNT(*) FROM (
        SELECT p.id FROM sampling_reviewitem p
        WHERE p.operation_id = %(operation)s
          AND ((p.status = 'pending' AND p.assigned_to_id IS NULL)
               OR (p.status = 'reserved' AND p.reserved_until < %(now)s))
        LIMIT %(bound)s) AS pool)
FROM sampling_reviewitem i
WHERE i.operation_id = %(operation)s AND i.assigned_to_id = %(reviewer)s
"""


def progress_for_reviewer(operation: Operation, reviewer: AbstractBaseUser) -> Progress:
    ops = connection.ops
    params = {
        "operation": operation.pk,
        "reviewer": reviewer.pk,
        "today": ops.adapt_datefield_value(timezone.localdate()),
        "now": ops.adapt_datetimefield_value(timezone.now()),
        "bound": AVAILABLE_COUNTED + 1,
    }
    with connection.cursor() as cursor:
        cursor.execute(_PROGRESS_SQL, params)
        assigned, done, skipped, open_, overdue, available = cursor.fetchone()
    return Progress(
        assigned=assigned,
        done=done,
        skipped=skipped,
        open=open_,
        overdue=overdue,
        available=available,
    )


@dataclass(frozen=True)
class ItemAgreement:
    key: str
    label: str
    agreement: Agreement


@dataclass(frozen=True)
class WeekAgreement:
    week: str
    week_start: date
    pairs: int
    items: list[ItemAgreement]


def agreement_by_week(operation: Operation, definition: dict) -> list[WeekAgreement]:
    """Per week with blind double reviews: raw agreement and Cohen's kappa per rubric item."""
    scores = (
        RubricScore.objects.filter(item__draw__operation=operation)
        .select_related("item", "item__draw")
        .order_by("item__draw__week_start", "item__conversation_id", "item__is_double")
    )
    pairs_by_week: dict[tuple[str, date], dict[int, dict[bool, RubricScore]]] = {}
    for score in scores:
        key = (score.item.draw.week, score.item.draw.week_start)
        by_conversation = pairs_by_week.setdefault(key, {})
        by_conversation.setdefault(score.item.conversation_id, {})[score.item.is_double] = score
    weeks = []
    for (week, week_start), by_conversation in sorted(pairs_by_week.items(), reverse=True):
        pairs = [(p[False], p[True]) for p in by_conversation.values() if len(p) == 2]
        if not pairs:
            continue
        items = [
            ItemAgreement(
                key=item["key"],
                label=item["label"],
                agreement=cohen_kappa(
                    [a.answers.get(item["key"]) for a, _ in pairs],
                    [b.answers.get(item["key"]) for _, b in pairs],
                ),
            )
            for item in agreement_items(definition)
        ]
        weeks.append(WeekAgreement(week=week, week_start=week_start, pairs=len(pairs), items=items))
    return weeks


def calibration_cases_for(operation: Operation) -> QuerySet[CalibrationCase]:
    return operation.calibration_cases.select_related(
        "conversation", "resolved_by", "first_score__reviewer", "second_score__reviewer"
    )


def weekly_scores_for(operation: Operation) -> QuerySet[WeeklyReviewScore]:
    return WeeklyReviewScore.objects.filter(operation=operation).order_by("-week_start", "segment")


def draws_for(operation: Operation) -> QuerySet[SamplingDraw]:
    return operation.draws.annotate(n_items=Count("items"))
