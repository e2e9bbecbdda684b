"""Daily aggregates written straight to the table, for the indicator and drift tests."""

from collections.abc import Callable
from datetime import date, timedelta

from criteria.models import Operation
from metrics.models import DailyAggregate


def add_days(
    operation: Operation,
    start: date,
    days: int,
    *,
    n: int = 1000,
    escalation: float | Callable[[int], float] = 0.15,
    complex_share: float = 0.3,
    fcr: float = 0.85,
    skip: set[int] | None = None,
) -> None:
    """`days` local days from `start`; `escalation` may be a function of the day index."""
    rows = []
    for i in range(days):
        if skip and i in skip:
            continue
        day = start + timedelta(days=i)
        rate = escalation(i) if callable(escalation) else escalation
        n_complex = round(n * complex_share)
        for segment, count in (("simple", n - n_complex), ("complex", n_complex)):
            # Deterministic, slightly wobbly counts: in control but not perfectly flat.
            wobble = ((i * 7 + len(segment)) % 5 - 2) / 1000
            esc = min(count, max(0, round(count * max(0.0, rate + wobble))))
            rows.append(
                DailyAggregate(
                    operation=operation,
                    date=day,
                    segment=segment,
                    conversations=count,
                    escalated=esc,
                    resolved_first_contact=round(count * 0.9 * fcr),
                    resolved_known=round(count * 0.9),
                    human_requested=round(count * 0.05),
                    human_requested_known=count,
                    csat_sum=count * 4,
                    csat_count=count,
                    source="daily",
                )
            )
    DailyAggregate.objects.bulk_create(rows)
