"""The dashboard with a year of data: a flat number of queries, drawn once per data version,
and what a member does (ingest a file, act on an alert) shows on the next view."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership
from bench.samples import conversation_rows, rows_to_csv
from metrics.alerts.reviews import alert_act
from metrics.ingest.services import ingestion_run_create, ingestion_run_execute
from metrics.models import DailyAggregate
from metrics.reporting.dashboard import operation_today
from tests.criteria.signing import agree
from tests.metrics.alert_data import make_alert
from tests.metrics.dashboard_data import add_recent_days, add_review_weeks

pytestmark = pytest.mark.django_db


@pytest.fixture
def year(personas):
    """An agreed operation with a year of daily data (2,000 conversations a day)."""
    agree(personas)
    end = operation_today(personas.operation)
    add_recent_days(personas.operation, 365, end=end, collapse_days=10)
    add_review_weeks(personas.operation, [0.02] * 50)
    return personas


def url(operation, days=365):
    return reverse("metrics:dashboard", args=[operation.slug]) + f"?days={days}"


def test_the_dashboard_queries_stay_flat_with_alerts_and_are_fewer_once_drawn(
    year, client, django_assert_max_num_queries
):
    operation = year.operation
    today = operation_today(operation)
    make_alert(operation, opened_on=today - timedelta(days=3))
    client.force_login(year.member)
    with CaptureQueriesContext(connection) as first:
        assert client.get(url(operation)).status_code == 200
    for i in range(20):
        make_alert(operation, opened_on=today - timedelta(days=40 + i * 7), state="resolved")
    make_alert(operation, indicator="fcr_simple", opened_on=today - timedelta(days=5))
    with django_assert_max_num_queries(len(first)):
        html = client.get(url(operation)).content.decode()
    assert html.count('class="marker"') >= 22  # each alert of the year is marked on a chart
    # Nothing changed: the page is served from what was drawn (session, user, operation).
    with django_assert_max_num_queries(4) as cached:
        again = client.get(url(operation)).content.decode()
    assert again.count('class="marker"') == html.count('class="marker"')
    assert len(cached.captured_queries) < len(first)


def test_an_ingested_file_shows_on_the_next_view(personas, client, media_root):
    agree(personas)
    operation = personas.operation
    client.force_login(personas.viewer)
    before = client.get(url(operation, days=28)).content.decode()
    assert "Escalation rate: no data in this period" in before
    yesterday = operation_today(operation) - timedelta(days=1)
    start = datetime(yesterday.year, yesterday.month, yesterday.day, 10, tzinfo=UTC)
    csv = rows_to_csv(conversation_rows(200, seed=3, start=start, days=1)).encode()
    run = ingestion_run_create(operation=operation, file=io.BytesIO(csv), file_name="day.csv")
    assert ingestion_run_execute(run_id=run.pk).status == "done"
    after = client.get(url(operation, days=28)).content.decode()
    assert "Escalation rate: no data in this period" not in after


def test_acting_on_an_alert_shows_on_the_next_view(year, client):
    operation = year.operation
    alert = make_alert(operation, opened_on=operation_today(operation) - timedelta(days=2))
    client.force_login(year.facilitator)
    assert "Acknowledged" not in client.get(url(operation)).content.decode()
    membership = Membership.objects.get(user=year.facilitator)
    alert_act(alert=alert, membership=membership, action="acknowledge")
    assert "Acknowledged" in client.get(url(operation)).content.decode()


def test_the_cached_page_is_only_served_to_members(year, client):
    client.force_login(year.member)
    assert client.get(url(year.operation)).status_code == 200
    client.force_login(year.outsider)
    assert client.get(url(year.operation)).status_code == 404


def test_the_alert_list_shows_an_acknowledgement_at_once(year, client):
    operation = year.operation
    alert = make_alert(operation, opened_on=operation_today(operation) - timedelta(days=2))
    url = reverse("metrics:alert_list", args=[operation.slug])
    client.force_login(year.facilitator)
    assert 'data-state="open"' in client.get(url).content.decode()
    membership = Membership.objects.get(user=year.facilitator)
    alert_act(alert=alert, membership=membership, action="acknowledge")
    assert 'data-state="acknowledged"' in client.get(url).content.decode()
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div id="alert-tables">')
    assert 'data-state="acknowledged"' in fragment


def test_a_change_in_the_admin_shows_on_the_next_view(personas, client, admin_client, media_root):
    """The admin is where an operator mends bad data: adding a day or deleting days there shows
    at once, as an ingested file does, not when the cached page expires."""
    agree(personas)
    operation = personas.operation
    client.force_login(personas.viewer)
    assert (
        "Escalation rate: no data in this period" in client.get(url(operation, 28)).content.decode()
    )
    yesterday = operation_today(operation) - timedelta(days=1)
    added = admin_client.post(
        reverse("admin:metrics_dailyaggregate_add"),
        {
            "operation": operation.pk,
            "date": yesterday.isoformat(),
            "segment": "simple",
            "conversations": 200,
            "escalated": 30,
            "resolved_known": 0,
            "human_requested_known": 0,
            "csat_sum": 0,
            "csat_count": 0,
            "survey_comments": 0,
            "survey_complaints": 0,
            "source": "daily",
        },
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    page = client.get(url(operation, 28)).content.decode()
    assert "Escalation rate: no data in this period" not in page
    days = list(DailyAggregate.objects.filter(operation=operation).values_list("pk", flat=True))
    deleted = admin_client.post(
        reverse("admin:metrics_dailyaggregate_changelist"),
        {"action": "delete_selected", "_selected_action": days, "post": "yes"},
    )
    assert deleted.status_code == 302
    assert not DailyAggregate.objects.filter(operation=operation).exists()
    assert (
        "Escalation rate: no data in this period" in client.get(url(operation, 28)).content.decode()
    )
