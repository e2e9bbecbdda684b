"""Data for the dashboard and status-report tests: days ending today, weekly review scores."""

from datetime import date, timedelta

from config.freshness import operation_changed
from criteria.models import Operation
from metrics.detection import stats
from metrics.models import WeeklyReviewScore
from metrics.reporting.dashboard import operation_today
from tests.metrics.drift_data import add_days


def add_recent_days(
    operation: Operation, days: int, *, collapse_days: int = 0, end: date | None = None
) -> date:
    """`days` days of in-range data ending on `end` (default today); the last `collapse_days`
    at a 2 % escalation rate. Returns the first day."""
    end = end or operation_today(operation)
    start = end - timedelta(days=days - 1)
    add_days(
        operation,
        start,
        days,
        escalation=lambda i: 0.02 if i >= days - collapse_days else 0.15,
    )
    return start


def add_review_weeks(
    operation: Operation, missed: list[float], *, end: date | None = None
) -> list[date]:
    """One WeeklyReviewScore per share in `missed` (oldest first), the last week being the
    last complete week before `end`. Returns the week starts."""
    end = end or operation_today(operation)
    last_monday = end - timedelta(days=end.weekday()) - timedelta(weeks=1)
    starts = []
    for i, share in enumerate(missed):
        week_start = last_monday - timedelta(weeks=len(missed) - 1 - i)
        k = round(share * 50)
        lo, hi = stats.wilson_interval(k, 50)
        WeeklyReviewScore.objects.create(
            operation=operation,
            week_start=week_start,
            reviewed=50,
            acceptable_share=0.9,
            acceptable_lo=0.79,
            acceptable_hi=0.96,
            missed_handoff_share=k / 50,
            missed_handoff_lo=lo,
            missed_handoff_hi=hi,
            missed_handoff_count=k * 60,
        )
        starts.append(week_start)
    operation_changed(operation.pk)  # as recording a review score does
    return starts
