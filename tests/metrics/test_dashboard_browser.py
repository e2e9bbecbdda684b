"""The dashboard in real Chromium: the inline SVG charts lay out and the period links work."""

import pytest
from django.urls import reverse

from tests.criteria.signing import agree
from tests.criteria.test_browser import browser, open_as  # noqa: F401 - the shared fixture
from tests.metrics.dashboard_data import add_recent_days, add_review_weeks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_charts_render_and_the_period_changes(browser, live_server, personas):  # noqa: F811
    agree(personas)
    add_recent_days(personas.operation, 60, collapse_days=8)
    add_review_weeks(personas.operation, [0.02, 0.02, 0.02, 0.1, 0.16])
    page = open_as(browser, live_server, "viewer")
    page.goto(live_server.url + reverse("metrics:dashboard", args=[personas.operation.slug]))

    assert "Warning: escalations down, missed handoffs up" in page.inner_text("#handoff-warning")
    charts = page.locator("svg.chart")
    assert charts.count() == 8
    escalation = page.locator("#panel-escalation_rate svg.chart").first
    box = escalation.bounding_box()
    assert box["width"] > 300 and box["height"] > 90
    assert escalation.locator("circle.point").count() == 60

    page.click('a[href="?days=28"]')
    page.wait_for_url("**?days=28")
    assert escalation.locator("circle.point").count() == 28
    assert page.locator("#days").input_value() == "28"
