"""The reviewers' weekly call reaches the dashboard and the executive status report."""

from datetime import date

import pytest
from django.urls import reverse

from metrics.ingest.review_scores import (
    reviewer_recommendation_latest,
    reviewer_recommendation_record,
)
from metrics.reporting.status_report import status_report_build
from tests.criteria.signing import agree
from tests.criteria.test_views import login


def test_latest_recommendation_is_shown_on_dashboard_and_in_report(client, personas):
    agree(personas)
    op = personas.operation
    reviewer_recommendation_record(
        operation=op,
        week_start=date(2026, 11, 16),
        reviewer=personas.reviewer,
        decision="continue",
        reason="Handoffs work.",
    )
    reviewer_recommendation_record(
        operation=op,
        week_start=date(2026, 11, 25),
        reviewer=personas.reviewer,
        decision="pause",
        reason="Refund disputes are kept by the AI.",
    )
    latest = reviewer_recommendation_latest(op)
    assert latest.decision == "pause" and latest.week_start == date(2026, 11, 23)
    login(client, personas.viewer)
    body = client.get(reverse("metrics:dashboard", args=[op.slug])).content.decode()
    assert "Refund disputes are kept by the AI." in body and "Pause" in body
    reviews = client.get(reverse("metrics:review_list", args=[op.slug])).content.decode()
    assert "Refund disputes are kept by the AI." in reviews
    report = status_report_build(op, through=date(2026, 11, 30))
    assert report.recommendation.startswith("Pause (Senior, week 2026-W48)")


def test_one_call_per_reviewer_and_week(personas):
    op = personas.operation
    for reason in ("first", "second"):
        reviewer_recommendation_record(
            operation=op,
            week_start=date(2026, 11, 23),
            reviewer=personas.reviewer,
            decision="adjust",
            reason=reason,
        )
    assert op.reviewer_recommendations.count() == 1
    assert op.reviewer_recommendations.get().reason == "second"


def test_a_recommendation_needs_a_reason_and_a_known_decision(personas):
    from accounts.errors import StoplineError

    op = personas.operation
    for decision, reason in (("pause", "  "), ("stop", "Because.")):
        with pytest.raises(StoplineError):
            reviewer_recommendation_record(
                operation=op,
                week_start=date(2026, 11, 23),
                reviewer=personas.reviewer,
                decision=decision,
                reason=reason,
            )
    assert not op.reviewer_recommendations.exists()
