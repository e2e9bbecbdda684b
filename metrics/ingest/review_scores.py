"""The hand-over point from sampling: sampling computes, metrics stores and watches."""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from accounts.errors import StoplineError
from config.freshness import operation_changed
from criteria.models import Operation
from metrics.models import ReviewerRecommendation, WeeklyReviewScore
from metrics.weeks import week_start_of


@transaction.atomic
def weekly_review_score_record(
    *,
    operation: Operation,
    week_start: date,
    segment: str,
    reviewed: int,
    acceptable: tuple[float, float, float] | None,
    missed_handoff: tuple[float, float, float] | None,
    missed_handoff_count: float | None = None,
) -> WeeklyReviewScore:
    """Upsert one week's score. Tuples are (estimate, lower, upper); None = no estimate."""
    week_start = week_start_of(week_start)
    acc = acceptable or (None, None, None)
    mis = missed_handoff or (None, None, None)
    operation_changed(operation.pk)
    row, _ = WeeklyReviewScore.objects.update_or_create(
        operation=operation,
        week_start=week_start,
        segment=segment,
        defaults={
            "reviewed": reviewed,
            "acceptable_share": acc[0],
            "acceptable_lo": acc[1],
            "acceptable_hi": acc[2],
            "missed_handoff_share": mis[0],
            "missed_handoff_lo": mis[1],
            "missed_handoff_hi": mis[2],
            "missed_handoff_count": missed_handoff_count,
        },
    )
    return row


def reviewer_recommendation_record(
    *,
    operation: Operation,
    week_start: date,
    reviewer: AbstractBaseUser,
    decision: str,
    reason: str,
) -> ReviewerRecommendation:
    """Upsert one reviewer's weekly call (one per reviewer and week; re-saving replaces it).

    Sampling's recommendation form calls this; metrics shows the latest beside the
    indicators, in the reviews and in the status report.
    """
    if decision not in ReviewerRecommendation.Decision.values:
        raise StoplineError("Choose continue, adjust or pause.", fields={"decision": "invalid"})
    reason = (reason or "").strip()
    if not reason:
        raise StoplineError("Give the reason for your recommendation.", fields={"reason": ""})
    operation_changed(operation.pk)
    row, _ = ReviewerRecommendation.objects.update_or_create(
        operation=operation,
        week_start=week_start_of(week_start),
        reviewer=reviewer,
        defaults={
            "decision": decision,
            "reason": reason[:5000],
            "reviewer_name": reviewer.get_full_name() or reviewer.get_username(),
        },
    )
    return row


def reviewer_recommendation_latest(operation: Operation) -> ReviewerRecommendation | None:
    return (
        ReviewerRecommendation.objects.filter(operation=operation)
        .order_by("-week_start", "-recorded_at")
        .first()
    )
