"""The operation dashboard and the executive status PDF download."""

from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from config.freshness import operation_version
from config.page_cache import page_cache_get, page_cache_set
from criteria.access import operation_get_for_user
from criteria.models import Operation
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


def dashboard_body(operation: Operation, days: int) -> SafeString:
    """Everything below the page's navigation, rendered once per operation, data version,
    local day and period, then served from the cache (the same for every reader: the view
    checks access before). A year of charts costs ~100 ms to draw; a cache hit ~1 ms."""
    today = operation_today(operation)
    key = f"dashboard:{operation.pk}:{operation_version(operation.pk)}:{today}:{days}"
    body = page_cache_get(key)
    if body is None:
        context = {
            "operation": operation,
            "board": dashboard_get(operation, end=today, days=days),
            "periods": PERIODS,
            "days": days,
            "recommendation": reviewer_recommendation_latest(operation),
        }
        body = str(render_to_string("metrics/partials/_dashboard_body.html", context))
        page_cache_set(key, body)
    return mark_safe(body)  # noqa: S308 - our own template's output, escaped when rendered


@login_required
@require_GET
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    """Any member of the operation's organization may read it; others get 404."""
    operation, membership = operation_get_for_user(request.user, slug)
    return render(
        request,
        "metrics/dashboard.html",
        {
            "operation": operation,
            "membership": membership,
            "body": dashboard_body(operation, _period(request)),
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
