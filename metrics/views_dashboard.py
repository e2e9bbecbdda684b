"""The operation dashboard and the executive status PDF download."""

from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from criteria.access import operation_get_for_user
from metrics.ingest.review_scores import reviewer_recommendation_latest
from metrics.reporting.dashboard import DEFAULT_PERIOD, PERIODS, dashboard_get, operation_today
from metrics.reporting.pdf import status_pdf_render
from metrics.reporting.status_report import status_report_build


def _period(request: HttpRequest) -> int:
    try:
        days = int(request.GET.get("days", DEFAULT_PERIOD))
    except ValueError:
        return DEFAULT_PERIOD
    return days if days in PERIODS else DEFAULT_PERIOD


@login_required
@require_GET
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    """Any member of the operation's organization may read it; others get 404."""
    operation, _membership = operation_get_for_user(request.user, slug)
    days = _period(request)
    board = dashboard_get(operation, days=days)
    return render(
        request,
        "metrics/dashboard.html",
        {
            "operation": operation,
            "board": board,
            "periods": PERIODS,
            "days": days,
            "recommendation": reviewer_recommendation_latest(operation),
        },
    )


@login_required
@require_GET
def status_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """The executive status PDF through today; members only, others get 404."""
    operation, _membership = operation_get_for_user(request.user, slug)
    through: date = operation_today(operation)
    pdf = status_pdf_render(report=status_report_build(operation, through=through))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, f"{operation.slug}-status-{through.isoformat()}.pdf"
    )
    return response
