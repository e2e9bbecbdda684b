"""seed_demo_metrics: demo data with a story, deterministic and idempotent."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from criteria.models import Operation
from metrics.models import DailyAggregate, WeeklyReviewScore
from metrics.reporting.dashboard import dashboard_get

pytestmark = pytest.mark.django_db
THROUGH = date(2027, 5, 14)


def seed() -> str:
    out = StringIO()
    call_command("seed_demo_metrics", "--through", THROUGH.isoformat(), stdout=out)
    return out.getvalue()


def snapshot():
    return list(DailyAggregate.objects.order_by("date", "segment").values()), list(
        WeeklyReviewScore.objects.order_by("week_start").values(
            "week_start", "reviewed", "acceptable_share", "missed_handoff_share"
        )
    )


def test_needs_the_demo_operation():
    with pytest.raises(CommandError, match="seed_demo"):
        seed()


def test_seeds_120_days_with_a_collapse_and_rising_missed_handoffs():
    call_command("seed_demo", "--no-metrics", stdout=StringIO())
    assert "240 daily rows" in seed()
    operation = Operation.objects.get(slug="eu-retail-chat")
    assert DailyAggregate.objects.filter(operation=operation).count() == 240
    # seed_demo's go-live stays when it precedes the data; otherwise it moves to day one.
    assert operation.go_live <= THROUGH - timedelta(days=119)

    board = dashboard_get(operation, end=THROUGH, days=90)
    escalation = board.panels["escalation_rate"]
    assert escalation.assessment.status == "out_of_range"
    assert escalation.assessment.direction == "below"
    assert THROUGH - timedelta(days=14) <= escalation.assessment.since
    assert board.handoffs.warning
    assert board.panels["fcr_simple"].assessment.status == "in_range"
    # Outcomes of the last week are not all known yet, as in a real export.
    assert board.panels["fcr_simple"].unknown > 0
    # The survey heard it too: the complaint rate of the collapse's two weeks is well above
    # the weeks before, and the dashboard shows it.
    complaints = board.panels["survey_complaints"].points
    before = [p for p in complaints if p.day < THROUGH - timedelta(days=13)]
    during = [p for p in complaints if p.day >= THROUGH - timedelta(days=13)]
    rate = lambda points: sum(p.successes for p in points) / sum(p.n for p in points)  # noqa: E731
    assert all(p.n > 0 for p in complaints)
    assert rate(during) > 2 * rate(before)


def test_rerunning_changes_nothing():
    call_command("seed_demo", "--no-metrics", stdout=StringIO())
    seed()
    before = snapshot()
    seed()
    assert snapshot() == before


def test_the_demo_status_pdf_shows_the_collapse(tmp_path):
    """Issue 5's acceptance: the status PDF of the demo operation, with its charts and the
    out-of-range statements."""
    import io as _io

    from pypdf import PdfReader

    call_command("seed_demo", "--no-metrics", stdout=StringIO())
    seed()
    call_command("evaluate", "eu-retail-chat", "--through", THROUGH.isoformat(), stdout=StringIO())
    out = tmp_path / "status.pdf"
    call_command(
        "status_pdf",
        "eu-retail-chat",
        "--through",
        THROUGH.isoformat(),
        "-o",
        str(out),
        stdout=StringIO(),
    )
    reader = PdfReader(_io.BytesIO(out.read_bytes()))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert 1 <= len(reader.pages) <= 2
    assert "Escalation rate has been below its range (8 %–25 %) since" in text
    go_live = Operation.objects.get(slug="eu-retail-chat").go_live
    assert f"Week {(THROUGH - go_live).days // 7 + 1} since go-live" in text
    assert "Escalations down, missed handoffs up." in text
    assert "agreed 8 %–25 %" in text  # drawn by the escalation chart
    assert "No open alerts." not in text
