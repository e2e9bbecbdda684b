from datetime import date, timedelta

import pytest

from metrics.detection.indicators import day_obs, indicator_series, windows
from metrics.ingest.review_scores import weekly_review_score_record
from metrics.models import DailyAggregate

START = date(2026, 3, 2)


def _row(operation, day, segment, **kw):
    values = {
        "conversations": 100,
        "escalated": 10,
        "resolved_first_contact": None,
        "resolved_known": 0,
        "human_requested": None,
        "human_requested_known": 0,
        "csat_sum": 0,
        "csat_count": 0,
        "source": "daily",
    }
    values.update(kw)
    return DailyAggregate.objects.create(operation=operation, date=day, segment=segment, **values)


def test_rates_per_day_segment_and_known_outcomes(personas):
    op = personas.operation
    _row(
        op,
        START,
        "simple",
        conversations=80,
        escalated=8,
        resolved_first_contact=60,
        resolved_known=70,
        csat_sum=40,
        csat_count=10,
    )
    _row(
        op,
        START,
        "complex",
        conversations=20,
        escalated=6,
        resolved_first_contact=5,
        resolved_known=10,
    )
    s = indicator_series(op, start=START, end=START)
    assert s["conversations"][0].n == 100
    assert s["escalation_rate"][0].rate == pytest.approx(0.14)
    assert s["escalation_rate_complex"][0].rate == pytest.approx(0.3)
    assert s["complex_share"][0].rate == pytest.approx(0.2)
    fcr_simple = s["fcr_simple"][0]
    assert (fcr_simple.successes, fcr_simple.n, fcr_simple.unknown) == (60, 70, 10)
    assert s["fcr_complex"][0].unknown == 10
    assert s["fcr_blended"][0].rate == pytest.approx(65 / 80)
    assert s["csat"][0].rate == pytest.approx(4.0)
    lo, hi = s["escalation_rate"][0].lo, s["escalation_rate"][0].hi
    assert lo < 0.14 < hi
    # Nobody knows about human requests yet: no point at all, not a zero.
    assert s["human_requested"] == []


def test_missing_days_are_missing_and_windows_pool(personas):
    op = personas.operation
    for i in (0, 1, 3):  # day 2 missing
        _row(op, START + timedelta(days=i), "simple", conversations=100, escalated=10 * (i + 1))
    s = indicator_series(op, start=START, end=START + timedelta(days=3))
    assert [p.day for p in s["escalation_rate"]] == [
        START,
        START + timedelta(days=1),
        START + timedelta(days=3),
    ]
    w = windows(s["escalation_rate"], START + timedelta(days=3))
    assert (w[7].successes, w[7].n) == (10 + 20 + 40, 300)
    assert w[7].lo < w[7].rate < w[7].hi


def test_query_count_does_not_depend_on_days(personas, django_assert_num_queries):
    op = personas.operation
    for i in range(60):
        _row(op, START + timedelta(days=i), "simple")
    with django_assert_num_queries(2):
        s = indicator_series(op)
    assert len(s["escalation_rate"]) == 60


def test_review_score_weekly_points_for_detectors(personas):
    op = personas.operation
    weekly_review_score_record(
        operation=op,
        week_start=START,
        segment="all",
        reviewed=50,
        acceptable=(0.8, 0.7, 0.9),
        missed_handoff=None,
    )
    obs = day_obs(op, "review_score")
    assert obs[0].date == START + timedelta(days=6)
    assert (obs[0].successes, obs[0].n) == (40, 50)


def test_rolling_windows_pool_the_days_before(personas):
    from metrics.detection.indicators import rolling

    op = personas.operation
    for i in range(3):
        _row(op, START + timedelta(days=i), "simple", conversations=100, escalated=10 * (i + 1))
    points = rolling(indicator_series(op)["escalation_rate"], 2)
    assert [(p.successes, p.n) for p in points] == [(10, 100), (30, 200), (50, 200)]
