"""Daily aggregates written straight to the table, for the indicator and drift tests."""

from collections.abc import Callable
from datetime import date, timedelta

from config.freshness import operation_changed
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
    operation_changed(operation.pk)  # as ingestion does


def add_noisy_days(
    operation: Operation,
    start: date,
    days: int,
    *,
    seed: int = 1,
    fcr_complex: Callable[[int], float] | None = None,
    escalation: Callable[[int], float] | None = None,
    volume: int = 2000,
) -> None:
    """In-control days with weekly seasonality, extra day-to-day variance and binomial noise
    (normal approximation): escalation ~15 %, complex FCR ~62 %, simple FCR ~88 %, about
    ``volume`` conversations a day; ``fcr_complex`` and ``escalation`` may move them."""
    import math
    import random

    rng = random.Random(seed)

    def draw(n: int, p: float) -> int:
        p = min(max(p + rng.gauss(0, 0.008), 0.0), 1.0)
        return min(n, max(0, round(n * p + rng.gauss(0, math.sqrt(n * p * (1 - p))))))

    weekday_volume = [1.15, 1.1, 1.05, 1.0, 0.95, 0.75, 0.6]
    rows = []
    for i in range(days):
        day = start + timedelta(days=i)
        n = round(volume * weekday_volume[day.weekday()] * rng.uniform(0.9, 1.1))
        n_complex = draw(n, 0.30)
        complex_fcr = fcr_complex(i) if fcr_complex else 0.62
        segments = (("simple", n - n_complex, 0.88), ("complex", n_complex, complex_fcr))
        for segment, count, fcr in segments:
            known = round(count * 0.9)
            rows.append(
                DailyAggregate(
                    operation=operation,
                    date=day,
                    segment=segment,
                    conversations=count,
                    escalated=draw(count, escalation(i) if escalation else 0.15),
                    resolved_first_contact=draw(known, fcr),
                    resolved_known=known,
                    source="daily",
                )
            )
    DailyAggregate.objects.bulk_create(rows)
    operation_changed(operation.pk)  # as ingestion does
