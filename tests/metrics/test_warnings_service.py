"""The two tiers through the service, the API, the pages and the digest; survey complaints
from ingest to the page; the baseline following the agreement."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from accounts.errors import StoplineError
from criteria.services import draft_ensure
from metrics.alerts.digest import weekly_digest_send
from metrics.alerts.lifecycle import drift_evaluate
from metrics.alerts.reviews import alert_act
from metrics.detection.evaluate import baseline_window
from metrics.ingest.services import ingestion_run_create, ingestion_run_execute
from metrics.models import (
    Alert,
    Conversation,
    DailyAggregate,
    Review,
    SurveyPhrases,
    WarningSettings,
)
from tests.criteria.signing import agree, membership
from tests.metrics.drift_data import add_days

pytestmark = pytest.mark.usefixtures("celery_eager")

START = date(2026, 1, 5)  # a Monday
ONSET = 42


def day(i: int) -> date:
    return START + timedelta(days=i)


def collapse(i: int) -> float:
    if i < ONSET:
        return 0.17
    return max(0.01, 0.17 - (i - ONSET + 1) * 0.16 / 7)


@pytest.fixture
def agreed(personas):
    return agree(personas)


@pytest.fixture
def collapsed(personas, agreed):
    add_days(personas.operation, START, 70, escalation=collapse)
    drift_evaluate(operation=personas.operation, through=day(69))
    return personas.operation


def login(client, user):
    client.force_login(user)
    return client


def test_a_collapse_warns_first_and_the_breach_links_the_warning(collapsed):
    warning = Alert.objects.get(severity="warning")
    breach = Alert.objects.get(severity="breach", indicator="escalation_rate")
    # One warning for the collapse, though the total and both segments moved.
    assert warning.indicator == "escalation_rate"
    assert warning.direction == "below"
    assert (warning.opened_on - day(ONSET)).days <= 2
    assert warning.opened_on < breach.opened_on
    assert breach.warning == warning
    # The evidence: baseline and current rate, the detector's statistic against its limit.
    assert warning.baseline_rate == pytest.approx(0.17, abs=0.01)
    assert (warning.baseline_start, warning.baseline_end) == (day(0), day(27))
    assert warning.statistic > warning.limit > 0
    assert warning.detector.startswith(("EWMA", "CUSUM"))
    assert "baseline 17" in warning.evidence_display
    # A warning opens no review by default; the breach does, as today.
    assert not Review.objects.filter(alert=warning).exists()
    assert breach.review.owner.key == "operations"


def test_a_warning_opens_a_review_when_the_operation_says_so(personas, agreed):
    op = personas.operation
    WarningSettings.objects.create(operation=op, warnings_open_review=True)
    add_days(op, START, 46, escalation=collapse)
    drift_evaluate(operation=op, through=day(45))
    warning = Alert.objects.get(severity="warning")
    assert warning.review.owner.key == "operations"


def test_acknowledging_a_warning_needs_a_reason(personas, collapsed):
    warning = Alert.objects.get(severity="warning")
    ops = membership(personas.ops_lead, collapsed)
    with pytest.raises(StoplineError, match="Say why"):
        alert_act(alert=warning, membership=ops, action="acknowledge", note=" ")
    alert_act(alert=warning, membership=ops, action="acknowledge", note="vendor deploy, watching")
    warning.refresh_from_db()
    assert warning.state == "acknowledged"
    assert warning.events.last().note == "vendor deploy, watching"


def test_evaluating_again_keeps_one_warning_and_one_breach(personas, collapsed):
    before = list(Alert.objects.order_by("pk").values_list("pk", "severity", "state"))
    drift_evaluate(operation=collapsed, through=day(69))
    assert list(Alert.objects.order_by("pk").values_list("pk", "severity", "state")) == before


def test_the_api_gives_the_tier_and_the_evidence(client, personas, collapsed):
    login(client, personas.viewer)
    url = f"/api/v1/operations/{collapsed.slug}/alerts/"
    data = client.get(url).json()
    rows = data["results"] if isinstance(data, dict) else data
    warning = next(r for r in rows if r["severity"] == "warning")
    breach = next(
        r for r in rows if r["severity"] == "breach" and r["indicator"] == "escalation_rate"
    )
    assert breach["warning"] == warning["id"]
    assert breach["evidence"] is None
    assert warning["evidence"]["baseline_rate"] == pytest.approx(0.17, abs=0.01)
    assert warning["evidence"]["statistic"] > warning["evidence"]["limit"]
    only = client.get(url, {"severity": "warning"}).json()
    only = only["results"] if isinstance(only, dict) else only
    assert {r["severity"] for r in only} == {"warning"}


def test_the_pages_show_both_tiers(client, personas, collapsed):
    login(client, personas.viewer)
    html = client.get(reverse("metrics:alert_list", args=[collapsed.slug])).content.decode()
    assert 'data-severity="warning"' in html and 'data-severity="breach"' in html
    assert "beyond limit" in html
    warning = Alert.objects.get(severity="warning")
    breach = Alert.objects.get(severity="breach", indicator="escalation_rate")
    detail = client.get(reverse("metrics:alert_detail", args=[collapsed.slug, breach.pk]))
    assert f"warning of {warning.opened_on:%Y-%m-%d}" in detail.content.decode()
    board = client.get(reverse("metrics:dashboard", args=[collapsed.slug]), {"days": 365})
    text = board.content.decode()
    # 70 days of data: the baseline grew to 56 days, but the escalation rate, warned on from
    # day 42, keeps the first 28 (its warning's evidence says so).
    assert "Early warnings compare with the baseline 5 Jan 2026 – 1 Mar 2026" in text
    assert "a series warned on before then keeps the first 28" in text
    assert warning.baseline_end == date(2026, 2, 1)
    assert 'class="badge warning"' in text


def test_the_digest_lists_warnings_breaches_and_the_complaint_rate(
    personas, collapsed, mailoutbox, django_capture_on_commit_callbacks
):
    DailyAggregate.objects.filter(operation=collapsed, date__gte=day(63)).update(
        survey_comments=50, survey_complaints=5
    )
    with django_capture_on_commit_callbacks(execute=True):
        weekly_digest_send(operation=collapsed, week_start=day(63))
    body = mailoutbox[0].body.replace("\xa0", " ")
    assert "Breaches of the agreed rules: 1" in body
    assert "Early warnings: 1" in body and "beyond limit" in body
    # 70 of 700 comments over the week (two segments a day), with its Wilson interval.
    assert "not understood): 10 % of 700 survey comments (95 % interval 8 % – 12.4 %)" in body
    assert "below the baseline since" in body


def test_baselines_follow_the_agreement(personas, agreed):
    op = personas.operation
    type(agreed).objects.filter(pk=agreed.pk).update(agreed_at=datetime(2025, 12, 1, tzinfo=UTC))
    add_days(op, START, 100, escalation=lambda i: 0.17 if i < 50 else 0.11)
    days = [day(i) for i in range(100)]
    assert baseline_window(op, agreed, days[:50]).source == "the first 28 days with data"
    # Once 56 days exist the baseline grows to them; the first 28 served the days before.
    longer = baseline_window(op, agreed, days)
    assert (longer.start, longer.first_end, longer.end) == (day(0), day(27), day(55))
    assert longer.source == (
        f"the first 28 days with data, extended to 56 days on {day(55)} "
        "(a series warned on before then keeps the first 28)"
    )
    # The lower rate is accepted: a new version is agreed on day 50.
    draft_ensure(operation=op, actor=None)
    second = agree(personas)
    type(second).objects.filter(pk=second.pk).update(
        agreed_at=datetime(2026, 2, 24, 12, tzinfo=UTC)  # day 50
    )
    second.refresh_from_db()
    # Too few days since: the old baseline keeps serving.
    assert baseline_window(op, second, days[:70]).start == day(0)
    window = baseline_window(op, second, days)
    assert (window.start, window.end) == (day(50), day(77))
    assert "since criteria v2" in window.source
    drift_evaluate(operation=op, through=day(99))
    open_warnings = Alert.objects.filter(severity="warning").exclude(state="resolved")
    assert not open_warnings.filter(indicator__startswith="escalation").exists()


def ingest(operation, content: str):
    run = ingestion_run_create(
        operation=operation, file=io.BytesIO(content.encode()), file_name="c.csv", via="cli"
    )
    return ingestion_run_execute(run_id=run.pk)


COMMENTS = [
    "The bot didn't understand me and wouldn't let me reach someone",
    "Boten förstod inte mig och lät mig inte nå någon",
    "Der Bot hat mich nicht verstanden und ließ mich niemanden erreichen",
    "Quick and friendly, thanks",
    "Jag kom aldrig fram till Klarna-teamet",
    "",
]


@pytest.mark.usefixtures("media_root")
def test_survey_complaints_are_flagged_counted_and_listed(client, personas):
    op = personas.operation
    SurveyPhrases.objects.create(
        organization=op.organization,
        extra_complaint_phrases={"sv": ["kom aldrig fram till klarna_teamet"]},
    )
    lines = ["conversation_id,started_at,complexity,escalated,survey_comment"]
    for i, comment in enumerate(COMMENTS):
        lines.append(f'c{i},2026-03-02T1{i}:00:00+01:00,simple,false,"{comment}"')
    run = ingest(op, "\n".join(lines) + "\n")
    assert run.rejected == 0
    flags = dict(Conversation.objects.values_list("conversation_id", "survey_complaint"))
    assert flags == {"c0": True, "c1": True, "c2": True, "c3": False, "c4": True, "c5": None}
    row = DailyAggregate.objects.get(operation=op, date=date(2026, 3, 2))
    assert (row.survey_comments, row.survey_complaints) == (5, 4)
    login(client, personas.reviewer)
    page = client.get(reverse("metrics:complaint_list", args=[op.slug])).content.decode()
    assert "nicht verstanden" in page and "Quick and friendly" not in page
    # Beside each comment, the words that made it a complaint (the organization's own too).
    assert "matched: “wouldn t let me reach someone”" in page
    assert "matched: “kom aldrig fram till klarna teamet”" in page
    board = client.get(reverse("metrics:dashboard", args=[op.slug])).content.decode()
    assert 'id="panel-survey_complaints"' in board


def flagged_comment(op, conversation_id: str, comment: str) -> Conversation:
    """A conversation of 2 March 2026 whose survey comment is stored as flagged."""
    return Conversation(
        operation=op,
        conversation_id=conversation_id,
        started_at=datetime(2026, 3, 2, 10, tzinfo=UTC),
        local_date=date(2026, 3, 2),
        complexity="simple",
        escalated=False,
        survey_comment=comment,
        survey_complaint=True,
    )


def test_a_comment_flagged_by_older_phrases_says_it_no_longer_matches(client, personas):
    op = personas.operation
    flagged_comment(op, "old", "Lovely weather").save()
    login(client, personas.viewer)
    page = client.get(reverse("metrics:complaint_list", args=[op.slug])).content.decode()
    assert "no longer matches the current phrases" in page


@pytest.mark.parametrize("persona", ["facilitator", "viewer", "reviewer", "cx_lead"])
def test_members_read_the_flagged_comments(client, personas, persona):
    login(client, getattr(personas, persona))
    url = reverse("metrics:complaint_list", args=[personas.operation.slug])
    assert client.get(url).status_code == 200


def test_outsiders_and_anonymous_do_not_read_the_flagged_comments(client, personas):
    url = reverse("metrics:complaint_list", args=[personas.operation.slug])
    assert client.get(url).status_code == 302
    login(client, personas.outsider)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("seed", [1, 2])
def test_an_in_control_year_opens_at_most_two_alerts(personas, agreed, seed):
    from tests.metrics.drift_data import add_noisy_days

    op = personas.operation
    add_noisy_days(op, START, 28 + 365, seed=seed)
    drift_evaluate(operation=op, through=day(28 + 364))
    alerts = Alert.objects.exclude(rule="no_data")
    # A warning that became a breach is one story.
    stories = alerts.exclude(severity="breach", warning__isnull=False)
    assert stories.count() <= 2, list(alerts.values_list("indicator", "severity", "opened_on"))


@pytest.mark.usefixtures("media_root")
def test_adding_phrases_and_flagging_again_recounts_the_days(personas):
    from django.core.management import call_command

    op = personas.operation
    lines = ["conversation_id,started_at,complexity,escalated,survey_comment"]
    for i, comment in enumerate(COMMENTS):
        lines.append(f'c{i},2026-03-02T1{i}:00:00+01:00,simple,false,"{comment}"')
    ingest(op, "\n".join(lines) + "\n")
    row = DailyAggregate.objects.get(operation=op, date=date(2026, 3, 2))
    assert row.survey_complaints == 3  # the organization's own wording is not built in
    SurveyPhrases.objects.create(
        organization=op.organization,
        extra_complaint_phrases={"sv": ["kom aldrig fram till klarna_teamet"]},
    )
    out = io.StringIO()
    call_command("flag_complaints", op.slug, stdout=out)
    assert "1 day(s) flagged differently" in out.getvalue()
    row.refresh_from_db()
    assert (row.survey_comments, row.survey_complaints) == (5, 4)


def test_the_flagged_comments_page_queries_do_not_grow(
    client, personas, django_assert_max_num_queries
):
    op = personas.operation
    login(client, personas.viewer)
    url = reverse("metrics:complaint_list", args=[op.slug])

    def add(count: int, offset: int) -> None:
        Conversation.objects.bulk_create(
            flagged_comment(op, f"k{offset + i}", "I could not reach a human") for i in range(count)
        )

    add(2, 0)
    with django_assert_max_num_queries(12) as few:
        assert client.get(url).status_code == 200
    add(40, 100)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


@pytest.mark.service
@pytest.mark.usefixtures("media_root")
def test_the_postgresql_fast_path_flags_and_counts_complaints(personas):
    from django.db import connection

    assert connection.vendor == "postgresql"  # the CSV fast path (metrics.ingest.pg_csv)
    op = personas.operation
    lines = ["conversation_id,started_at,complexity,escalated,survey_comment"]
    for i, comment in enumerate(COMMENTS):
        lines.append(f'c{i},2026-03-02T1{i}:00:00+01:00,complex,true,"{comment}"')
    run = ingest(op, "\n".join(lines) + "\n")
    assert (run.ingested, run.rejected) == (6, 0)
    flags = dict(Conversation.objects.values_list("conversation_id", "survey_complaint"))
    assert flags == {"c0": True, "c1": True, "c2": True, "c3": False, "c4": False, "c5": None}
    row = DailyAggregate.objects.get(operation=op, date=date(2026, 3, 2))
    assert (row.survey_comments, row.survey_complaints) == (5, 3)
    # The same file again changes nothing; a changed comment is flagged again.
    ingest(op, "\n".join(lines) + "\n")
    lines[4] = 'c3,2026-03-02T13:00:00+01:00,complex,true,"I could not reach a human"'
    ingest(op, "\n".join(lines) + "\n")
    row.refresh_from_db()
    assert (row.survey_comments, row.survey_complaints) == (5, 4)
