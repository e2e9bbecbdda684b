"""The week's qualitative indicators, handed to metrics (metrics.ingest.review_scores).

From the primary (not the blind second) reviews of a week's draw:

- ``review_score``: the share of conversations rated acceptable (a failed critical item makes
  a conversation unacceptable), weighted by inverse inclusion probability, for all
  conversations and split simple/complex;
- the missed-handoff rate: among non-escalated conversations, the weighted share the reviewer
  judged "not escalated but should have been", with the estimated count in the week.

Estimates and 95 % intervals come from sampling.weighting.weighted_proportion (Hajek estimate,
stratified linearised variance, Wilson interval on the effective sample size). Skipped items
are left out: the estimate then assumes they resemble the scored items of their stratum.
"""

from dataclasses import dataclass
from datetime import date

from criteria.models import Operation
from metrics.ingest.review_scores import weekly_review_score_record
from metrics.models import WeeklyReviewScore
from sampling.models import HandoffVerdict, ReviewItem, RubricScore
from sampling.weighting import ProportionEstimate, weighted_proportion

SEGMENTS = ("all", "simple", "complex")


@dataclass(frozen=True)
class WeekEstimate:
    segment: str
    reviewed: int
    acceptable: ProportionEstimate | None
    missed_handoff: ProportionEstimate | None


def _estimate(rows: list[tuple[bool, float, str]]) -> ProportionEstimate | None:
    if not rows:
        return None
    outcomes, probabilities, strata = zip(*rows, strict=True)
    return weighted_proportion(list(outcomes), list(probabilities), list(strata))


def weekly_estimates(*, operation: Operation, week_start: date) -> list[WeekEstimate]:
    scores = list(
        RubricScore.objects.filter(
            item__draw__operation=operation,
            item__draw__week_start=week_start,
            item__is_double=False,
            item__status=ReviewItem.Status.DONE,
        ).values(
            "acceptable",
            "verdict",
            "item__inclusion_probability",
            "item__stratum",
            "item__conversation__complexity",
            "item__conversation__escalated",
        )
    )
    estimates = []
    for segment in SEGMENTS:
        chosen = [
            s for s in scores if segment == "all" or s["item__conversation__complexity"] == segment
        ]
        acceptable = [
            (s["acceptable"], s["item__inclusion_probability"], s["item__stratum"]) for s in chosen
        ]
        missed = [
            (
                s["verdict"] == HandoffVerdict.MISSED_HANDOFF,
                s["item__inclusion_probability"],
                s["item__stratum"],
            )
            for s in chosen
            if not s["item__conversation__escalated"]
        ]
        estimates.append(
            WeekEstimate(
                segment=segment,
                reviewed=len(chosen),
                acceptable=_estimate(acceptable),
                missed_handoff=_estimate(missed),
            )
        )
    return estimates


def _triple(estimate: ProportionEstimate | None) -> tuple[float, float, float] | None:
    return None if estimate is None else (estimate.estimate, estimate.lower, estimate.upper)


def weekly_indicators_record(*, operation: Operation, week_start: date) -> list[WeeklyReviewScore]:
    """Compute the week's estimates and hand them to metrics (an idempotent upsert)."""
    return [
        weekly_review_score_record(
            operation=operation,
            week_start=week_start,
            segment=e.segment,
            reviewed=e.reviewed,
            acceptable=_triple(e.acceptable),
            missed_handoff=_triple(e.missed_handoff),
            missed_handoff_count=e.missed_handoff.estimated_count if e.missed_handoff else None,
        )
        for e in weekly_estimates(operation=operation, week_start=week_start)
    ]
