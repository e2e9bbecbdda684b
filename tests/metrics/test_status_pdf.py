"""The executive status PDF: what an executive reads in it, the command, the download."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from pypdf import PdfReader

from metrics.reporting.dashboard import operation_today
from metrics.reporting.pdf import status_pdf_render
from metrics.reporting.status_report import status_report_build
from tests.criteria.signing import agree
from tests.metrics.dashboard_data import add_recent_days, add_review_weeks

pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


def long_date(day) -> str:
    return f"{day.day} {day.strftime('%B')} {day.year}"


@pytest.fixture
def collapsed(personas):
    """An agreed operation whose escalation rate fell below its range six days ago."""
    agree(personas)
    operation = personas.operation
    operation.go_live = operation_today(operation) - timedelta(days=99)
    operation.save()
    add_recent_days(operation, 100, collapse_days=6)
    add_review_weeks(operation, [0.02, 0.02, 0.02, 0.03, 0.09, 0.15])
    return personas


def test_the_report_says_what_is_out_of_range_and_since_when(collapsed):
    operation = collapsed.operation
    through = operation_today(operation)
    pages, text = text_of(status_pdf_render(report=status_report_build(operation, through=through)))
    assert 1 <= pages <= 2
    since = through - timedelta(days=5)
    assert f"Escalation rate has been below its range (8 %–25 %) since {long_date(since)}" in text
    assert "FCR simple is within its range (at least 80 %)" in text
    assert "Week 15 since go-live" in text
    assert "Escalations down, missed handoffs up." in text
    assert "No recommendation recorded." in text
    assert "No open alerts." in text


def test_the_report_draws_the_charts(collapsed):
    operation = collapsed.operation
    report = status_report_build(operation, through=operation_today(operation))
    for item in report.indicators.values():
        assert item.chart.startswith("<svg")
    _pages, text = text_of(status_pdf_render(report=report))
    # Text only the SVG charts draw: the band labels and the percent axis.
    assert "agreed 8 %–25 %" in text
    assert "agreed at least 50 %" in text
    assert "30 %" in text


def test_a_report_without_data_says_so(personas):
    agree(personas)
    operation = personas.operation
    pages, text = text_of(
        status_pdf_render(report=status_report_build(operation, through=operation_today(operation)))
    )
    assert pages == 1
    assert "Escalation rate: no data in this period." in text
    assert "No data in this period" in text  # the empty charts
    assert "Go-live date not set" in text


def test_the_command_writes_the_file(collapsed, tmp_path):
    out = tmp_path / "status.pdf"
    through = operation_today(collapsed.operation) - timedelta(days=10)
    stdout = io.StringIO()
    call_command(
        "status_pdf", "eu-chat", "--through", through.isoformat(), "-o", str(out), stdout=stdout
    )
    assert f"data through {through}" in stdout.getvalue()
    pages, text = text_of(out.read_bytes())
    assert 1 <= pages <= 2
    # Ten days ago the collapse had not started.
    assert "Escalation rate is within its range (8 %–25 %)" in text
    assert f"data through {long_date(through)}" in text


def test_the_command_names_an_unknown_operation(tmp_path):
    with pytest.raises(CommandError, match="No operation 'nope'"):
        call_command("status_pdf", "nope", "-o", str(tmp_path / "x.pdf"))


def test_members_download_it_others_get_404(collapsed, client):
    url = reverse("metrics:status_pdf", args=["eu-chat"])
    client.force_login(collapsed.viewer)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert "eu-chat-status-" in response["Content-Disposition"]
    _pages, text = text_of(response.content)
    assert "Escalation rate has been below its range" in text

    client.force_login(collapsed.outsider)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_the_dashboard_offers_the_download(collapsed, client):
    client.force_login(collapsed.viewer)
    html = client.get(reverse("metrics:dashboard", args=["eu-chat"])).content.decode()
    assert reverse("metrics:status_pdf", args=["eu-chat"]) in html


def test_open_alerts_and_reviews_are_listed_with_owners_and_due_dates(collapsed, mailoutbox):
    from metrics.alerts.lifecycle import drift_evaluate
    from metrics.models import Review

    operation = collapsed.operation
    through = operation_today(operation)
    drift_evaluate(operation=operation, through=through)
    review = Review.objects.get(alert__indicator="escalation_rate")
    _pages, text = text_of(
        status_pdf_render(report=status_report_build(operation, through=through))
    )
    assert "Open alerts" in text and "No open alerts." not in text
    assert "Escalation rate Below the range" in text
    due = review.due_on
    assert f"Escalation rate: Below the range Operations {due.day} {due.strftime('%b')}" in text


def test_the_report_opens_with_a_quiet_feed(collapsed):
    operation = collapsed.operation
    through = operation_today(operation) + timedelta(days=5)
    _pages, text = text_of(
        status_pdf_render(report=status_report_build(operation, through=through))
    )
    last = operation_today(operation)
    assert text.index(f"No daily data since {long_date(last)} (5 days).") < text.index(
        "Escalation rate has been below"
    )
