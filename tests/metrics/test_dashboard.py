"""The operation dashboard: what a member sees, who may see it, and that it stays fast."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics.detection.indicators import rate_point
from metrics.reporting.dashboard import (
    assess,
    missed_rising,
    operation_today,
    week_since_go_live,
)
from tests.criteria.signing import agree
from tests.metrics.dashboard_data import add_recent_days, add_review_weeks

pytestmark = pytest.mark.django_db


def url(operation, **params):
    base = reverse("metrics:dashboard", args=[operation.slug])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


@pytest.fixture
def agreed(personas):
    agree(personas)
    return personas


def test_members_of_every_role_see_the_dashboard(agreed, client):
    for user in (agreed.facilitator, agreed.member, agreed.reviewer, agreed.viewer):
        client.force_login(user)
        response = client.get(url(agreed.operation))
        assert response.status_code == 200, user
        assert b"Escalation rate" in response.content


def test_other_organizations_get_404_and_anonymous_users_log_in(agreed, client):
    client.force_login(agreed.outsider)
    assert client.get(url(agreed.operation)).status_code == 404
    client.logout()
    response = client.get(url(agreed.operation))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_operation_pages_link_to_the_dashboard(agreed, client):
    client.force_login(agreed.viewer)
    page = client.get(reverse("criteria:operation_detail", args=[agreed.operation.slug]))
    assert url(agreed.operation).encode() in page.content


def test_charts_show_the_agreed_band_and_every_day(agreed, client):
    add_recent_days(agreed.operation, 28)
    client.force_login(agreed.member)
    response = client.get(url(agreed.operation, days=28))
    html = response.content.decode()
    assert html.count("<svg") == 7  # six indicators and the missed handoffs
    assert 'class="band"' in html
    # 28 days of escalation points in the escalation chart.
    escalation_svg = html.split('id="panel-escalation_rate"')[1].split("</svg>")[0]
    assert escalation_svg.count('class="point') == 28
    assert "in range" in html
    human = html.split('id="panel-human_requested"')[1].split("</section>")[0]
    assert "no agreed range" in human  # no status without a range to judge it by
    assert "No open alerts." in html


def test_an_out_of_range_indicator_says_since_when(agreed, client):
    add_recent_days(agreed.operation, 40, collapse_days=5)
    since = operation_today(agreed.operation) - timedelta(days=4)
    client.force_login(agreed.member)
    html = client.get(url(agreed.operation, days=90)).content.decode()
    assert "out of range (below)" in html
    assert (
        "Escalation rate has been below its range (8\u00a0%–25\u00a0%) since "
        f"{since.day} {since.strftime('%B')} {since.year}"
    ) in html


def test_escalation_falling_while_missed_handoffs_rise_is_a_loud_warning(agreed, client):
    add_recent_days(agreed.operation, 60, collapse_days=10)
    add_review_weeks(agreed.operation, [0.02, 0.02, 0.02, 0.04, 0.1, 0.16])
    client.force_login(agreed.viewer)
    html = client.get(url(agreed.operation)).content.decode()
    assert 'id="handoff-warning"' in html
    assert "Warning: escalations down, missed handoffs up" in html
    assert "16\u00a0% of non-escalated conversations" in html


def test_no_warning_when_escalations_hold_and_handoffs_are_not_missed(agreed, client):
    add_recent_days(agreed.operation, 60)
    add_review_weeks(agreed.operation, [0.02, 0.04, 0.02, 0.02])
    client.force_login(agreed.viewer)
    html = client.get(url(agreed.operation)).content.decode()
    assert "handoff-warning" not in html
    assert "handoff-caution" not in html


def test_low_escalations_without_review_data_are_flagged_as_unverified(agreed, client):
    add_recent_days(agreed.operation, 30, collapse_days=5)
    client.force_login(agreed.viewer)
    html = client.get(url(agreed.operation)).content.decode()
    assert 'id="handoff-caution"' in html
    assert "no reviewed sample" in html


def test_no_data_shows_empty_charts_and_no_data_status(agreed, client):
    client.force_login(agreed.viewer)
    html = client.get(url(agreed.operation)).content.decode()
    assert html.count("No data in this period") == 7
    assert "no data" in html


def test_week_since_go_live_is_shown(agreed, client):
    operation = agreed.operation
    operation.go_live = operation_today(operation) - timedelta(days=20)
    operation.save()
    client.force_login(agreed.viewer)
    assert "Week 3 since go-live" in client.get(url(operation)).content.decode()


def test_the_period_selector_keeps_to_the_offered_periods(agreed, client):
    client.force_login(agreed.viewer)
    html = client.get(url(agreed.operation, days=28)).content.decode()
    assert '<option value="28" selected>' in html
    html = client.get(url(agreed.operation, days=5)).content.decode()
    assert '<option value="90" selected>' in html
    html = client.get(url(agreed.operation, days="x")).content.decode()
    assert '<option value="90" selected>' in html


def test_query_count_does_not_grow_with_the_number_of_days(
    agreed, client, django_assert_max_num_queries
):
    operation = agreed.operation
    end = operation_today(operation)
    add_recent_days(operation, 30, end=end)
    add_review_weeks(operation, [0.02, 0.03])
    client.force_login(agreed.member)
    with CaptureQueriesContext(connection) as few_days:
        assert client.get(url(operation, days=365)).status_code == 200
    assert len(few_days) <= 15
    add_recent_days(operation, 335, end=end - timedelta(days=30))
    add_review_weeks(operation, [0.02] * 40, end=end - timedelta(weeks=3))
    with django_assert_max_num_queries(len(few_days)):
        response = client.get(url(operation, days=365))
    html = response.content.decode()
    escalation_svg = html.split('id="panel-escalation_rate"')[1].split("</svg>")[0]
    assert escalation_svg.count('class="point') == 365


# ----------------------------------------------------------------------------------------
# The judgements behind the page


def points(rates, start=date(2027, 3, 1), n=1000):
    return [
        rate_point(start + timedelta(days=i), round(r * n), n)
        for i, r in enumerate(rates)
        if r is not None
    ]


def test_assess_finds_the_start_of_the_current_run_out_of_range():
    a = assess(points([0.15, 0.02, 0.15, 0.03, None, 0.02, 0.01]), 0.08, 0.25)
    assert a.status == "out_of_range"
    assert a.direction == "below"
    assert a.clear
    assert a.since == date(2027, 3, 4)  # the missing day neither breaks nor extends the run


def test_assess_in_range_and_no_data():
    assert assess(points([0.02, 0.15]), 0.08, 0.25).status == "in_range"
    assert assess([], 0.08, 0.25).status == "no_data"
    above = assess(points([0.3, 0.3]), 0.08, 0.25)
    assert (above.direction, above.since, above.since_open) == ("above", date(2027, 3, 1), True)


def test_assess_says_when_a_value_outside_is_within_noise():
    noisy = assess(points([0.06], n=50), 0.08, 0.25)
    assert noisy.status == "out_of_range"
    assert not noisy.clear


def test_week_since_go_live():
    assert week_since_go_live(date(2027, 1, 15), date(2027, 1, 15)) == "week 1 since go-live"
    assert week_since_go_live(date(2027, 1, 15), date(2027, 1, 22)) == "week 2 since go-live"
    assert week_since_go_live(None, date(2027, 1, 15)) == "go-live date not set"
    assert week_since_go_live(date(2027, 1, 15), date(2027, 1, 14)).startswith("goes live in 1 day")


def test_missed_handoffs_rise_only_on_a_real_step_up():
    from metrics.reporting.dashboard import WeekPoint

    def weeks(rates):
        return [
            WeekPoint(date(2027, 3, 7) + timedelta(weeks=i), r, 0, 1, 50)
            for i, r in enumerate(rates)
        ]

    assert missed_rising(weeks([0.02, 0.02, 0.02, 0.08]))
    assert not missed_rising(weeks([0.02, 0.02, 0.02, 0.03]))
    assert not missed_rising(weeks([0.1, 0.1, 0.1, 0.1]))
    assert not missed_rising(weeks([0.2]))


# ----------------------------------------------------------------------------------------
# Alerts and reviews from the drift engine


def test_open_alerts_reviews_and_markers_appear(agreed, client, mailoutbox):
    from metrics.alerts.lifecycle import drift_evaluate

    operation = agreed.operation
    add_recent_days(operation, 60, collapse_days=6)
    drift_evaluate(operation=operation, through=operation_today(operation))
    client.force_login(agreed.viewer)
    html = client.get(url(operation)).content.decode()
    alerts = html.split('id="open-alerts"')[1].split("</section>")[0]
    assert "Escalation rate" in alerts
    assert "Below the range" in alerts
    reviews = html.split('id="open-reviews"')[1].split("</section>")[0]
    assert "Operations" in reviews  # the escalation trigger's owner
    escalation_svg = html.split('id="panel-escalation_rate"')[1].split("</svg>")[0]
    assert 'class="marker"' in escalation_svg


def test_query_count_with_alerts_does_not_grow_with_days(
    agreed, client, django_assert_max_num_queries, mailoutbox
):
    from metrics.alerts.lifecycle import drift_evaluate

    operation = agreed.operation
    end = operation_today(operation)
    add_recent_days(operation, 30, collapse_days=6, end=end)
    drift_evaluate(operation=operation, through=end)
    client.force_login(agreed.member)
    with CaptureQueriesContext(connection) as few_days:
        client.get(url(operation, days=365))
    add_recent_days(operation, 335, end=end - timedelta(days=30))
    with django_assert_max_num_queries(len(few_days)):
        assert client.get(url(operation, days=365)).status_code == 200


def test_a_falling_escalation_rate_still_in_range_warns_when_missed_handoffs_rise(agreed, client):
    """The early Klarna signal: still inside the range, but falling, and reviewers see more
    conversations that should have gone to a person."""
    operation = agreed.operation
    end = operation_today(operation)
    add_recent_days(operation, 46, end=end - timedelta(days=14))
    add_recent_days_at(operation, 14, 0.10, end=end)
    add_review_weeks(operation, [0.02, 0.02, 0.03, 0.02, 0.09])
    client.force_login(agreed.viewer)
    html = client.get(url(operation)).content.decode()
    assert "in range" in html.split('id="panel-escalation_rate"')[1].split("</section>")[0]
    assert 'id="handoff-warning"' in html
    assert "Escalation rate is falling while" in html


def add_recent_days_at(operation, days, rate, *, end):
    from tests.metrics.drift_data import add_days

    add_days(operation, end - timedelta(days=days - 1), days, escalation=rate)


def test_escalation_falling_needs_a_real_drop():
    from metrics.reporting.dashboard import escalation_falling

    end = date(2027, 3, 28)
    steady = points([0.15] * 28)
    assert not escalation_falling(steady, end)
    falling = points([0.15] * 14 + [0.10] * 14)
    assert escalation_falling(falling, end)
    slight = points([0.15] * 14 + [0.14] * 14)
    assert not escalation_falling(slight, end)
    assert not escalation_falling(points([0.15] * 14 + [0.05] * 14, n=0), end)


def test_a_quiet_feed_is_said_loudly(agreed, client):
    operation = agreed.operation
    end = operation_today(operation)
    add_recent_days(operation, 30, end=end - timedelta(days=9))
    last = end - timedelta(days=9)
    client.force_login(agreed.viewer)
    html = client.get(url(operation)).content.decode()
    assert f"No daily data since {last.day} {last.strftime('%B')} {last.year} (9 days)." in html
    # Data through yesterday is the normal state: nothing to say.
    add_recent_days(operation, 8, end=end - timedelta(days=1))
    assert "No daily data since" not in client.get(url(operation)).content.decode()
