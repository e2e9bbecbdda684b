"""Demo metrics for eu-retail-chat: ~120 days of daily aggregates ending in an escalation
collapse (with survey complaints rising), and weekly review scores whose missed handoffs rise
while escalations fall.

Deterministic (a fixed random seed per day offset) and idempotent: rows are upserted on their
natural keys, so re-running changes nothing for the same --through date.
"""

import math
import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from config.freshness import operation_changed
from criteria.models import Operation
from metrics.detection import stats
from metrics.models import DailyAggregate, WeeklyReviewScore

SLUG = "eu-retail-chat"
SEED = 20270115
OUTCOME_DELAY_DAYS = 7  # a repeat contact can still come within a week: FCR known after that
COLLAPSE_DAYS = 14  # the escalation collapse fills the last two weeks
REVIEW_WEEKS = 10
MEAN_PER_DAY = (5 * 620 + 2 * 380) / 7


def _curve(i: int, days: int) -> dict[str, float]:
    """The true rates on day `i` of `days` (0 = oldest): steady, then the collapse."""
    collapse_start = days - COLLAPSE_DAYS
    # Falls within the first week of the collapse, then stays near the floor.
    k = 0.0 if i < collapse_start else min(1.0, (i - collapse_start + 1) / 6)
    return {
        "esc_simple": 0.11 - 0.095 * k,
        "esc_complex": 0.36 - 0.33 * k,
        "fcr_simple": 0.87 - 0.02 * k,
        "fcr_complex": 0.58 - 0.14 * k,
        "human": 0.07 + 0.05 * k,
        # Survey comments saying "could not reach a person / not understood" (the seed's case:
        # the survey heard the collapse while the tracked metrics still looked fine).
        "complaints": 0.04 + 0.14 * k,
        "complex_share": 0.31 + 0.02 * math.sin(i / 9),
    }


def _binomial(rng: random.Random, n: int, p: float) -> int:
    return stats.binomial_draw(rng, n, min(1.0, max(0.0, p)))


def daily_rows(
    operation: Operation, through: date, days: int, per_day: int | None = None
) -> list[DailyAggregate]:
    """`per_day`: mean conversations a day (default ~550: 620 on weekdays, 380 at weekends)."""
    scale = per_day / MEAN_PER_DAY if per_day else 1.0
    rows = []
    start = through - timedelta(days=days - 1)
    for i in range(days):
        day = start + timedelta(days=i)
        rng = random.Random(SEED * 1000 + i)  # noqa: S311 - demo data, not security
        curve = _curve(i, days)
        volume = (620 if day.weekday() < 5 else 380) * scale
        total = max(50, int(rng.gauss(volume, volume * 0.06)))
        complex_n = _binomial(rng, total, curve["complex_share"])
        age = (through - day).days
        known_share = 1.0 if age >= OUTCOME_DELAY_DAYS else age / OUTCOME_DELAY_DAYS
        # Day-to-day wobble beyond binomial noise, as real operations have.
        wobble = rng.gauss(0, 0.012)
        for segment, n in (("simple", total - complex_n), ("complex", complex_n)):
            known = int(n * known_share)
            csat_count = _binomial(rng, n, 0.18)
            comments = _binomial(rng, n, 0.15)
            rows.append(
                DailyAggregate(
                    operation=operation,
                    date=day,
                    segment=segment,
                    conversations=n,
                    escalated=_binomial(rng, n, curve[f"esc_{segment}"] + wobble),
                    resolved_first_contact=_binomial(rng, known, curve[f"fcr_{segment}"])
                    if known
                    else None,
                    resolved_known=known,
                    human_requested=_binomial(rng, n, curve["human"]),
                    human_requested_known=n,
                    csat_sum=sum(rng.choice((2, 3, 4, 4, 5, 5)) for _ in range(csat_count)),
                    csat_count=csat_count,
                    survey_comments=comments,
                    survey_complaints=_binomial(rng, comments, curve["complaints"]),
                    source=DailyAggregate.Source.DAILY,
                )
            )
    return rows


def review_rows(operation: Operation, through: date) -> list[WeeklyReviewScore]:
    """Complete ISO weeks up to `through`: 50 reviewed a week, missed handoffs rising."""
    last_monday = through - timedelta(days=through.weekday())
    if through.weekday() != 6:  # the current week is not complete yet
        last_monday -= timedelta(weeks=1)
    rows = []
    for w in range(REVIEW_WEEKS):
        week_start = last_monday - timedelta(weeks=REVIEW_WEEKS - 1 - w)
        rng = random.Random(SEED + w)  # noqa: S311 - demo data, not security
        weeks_left = REVIEW_WEEKS - 1 - w  # 0 = the latest week
        reviewed = 50
        acceptable_p = 0.9 if weeks_left >= 2 else 0.74 + 0.04 * weeks_left
        missed_p = 0.02 if weeks_left >= 3 else (0.05, 0.09, 0.15)[2 - weeks_left]
        acceptable = _binomial(rng, reviewed, acceptable_p)
        missed = max(_binomial(rng, reviewed, missed_p), 1 if weeks_left < 3 else 0)
        a_lo, a_hi = stats.wilson_interval(acceptable, reviewed)
        m_lo, m_hi = stats.wilson_interval(missed, reviewed)
        rows.append(
            WeeklyReviewScore(
                operation=operation,
                week_start=week_start,
                segment=WeeklyReviewScore.Segment.ALL,
                reviewed=reviewed,
                acceptable_share=acceptable / reviewed,
                acceptable_lo=a_lo,
                acceptable_hi=a_hi,
                missed_handoff_share=missed / reviewed,
                missed_handoff_lo=m_lo,
                missed_handoff_hi=m_hi,
                missed_handoff_count=round(missed / reviewed * 3400, 1),
            )
        )
    return rows


class Command(BaseCommand):
    help = (
        "Generate ~120 days of demo metrics for eu-retail-chat (run seed_demo first): an "
        "escalation collapse in the last two weeks and rising missed handoffs. Safe to re-run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", default=SLUG, help="Operation (default: %(default)s).")
        parser.add_argument(
            "--through",
            type=date.fromisoformat,
            help="Last day of data, YYYY-MM-DD (default: yesterday in the operation's zone).",
        )
        parser.add_argument("--days", type=int, default=120)
        parser.add_argument(
            "--per-day",
            type=int,
            help="Mean conversations a day (default ~550; the page benchmark uses 2000).",
        )

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        try:
            operation = Operation.objects.get(slug=options["slug"])
        except Operation.DoesNotExist as exc:
            raise CommandError(
                f"No operation {options['slug']!r}: run `python manage.py seed_demo` first."
            ) from exc
        days = options["days"]
        if days < 28:
            raise CommandError("--days must be at least 28.")
        through = options["through"]
        if through is None:
            now = datetime.now(ZoneInfo(operation.timezone))
            through = now.date() - timedelta(days=1)
        start = through - timedelta(days=days - 1)

        daily = daily_rows(operation, through, days, options["per_day"])
        DailyAggregate.objects.bulk_create(
            daily,
            update_conflicts=True,
            unique_fields=["operation", "date", "segment"],
            update_fields=[
                "conversations",
                "escalated",
                "resolved_first_contact",
                "resolved_known",
                "human_requested",
                "human_requested_known",
                "csat_sum",
                "csat_count",
                "survey_comments",
                "survey_complaints",
                "source",
            ],
        )
        reviews = review_rows(operation, through)
        WeeklyReviewScore.objects.bulk_create(
            reviews,
            update_conflicts=True,
            unique_fields=["operation", "week_start", "segment"],
            update_fields=[
                "reviewed",
                "acceptable_share",
                "acceptable_lo",
                "acceptable_hi",
                "missed_handoff_share",
                "missed_handoff_lo",
                "missed_handoff_hi",
                "missed_handoff_count",
                "updated_at",
            ],
        )
        operation_changed(operation.pk)  # written here, not by ingestion: say so
        # The demo's story is an AI that has been live for the whole period shown.
        if operation.go_live is None or operation.go_live > start:
            operation.go_live = start
            operation.save(update_fields=["go_live"])
            self.stdout.write(f"Go-live of {operation.slug} set to {start.isoformat()}.")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(daily)} daily rows ({start.isoformat()} to {through.isoformat()}) and "
                f"{len(reviews)} weekly review scores for {operation.slug}."
            )
        )
        self.stdout.write(f"Open the alerts with: python manage.py evaluate {operation.slug}")
