"""The weekly review_score and missed-handoff rate, through the draw, the queue and the scores."""

import pytest

from metrics.models import WeeklyReviewScore
from sampling.indicators import weekly_estimates
from sampling.services import review_item_next, review_item_score, sample_draw
from tests.sampling.factories import MONDAY, WEEK, plan_set, week_make
from tests.sampling.test_views import ANSWERS


def score_all(operation, reviewer, truth):
    while (item := review_item_next(operation=operation, reviewer=reviewer)) is not None:
        missed, acceptable = truth[item.conversation_id]
        answers = {
            **ANSWERS,
            "handoff_verdict": "missed_handoff" if missed else "not_escalated_correct",
            "acceptable": "yes" if acceptable else "no",
        }
        review_item_score(item=item, reviewer=reviewer, answers=answers)


def test_weighting_undoes_the_oversampled_stratum(personas):
    """Population: 100 asked-for-a-human-but-not-escalated conversations (half of them missed
    handoffs) among 1,500. True missed-handoff rate 70 / 1,500 = 4.7 %; the targeted stratum is
    oversampled, so the plain share of the sample is far higher."""
    op = personas.operation
    plan_set(op, per_week=120, complex_share=0.5)
    asked = week_make(op, 100, start=0, asked=True, complexity="complex")
    simple = week_make(op, 700, start=1000, complexity="simple")
    complex_ = week_make(op, 700, start=2000, complexity="complex")
    truth = {}
    for i, c in enumerate(asked):
        truth[c.pk] = (i % 2 == 0, i % 2 == 1)
    for i, c in enumerate(simple + complex_):
        truth[c.pk] = (i % 70 == 0, i % 10 != 0)  # 20 missed handoffs, 90 % acceptable
    true_missed = sum(m for m, _ in truth.values()) / len(truth)
    true_acceptable = sum(a for _, a in truth.values()) / len(truth)

    sample_draw(operation=op, week=WEEK)
    score_all(op, personas.reviewer, truth)

    rows = {r.segment: r for r in WeeklyReviewScore.objects.filter(operation=op)}
    assert set(rows) == {"all", "simple", "complex"}
    whole = rows["all"]
    assert whole.week_start == MONDAY and whole.reviewed == 120
    assert whole.missed_handoff_lo <= true_missed <= whole.missed_handoff_hi
    assert whole.acceptable_lo <= whole.acceptable_share <= whole.acceptable_hi
    assert whole.missed_handoff_count == pytest.approx(whole.missed_handoff_share * 1500)

    estimate = next(
        e for e in weekly_estimates(operation=op, week_start=MONDAY) if e.segment == "all"
    )
    unweighted = estimate.missed_handoff.unweighted
    # review_score: the weighting moves the share toward the truth too (the unweighted share
    # over-counts the half-unacceptable targeted stratum).
    assert abs(whole.acceptable_share - true_acceptable) < abs(
        estimate.acceptable.unweighted - true_acceptable
    )
    assert not whole.missed_handoff_lo <= unweighted <= whole.missed_handoff_hi
    assert unweighted > 2 * true_missed
    # Simple conversations hold none of the targeted stratum: their own estimate stands apart.
    assert rows["simple"].reviewed + rows["complex"].reviewed == 120
    assert rows["simple"].missed_handoff_share < rows["complex"].missed_handoff_share


def test_blind_second_reviews_do_not_count_twice(personas):
    op = personas.operation
    plan_set(op, per_week=20)
    week_make(op, 40)
    draw = sample_draw(operation=op, week=WEEK)
    assert draw.items.filter(is_double=True).count() == 2
    from tests.conftest import make_member

    second = make_member(personas.org, "second", department="cx", role="senior_reviewer")
    truth = dict.fromkeys(draw.items.values_list("conversation_id", flat=True), (False, True))
    score_all(op, personas.reviewer, truth)
    score_all(op, second, truth)
    assert WeeklyReviewScore.objects.get(operation=op, segment="all").reviewed == 20
